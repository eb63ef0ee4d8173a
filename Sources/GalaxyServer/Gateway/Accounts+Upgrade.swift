import Foundation
import Synchronization

/// Token checks for WebSocket upgrades. The transport runs the upgrade filter on a service thread and
/// needs its decision at once. A store lookup there would hold up every client of that thread for as
/// long as the store takes, up to its timeouts when the database is slow or frozen. Instead the
/// transport's greeter holds the new connection while `prefetch` looks the token up on a queue of the
/// gateway's, and the upgrade filter reads the result from memory with `upgradeVerdict`.
extension Accounts {
    enum Verdict: Equatable {
        case player(PlayerRecord)
        case unknown
        case unavailable
    }

    struct Refusal: Sendable {
        var storeUnavailable: Bool
        var at: Date
    }

    /// A refusal only has to last from `prefetch` to the upgrade filter, which follows within milliseconds.
    static let refusalLifetimeSeconds: TimeInterval = 10
    /// After a failed lookup, `prefetch` leaves the store alone this long, so that a burst of connections
    /// during an outage is refused at once instead of queueing behind one timeout each.
    static let storeRetrySeconds: TimeInterval = 2
    static let maxRefusals = 10_000

    /// Looks a token up in the store ahead of its upgrade, unless the cache has a fresh entry. Blocks for
    /// up to the store's timeouts, so call it off the transport threads.
    func prefetch(tokenHash hash: Data) {
        let now = Date()
        let cached = cache.withLock { $0[hash] }
        if let cached, now.timeIntervalSince(cached.checkedAt) < Accounts.revalidateAfterSeconds { return }
        let failedAt = lastStoreFailure.load(ordering: .relaxed)
        if now.timeIntervalSince1970 - failedAt < Accounts.storeRetrySeconds {
            if cached == nil { refuse(hash, storeUnavailable: true, at: now) }
            return
        }
        upgradeLookups.add(1, ordering: .relaxed)
        do {
            if try authenticate(tokenHash: hash, quiet: true) == nil { refuse(hash, storeUnavailable: false, at: now) }
        } catch {
            refuse(hash, storeUnavailable: true, at: now)
        }
    }

    /// Returns the upgrade filter's decision for a token, from memory when `prefetch` has run. When the
    /// greeter let the connection through without a lookup, the store is queried here on the caller's
    /// thread, unless it failed within `storeRetrySeconds`.
    func upgradeVerdict(tokenHash hash: Data) -> Verdict {
        let now = Date()
        if let session = cache.withLock({ $0[hash] }) {
            return session.expiresAt > now ? .player(session.player) : .unknown
        }
        if let refusal = refusals.withLock({ $0[hash] }), now.timeIntervalSince(refusal.at) < Accounts.refusalLifetimeSeconds {
            return refusal.storeUnavailable ? .unavailable : .unknown
        }
        if now.timeIntervalSince1970 - lastStoreFailure.load(ordering: .relaxed) < Accounts.storeRetrySeconds {
            return .unavailable
        }
        // NOTE: this lookup blocks a transport thread for up to the store's timeouts. It runs only for
        // connections the greeter passed on without a lookup: over 4,096 waiting, a request line
        // slower than 10 s, or an upgrade on a connection that served a request before.
        upgradeLookups.add(1, ordering: .relaxed)
        do {
            return try authenticate(tokenHash: hash).map(Verdict.player) ?? .unknown
        } catch {
            return .unavailable
        }
    }

    private func refuse(_ hash: Data, storeUnavailable: Bool, at now: Date) {
        refusals.withLock { refusals in
            if refusals.count >= Accounts.maxRefusals {
                refusals = refusals.filter { now.timeIntervalSince($0.value.at) < Accounts.refusalLifetimeSeconds }
                // Random tokens arrive faster than their entries expire, so drop them all to bound memory.
                if refusals.count >= Accounts.maxRefusals { refusals.removeAll() }
            }
            refusals[hash] = Refusal(storeUnavailable: storeUnavailable, at: now)
        }
    }
}

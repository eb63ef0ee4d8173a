import Foundation
import Synchronization

/// Token checks for WebSocket upgrades. The transport runs the upgrade filter on a service thread and
/// needs its decision at once. A store lookup there would hold up every client of that thread for as
/// long as the store takes, up to its timeouts when the database is slow or frozen. Instead the
/// transport's greeter keeps the new connection waiting while `prefetch` looks the token up on a
/// queue of the gateway's, and the upgrade filter reads the result from memory with `upgradeVerdict`.
extension Accounts {
    enum Verdict: Equatable {
        case player(PlayerRecord)
        case unknown
        case unavailable
    }

    struct Rejection: Sendable {
        var storeUnavailable: Bool
        var at: Date
    }

    /// A rejection only has to last from `prefetch` to the upgrade filter, which follows within milliseconds.
    static let rejectionLifetimeSeconds: TimeInterval = 10
    /// After a failed lookup, `prefetch` leaves the store alone this long, so that a burst of connections
    /// during an outage is rejected at once instead of queueing behind one timeout each.
    static let storeRetrySeconds: TimeInterval = 2
    static let maxRejections = 10_000

    /// Looks a token up in the store ahead of its upgrade, unless the cache has a fresh entry. Blocks for
    /// up to the store's timeouts, so call it off the transport threads.
    func prefetch(tokenHash hash: Data) {
        let started = Date()
        let cached = cache.withLock { $0[hash] }
        if let cached, started.timeIntervalSince(cached.checkedAt) < Accounts.revalidateAfterSeconds { return }
        // A token the store did not know moments ago is still unknown: tokens exist in the store before
        // login returns them, so no client can present one before its row is there.
        if let rejection = freshRejection(hash, at: started), !rejection.storeUnavailable { return }
        if storeFailedRecently(at: started) {
            if cached == nil { reject(hash, storeUnavailable: true) }
            return
        }
        upgradeLookups.add(1, ordering: .relaxed)
        do {
            if try authenticate(tokenHash: hash, quiet: true) == nil { reject(hash, storeUnavailable: false) }
        } catch {
            reject(hash, storeUnavailable: true)
        }
    }

    /// Returns the upgrade filter's decision for a token from memory, or nil when there is none in memory, for
    /// example when the greeter passed the connection on without a lookup. Never queries the store.
    func upgradeVerdict(tokenHash hash: Data) -> Verdict? {
        let now = Date()
        if let session = cache.withLock({ $0[hash] }) {
            guard session.expiresAt > now else { return .unknown }
            // While the store is failing, a session it confirmed before stays valid, as for HTTP requests.
            if now.timeIntervalSince(session.checkedAt) < Accounts.revalidateAfterSeconds || storeFailedRecently(at: now) {
                return .player(session.player)
            }
        }
        if let rejection = freshRejection(hash, at: now) {
            return rejection.storeUnavailable ? .unavailable : .unknown
        }
        return storeFailedRecently(at: now) ? .unavailable : nil
    }

    /// Returns the token's rejection when it is younger than `rejectionLifetimeSeconds`.
    private func freshRejection(_ hash: Data, at now: Date) -> Rejection? {
        guard let rejection = rejections.withLock({ $0[hash] }), now.timeIntervalSince(rejection.at) < Accounts.rejectionLifetimeSeconds
        else { return nil }
        return rejection
    }

    func storeFailedRecently(at now: Date) -> Bool {
        now.timeIntervalSince1970 - lastStoreFailure.load(ordering: .relaxed) < Accounts.storeRetrySeconds
    }

    /// Records a rejection as of now, after the lookup, so that a lookup that took the store's whole timeout
    /// still leaves a rejection for the upgrade filter to read.
    private func reject(_ hash: Data, storeUnavailable: Bool) {
        let now = Date()
        rejections.withLock { rejections in
            if rejections.count >= Accounts.maxRejections {
                rejections = rejections.filter { now.timeIntervalSince($0.value.at) < Accounts.rejectionLifetimeSeconds }
                // Random tokens arrive faster than their entries expire, so drop them all to bound memory.
                if rejections.count >= Accounts.maxRejections { rejections.removeAll() }
            }
            rejections[hash] = Rejection(storeUnavailable: storeUnavailable, at: now)
        }
    }
}

import Foundation
import Synchronization
import Testing

@testable import GalaxyServer

/// Token decisions for WebSocket upgrades (Accounts+Upgrade.swift). After `prefetch`, `upgradeVerdict`
/// must decide from memory, so the store is made to fail before each verdict and its lookups are counted.
@Suite struct AccountsUpgradeTests {
    /// An SQLite store whose session and player lookups can be made to fail, as a database that is down.
    final class SwitchableStore: GameStore, @unchecked Sendable {
        let inner: SQLiteStore
        let failing = Atomic<Bool>(false)
        let lookups = Atomic<Int>(0)
        var backendName: String { inner.backendName }

        init(_ inner: SQLiteStore) { self.inner = inner }

        private func lookup() throws {
            lookups.add(1, ordering: .relaxed)
            if failing.load(ordering: .relaxed) { throw StoreError.unavailable(backend: "test", reason: "switched off") }
        }

        func migrate() throws { try inner.migrate() }
        func ping() throws { try inner.ping() }
        func createPlayer(username: String, passwordHash: String) throws -> PlayerRecord {
            try inner.createPlayer(username: username, passwordHash: passwordHash)
        }
        func player(byUsername username: String) throws -> PlayerRecord? { try inner.player(byUsername: username) }
        func player(id: PlayerID) throws -> PlayerRecord? {
            try lookup()
            return try inner.player(id: id)
        }
        func deletePlayer(id: PlayerID) throws -> Bool { try inner.deletePlayer(id: id) }
        func createSession(tokenHash: Data, playerID: PlayerID, expiresAt: Date) throws -> SessionRecord {
            try inner.createSession(tokenHash: tokenHash, playerID: playerID, expiresAt: expiresAt)
        }
        func session(tokenHash: Data, at now: Date) throws -> SessionRecord? {
            try lookup()
            return try inner.session(tokenHash: tokenHash, at: now)
        }
        func deleteSession(tokenHash: Data) throws -> Bool { try inner.deleteSession(tokenHash: tokenHash) }
        func deleteExpiredSessions(before now: Date) throws -> Int { try inner.deleteExpiredSessions(before: now) }
        func saveSnapshot(_ snapshot: WorldSnapshot) throws -> SnapshotInfo { try inner.saveSnapshot(snapshot) }
        func latestSnapshot() throws -> WorldSnapshot? { try inner.latestSnapshot() }
        func snapshotInfos() throws -> [SnapshotInfo] { try inner.snapshotInfos() }
    }

    static func store() throws -> SwitchableStore {
        let directory = try PersistenceSupport.temporaryDirectory()
        return SwitchableStore(try SQLiteStore(directory: directory, logger: LogCapture().logger))
    }

    static func randomTokenHash() -> Data { Credentials.tokenHash(Credentials.newToken()) }

    @Test func prefetchedAnswersComeFromMemory() throws {
        let store = try Self.store()
        let (player, token, _) = try Accounts(store: store, logger: LogCapture().logger).register(username: "ada", password: "correct horse")
        // A second Accounts is a restarted server or another replica: its cache is empty.
        let accounts = Accounts(store: store, logger: LogCapture().logger)
        let known = Credentials.tokenHash(token), unknown = Self.randomTokenHash()
        accounts.prefetch(tokenHash: known)
        accounts.prefetch(tokenHash: unknown)
        let lookups = store.lookups.load(ordering: .relaxed)
        #expect(lookups >= 2)

        store.failing.store(true, ordering: .relaxed)
        #expect(accounts.upgradeVerdict(tokenHash: known) == .player(player))
        #expect(accounts.upgradeVerdict(tokenHash: unknown) == .unknown)
        #expect(store.lookups.load(ordering: .relaxed) == lookups, "the verdicts must not touch the store")
    }

    @Test func storeFailureRejectsAtOnce() throws {
        let store = try Self.store()
        let accounts = Accounts(store: store, logger: LogCapture().logger)
        store.failing.store(true, ordering: .relaxed)
        let first = Self.randomTokenHash()
        accounts.prefetch(tokenHash: first)
        let lookups = store.lookups.load(ordering: .relaxed)
        #expect(lookups == 1)
        #expect(accounts.upgradeVerdict(tokenHash: first) == .unavailable)

        // Within storeRetrySeconds of the failure, neither a prefetch nor a verdict without one waits on the store.
        let second = Self.randomTokenHash(), third = Self.randomTokenHash()
        accounts.prefetch(tokenHash: second)
        #expect(accounts.upgradeVerdict(tokenHash: second) == .unavailable)
        #expect(accounts.upgradeVerdict(tokenHash: third) == .unavailable)
        #expect(store.lookups.load(ordering: .relaxed) == lookups)
    }

    @Test func verdictWithoutLookupIsNil() throws {
        let store = try Self.store()
        let (_, token, _) = try Accounts(store: store, logger: LogCapture().logger).register(username: "grace", password: "correct horse")
        let accounts = Accounts(store: store, logger: LogCapture().logger)
        #expect(accounts.upgradeVerdict(tokenHash: Credentials.tokenHash(token)) == nil)
        #expect(accounts.upgradeVerdict(tokenHash: Self.randomTokenHash()) == nil)
        #expect(store.lookups.load(ordering: .relaxed) == 0, "the upgrade filter must never query the store")
    }

    @Test func staleSessionNeedsLookup() throws {
        let store = try Self.store()
        let accounts = Accounts(store: store, logger: LogCapture().logger)
        let (player, token, _) = try accounts.register(username: "linus", password: "correct horse")
        let hash = Credentials.tokenHash(token)
        #expect(accounts.upgradeVerdict(tokenHash: hash) == .player(player))

        // Older than revalidateAfterSeconds: the session may have been logged out on another replica.
        accounts.cache.withLock { $0[hash]?.checkedAt = Date(timeIntervalSinceNow: -60) }
        #expect(accounts.upgradeVerdict(tokenHash: hash) == nil)

        // While the store fails, the stale session is trusted, as for HTTP requests.
        store.failing.store(true, ordering: .relaxed)
        accounts.prefetch(tokenHash: hash)
        #expect(accounts.upgradeVerdict(tokenHash: hash) == .player(player))

        // Once the store responds again, a log-out elsewhere takes effect.
        store.failing.store(false, ordering: .relaxed)
        _ = try store.deleteSession(tokenHash: hash)
        accounts.lastStoreFailure.store(0, ordering: .relaxed)
        accounts.prefetch(tokenHash: hash)
        #expect(accounts.upgradeVerdict(tokenHash: hash) == .unknown)
    }

    @Test func unknownTokenLookedUpOnce() throws {
        let store = try Self.store()
        let accounts = Accounts(store: store, logger: LogCapture().logger)
        let unknown = Self.randomTokenHash()
        accounts.prefetch(tokenHash: unknown)
        let lookups = store.lookups.load(ordering: .relaxed)
        #expect(lookups >= 1)

        // Clients that retry an unknown token while its rejection is fresh cost no more store queries.
        for _ in 0..<5 { accounts.prefetch(tokenHash: unknown) }
        #expect(store.lookups.load(ordering: .relaxed) == lookups)
        #expect(accounts.upgradeVerdict(tokenHash: unknown) == .unknown)

        // Once the rejection is older than its lifetime, the store is queried again.
        accounts.rejections.withLock { $0[unknown]?.at = Date(timeIntervalSinceNow: -Accounts.rejectionLifetimeSeconds - 1) }
        accounts.prefetch(tokenHash: unknown)
        #expect(store.lookups.load(ordering: .relaxed) > lookups)
    }

    @Test func rejectionsStayBounded() throws {
        let accounts = Accounts(store: try Self.store(), logger: LogCapture().logger)
        for _ in 0..<(Accounts.maxRejections + 10) { accounts.prefetch(tokenHash: Self.randomTokenHash()) }
        #expect(accounts.rejections.withLock { $0.count } <= Accounts.maxRejections)
    }
}

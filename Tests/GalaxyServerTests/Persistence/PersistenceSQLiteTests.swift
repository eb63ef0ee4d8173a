import Foundation
import Testing

@testable import GalaxyServer

/// A SQLite database file in a fresh temporary directory.
struct SQLiteFixture: PersistenceFixture {
    let directory: URL

    init() throws {
        directory = try PersistenceSupport.temporaryDirectory()
    }

    func openStore(logger: Logger) throws -> any GameStore {
        try SQLiteStore(directory: directory, logger: logger)
    }

    func overwriteSnapshotPayload(id: Int64, json: String) throws {
        let store = try SQLiteStore(directory: directory, logger: LogCapture().logger)
        try store.withConnection("overwrite snapshot") { db in
            try db.execute("UPDATE snapshots SET payload = ? WHERE id = ?", [.text(json), .integer(id)])
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Persistence on SQLite")
struct PersistenceSQLiteTests {
    @Test func playerCreationIsDurable() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.playerCreationIsDurable(fixture)
    }

    @Test func duplicateUsernameIsRejected() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.duplicateUsernameIsRejected(fixture)
    }

    @Test func sessionsExpire() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.sessionsExpire(fixture)
    }

    @Test func deletingPlayerDeletesSessions() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.deletingPlayerDeletesSessions(fixture)
    }

    @Test func snapshotRoundTripRestoresWorld() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.snapshotRoundTripRestoresWorld(fixture)
    }

    @Test func newestSnapshotIsChosen() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.newestSnapshotIsChosen(fixture)
    }

    @Test func oldSnapshotsArePruned() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.oldSnapshotsArePruned(fixture)
    }

    @Test func damagedNewestFallsBackToPrevious() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.damagedNewestFallsBackToPrevious(fixture)
    }

    @Test func allSnapshotsDamagedIsAnError() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.allSnapshotsDamagedIsAnError(fixture)
    }

    @Test func migrationIsRepeatable() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        try PersistenceContract.migrationIsRepeatable(fixture)
    }

    @Test func truncatedNewestFallsBackToPrevious() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        let logs = LogCapture()
        let store = try fixture.openStore(logger: logs.logger)
        var snapshot = try PersistenceSupport.snapshot(tick: 10)
        try store.saveSnapshot(snapshot)
        snapshot.tick = 20
        let newest = try store.saveSnapshot(snapshot)
        let json = String(decoding: try snapshot.sealed().json, as: UTF8.self)
        try fixture.overwriteSnapshotPayload(id: newest.id, json: String(json.prefix(json.count / 2)))
        #expect(try store.latestSnapshot()?.tick == 10)
        #expect(logs.contains("is not valid JSON"))
    }

    @Test func databaseUsesWALWithFullSync() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        let store = try SQLiteStore(directory: fixture.directory, logger: LogCapture().logger)
        let mode = try store.withConnection("read journal mode") { db in try db.query("PRAGMA journal_mode").first?.first }
        let synchronous = try store.withConnection("read synchronous") { db in try db.query("PRAGMA synchronous").first?.first }
        let foreignKeys = try store.withConnection("read foreign keys") { db in try db.query("PRAGMA foreign_keys").first?.first }
        #expect(mode == .text("wal"))
        #expect(synchronous == .integer(2), "2 is FULL")
        #expect(foreignKeys == .integer(1))
    }

    @Test func unusableDataDirectoryIsUnavailable() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        let blocker = fixture.directory.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: blocker)
        do {
            _ = try SQLiteStore(directory: blocker, logger: LogCapture().logger)
            Issue.record("opening a store inside a regular file succeeded")
        } catch let error as StoreError {
            guard case .unavailable(let backend, let reason) = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
            #expect(backend == "SQLite")
            #expect(reason.contains(blocker.path))
        }
    }

    @Test func lockedDatabaseTimesOut() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        let store = try SQLiteStore(directory: fixture.directory, busyTimeoutSeconds: 0.2, logger: LogCapture().logger)
        let other = try SQLiteConnection(path: store.fileURL.path, busyTimeoutMilliseconds: 0)
        try other.execute("BEGIN EXCLUSIVE")
        defer { _ = try? other.execute("ROLLBACK") }
        let start = Date()
        #expect(throws: StoreError.timedOut(backend: "SQLite", operation: "create player", seconds: 0.2)) {
            try store.createPlayer(username: "gina", passwordHash: "hash")
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func retentionBelowTwoIsRejected() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        #expect(throws: StoreError.self) {
            try SQLiteStore(directory: fixture.directory, snapshotRetention: 1, logger: LogCapture().logger)
        }
    }
}

import Foundation
import Testing

@testable import GalaxyServer

/// A store whose snapshot writes fail a set number of times and can be held until the test releases
/// them. Only the snapshot methods are used by `SnapshotWriter`; the others throw.
final class ScriptedSnapshotStore: GameStore, @unchecked Sendable {
    let backendName = "scripted"
    private let lock = NSLock()
    private var failuresLeft: Int
    private var holdNextSave: Bool
    private var savedTicks: [UInt64] = []
    /// Signalled each time a save starts.
    let saveStarted = DispatchSemaphore(value: 0)
    /// Waited on by a held save.
    private let release = DispatchSemaphore(value: 0)

    init(failures: Int = 0, holdFirstSave: Bool = false) {
        failuresLeft = failures
        holdNextSave = holdFirstSave
    }

    var ticks: [UInt64] { lock.withLock { savedTicks } }

    func releaseHeldSave() { release.signal() }

    func saveSnapshot(_ snapshot: WorldSnapshot) throws -> SnapshotInfo {
        saveStarted.signal()
        let hold = lock.withLock { () -> Bool in
            defer { holdNextSave = false }
            return holdNextSave
        }
        if hold { release.wait() }
        return try lock.withLock {
            if failuresLeft > 0 {
                failuresLeft -= 1
                throw StoreError.unavailable(backend: backendName, reason: "scripted failure")
            }
            savedTicks.append(snapshot.tick)
            return SnapshotInfo(id: Int64(savedTicks.count), tick: snapshot.tick, gameTimeSeconds: 0, checksum: "", savedAt: Date())
        }
    }

    func migrate() throws {}
    func ping() throws {}
    func createPlayer(username: String, passwordHash: String) throws -> PlayerRecord { throw unused() }
    func player(byUsername username: String) throws -> PlayerRecord? { throw unused() }
    func player(id: PlayerID) throws -> PlayerRecord? { throw unused() }
    func deletePlayer(id: PlayerID) throws -> Bool { throw unused() }
    func createSession(tokenHash: Data, playerID: PlayerID, expiresAt: Date) throws -> SessionRecord { throw unused() }
    func session(tokenHash: Data, at now: Date) throws -> SessionRecord? { throw unused() }
    func deleteSession(tokenHash: Data) throws -> Bool { throw unused() }
    func deleteExpiredSessions(before now: Date) throws -> Int { throw unused() }
    func latestSnapshot() throws -> WorldSnapshot? { throw unused() }
    func snapshotInfos() throws -> [SnapshotInfo] { throw unused() }

    private func unused() -> StoreError { .invalidArgument("not used by these tests") }
}

@Suite("Persistence: snapshot writer")
struct PersistenceSnapshotWriterTests {
    private let fastRetry = SnapshotWriter.RetryPolicy(initialDelaySeconds: 0.01, maxDelaySeconds: 0.05)

    @Test func writerRetriesUntilStoreRecovers() throws {
        let logs = LogCapture()
        let store = ScriptedSnapshotStore(failures: 2)
        let writer = SnapshotWriter(store: store, logger: logs.logger, retry: fastRetry)
        defer { writer.stop(timeoutSeconds: 5) }
        writer.submit(try PersistenceSupport.snapshot(tick: 5))
        #expect(writer.flush(timeoutSeconds: 10))
        #expect(store.ticks == [5])
        let statistics = writer.statistics
        #expect(statistics.failedAttempts == 2)
        #expect(statistics.written == 1)
        #expect(statistics.lastWrittenTick == 5)
        #expect(logs.contains("snapshot write failed; will retry"))
        #expect(logs.contains("snapshot saved after failed attempts"))
    }

    @Test func writerKeepsOnlyNewestPending() throws {
        let store = ScriptedSnapshotStore(holdFirstSave: true)
        let writer = SnapshotWriter(store: store, logger: LogCapture().logger, retry: fastRetry)
        defer { writer.stop(timeoutSeconds: 5) }
        var snapshot = try PersistenceSupport.snapshot(tick: 1)
        writer.submit(snapshot)
        #expect(store.saveStarted.wait(timeout: .now() + 10) == .success)

        // The store is stuck in the first save; submitting must not wait for it.
        let start = Date()
        for tick in [2, 3, 4] as [UInt64] {
            snapshot.tick = tick
            writer.submit(snapshot)
        }
        #expect(Date().timeIntervalSince(start) < 0.5)
        store.releaseHeldSave()
        #expect(writer.flush(timeoutSeconds: 10))
        #expect(store.ticks == [1, 4])
        #expect(writer.statistics.replaced == 2)
    }

    @Test func newerSnapshotReplacesFailedOne() throws {
        let store = ScriptedSnapshotStore(failures: 1, holdFirstSave: true)
        let writer = SnapshotWriter(store: store, logger: LogCapture().logger, retry: fastRetry)
        defer { writer.stop(timeoutSeconds: 5) }
        var snapshot = try PersistenceSupport.snapshot(tick: 1)
        writer.submit(snapshot)
        #expect(store.saveStarted.wait(timeout: .now() + 10) == .success)
        snapshot.tick = 2
        writer.submit(snapshot)
        store.releaseHeldSave()
        #expect(writer.flush(timeoutSeconds: 10))
        #expect(store.ticks == [2], "the failed tick-1 write is not retried once tick 2 is pending")
    }

    @Test func writerExportsVerifiedFile() throws {
        let directory = try PersistenceSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("latest-snapshot.json")
        let writer = SnapshotWriter(store: ScriptedSnapshotStore(), logger: LogCapture().logger, exportURL: file)
        defer { writer.stop(timeoutSeconds: 5) }
        writer.submit(try PersistenceSupport.snapshot(tick: 9))
        #expect(writer.flush(timeoutSeconds: 10))
        let exported = try WorldSnapshot.decodeVerified(Data(contentsOf: file))
        #expect(exported.tick == 9)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["latest-snapshot.json"])
    }

    @Test func stopWritesPendingSnapshot() throws {
        let store = ScriptedSnapshotStore(failures: 1)
        let writer = SnapshotWriter(store: store, logger: LogCapture().logger, retry: fastRetry)
        let snapshot = try PersistenceSupport.snapshot(tick: 11)
        writer.submit(snapshot)
        #expect(writer.stop(timeoutSeconds: 10))
        #expect(store.ticks == [11])
        writer.submit(snapshot)
        #expect(store.ticks == [11], "submissions after stop are ignored")
    }

    @Test func stopGivesUpAtDeadline() throws {
        let logs = LogCapture()
        let store = ScriptedSnapshotStore(failures: .max)
        let writer = SnapshotWriter(store: store, logger: logs.logger, retry: fastRetry)
        writer.submit(try PersistenceSupport.snapshot(tick: 12))
        let start = Date()
        #expect(writer.stop(timeoutSeconds: 0.3) == false)
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(store.ticks.isEmpty)
        #expect(logs.contains("stopped before the last snapshot was written"))
    }

    @Test func writerSavesToSQLite() throws {
        let fixture = try SQLiteFixture()
        defer { fixture.remove() }
        let store = try fixture.openStore(logger: LogCapture().logger)
        let saved = SavedTicks()
        let writer = SnapshotWriter(store: store, logger: LogCapture().logger) { info, _ in saved.append(info.tick) }
        writer.submit(try PersistenceSupport.snapshot(tick: 3))
        #expect(writer.stop(timeoutSeconds: 10))
        #expect(try store.latestSnapshot()?.tick == 3)
        #expect(saved.ticks == [3])
    }
}

/// Ticks reported by a writer's `onSaved` callback.
final class SavedTicks: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [UInt64] = []

    func append(_ tick: UInt64) { lock.withLock { values.append(tick) } }
    var ticks: [UInt64] { lock.withLock { values } }
}

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import GalaxyServer

/// The server the PostgreSQL tests use; set by scripts/start-test-services.sh.
let postgresTestURL = ProcessInfo.processInfo.environment["GALAXY_TEST_POSTGRES_URL"]

/// A database created for one test on the test server and dropped afterwards.
struct PostgresFixture: PersistenceFixture {
    let url: String
    private let name: String
    private let serverURL: String

    init() throws {
        serverURL = try #require(postgresTestURL, "GALAXY_TEST_POSTGRES_URL is not set")
        name = "galaxy_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        var components = try #require(URLComponents(string: serverURL), "GALAXY_TEST_POSTGRES_URL is not a URL")
        components.path = "/" + name
        url = try #require(components.string)
        // A database name cannot be a statement parameter; `name` is generated above from hex digits only.
        try PostgresFixture.admin(serverURL).query("CREATE DATABASE \(name)", timeoutSeconds: 30)
    }

    func openStore(logger: Logger) throws -> any GameStore {
        try PostgresStore(url: url, logger: logger)
    }

    func overwriteSnapshotPayload(id: Int64, json: String) throws {
        let connection = try PostgresConnection(url: url, connectTimeoutSeconds: 5)
        try connection.query(
            "UPDATE snapshots SET payload = $1::jsonb WHERE id = $2", [.text(json), .integer(id)], timeoutSeconds: 10)
    }

    func remove() {
        _ = try? PostgresFixture.admin(serverURL).query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", timeoutSeconds: 30)
    }

    private static func admin(_ url: String) throws -> PostgresConnection {
        try PostgresConnection(url: url, connectTimeoutSeconds: 5)
    }
}

@Suite(
    "Persistence on PostgreSQL",
    .enabled(
        if: postgresTestURL != nil,
        "GALAXY_TEST_POSTGRES_URL is not set; start a server with scripts/start-test-services.sh")
)
struct PersistencePostgresTests {
    @Test func playerCreationIsDurable() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.playerCreationIsDurable(fixture)
    }

    @Test func duplicateUsernameIsRejected() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.duplicateUsernameIsRejected(fixture)
    }

    @Test func sessionsExpire() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.sessionsExpire(fixture)
    }

    @Test func deletingPlayerDeletesSessions() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.deletingPlayerDeletesSessions(fixture)
    }

    @Test func snapshotRoundTripRestoresWorld() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.snapshotRoundTripRestoresWorld(fixture)
    }

    @Test func newestSnapshotIsChosen() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.newestSnapshotIsChosen(fixture)
    }

    @Test func oldSnapshotsArePruned() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.oldSnapshotsArePruned(fixture)
    }

    @Test func damagedNewestFallsBackToPrevious() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.damagedNewestFallsBackToPrevious(fixture)
    }

    @Test func allSnapshotsDamagedIsAnError() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.allSnapshotsDamagedIsAnError(fixture)
    }

    @Test func migrationIsRepeatable() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try PersistenceContract.migrationIsRepeatable(fixture)
    }

    @Test func snapshotIsStoredAsJSONB() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let store = try fixture.openStore(logger: LogCapture().logger)
        let info = try store.saveSnapshot(try PersistenceSupport.snapshot(tick: 42))
        let connection = try PostgresConnection(url: fixture.url, connectTimeoutSeconds: 5)
        let rows = try connection.query(
            "SELECT jsonb_typeof(payload), payload->>'tick', pg_typeof(payload)::text FROM snapshots WHERE id = $1",
            [.integer(info.id)], timeoutSeconds: 10)
        #expect(rows == [["object", "42", "jsonb"]])
    }

    @Test func closedPortIsUnavailable() throws {
        let port = try SilentListener.unusedPort()
        let start = Date()
        do {
            _ = try PostgresStore(url: "postgresql://postgres@127.0.0.1:\(port)/galaxy", logger: LogCapture().logger)
            Issue.record("connecting to a closed port succeeded")
        } catch let error as StoreError {
            guard case .unavailable(let backend, let reason) = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
            #expect(backend == "PostgreSQL")
            #expect(reason.contains("127.0.0.1:\(port)/galaxy"))
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func invalidURLIsRejected() throws {
        #expect {
            try PostgresStore(url: "not a url", logger: LogCapture().logger)
        } throws: { error in
            guard case StoreError.invalidArgument(let reason) = error else { return false }
            return reason.contains("invalid PostgreSQL connection URL")
        }
    }

    @Test func silentServerTimesOut() throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let start = Date()
        #expect(throws: StoreError.self) {
            try PostgresStore(url: "postgresql://postgres@127.0.0.1:\(listener.port)/galaxy", connectTimeoutSeconds: 2, logger: LogCapture().logger)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 1.5)
        #expect(elapsed < 10)
    }

    @Test func slowStatementTimesOut() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let store = try PostgresStore(url: fixture.url, queryTimeoutSeconds: 0.5, logger: LogCapture().logger)
        let start = Date()
        #expect(throws: StoreError.timedOut(backend: "PostgreSQL", operation: "sleep", seconds: 0.5)) {
            try store.withConnection("sleep", retryOnReconnect: false) { db in
                try db.query("SELECT pg_sleep(5)", timeoutSeconds: 0.5)
            }
        }
        #expect(Date().timeIntervalSince(start) < 3)
        // The timed-out connection was closed; the next call opens a new one.
        try store.ping()
    }

    @Test func terminatedConnectionReconnects() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let logs = LogCapture()
        let store = try PostgresStore(url: fixture.url, logger: logs.logger)
        let player = try store.createPlayer(username: "hana", passwordHash: "hash")
        let admin = try PostgresConnection(url: fixture.url, connectTimeoutSeconds: 5)

        try terminateBackend(of: store, using: admin)
        #expect(try store.player(id: player.id) == player, "a read is retried on a new connection")
        #expect(logs.contains("connection lost; reconnecting and retrying once"))

        try terminateBackend(of: store, using: admin)
        do {
            _ = try store.createPlayer(username: "ivan", passwordHash: "hash")
            Issue.record("a write on a terminated connection succeeded without an error")
        } catch let error as StoreError {
            #expect(error.isTransient, "\(error)")
        }
        #expect(try store.createPlayer(username: "ivan", passwordHash: "hash").username == "ivan")
        #expect(logs.contains("reconnected to database"))
    }

    private func terminateBackend(of store: PostgresStore, using admin: PostgresConnection) throws {
        let pid = try store.withConnection("backend pid", retryOnReconnect: false) { db in
            try db.query("SELECT pg_backend_pid()", timeoutSeconds: 5).first?.first ?? nil
        }
        let rows = try admin.query(
            "SELECT pg_terminate_backend($1::int)", [.integer(Int64(try #require(pid.flatMap { Int64($0) })))],
            timeoutSeconds: 5)
        #expect(rows == [["t"]])
    }
}

/// A TCP socket on 127.0.0.1 that completes handshakes (the kernel accepts into the backlog) but never
/// reads or replies, like a stalled server.
final class SilentListener: Sendable {
    let port: UInt16
    private let descriptor: Int32

    init() throws {
        (descriptor, port) = try SilentListener.bindLoopback()
        guard listen(descriptor, 16) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }

    /// Returns a loopback port with nothing listening on it (bound, then released).
    static func unusedPort() throws -> UInt16 {
        let (descriptor, port) = try bindLoopback()
        _ = Glibc.close(descriptor)
        return port
    }

    private static func bindLoopback() throws -> (Int32, UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else {
            _ = Glibc.close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }
}

import Dispatch
import Foundation
import Synchronization

/// The production store: PostgreSQL through libpq, with snapshots as JSONB.
///
/// Every statement is parameterized and bounded by a timeout, so an unreachable or stalled server
/// produces `StoreError.unavailable` or `StoreError.timedOut` instead of a hang. A broken connection is
/// reopened on the next call. Reads are retried once on a fresh connection but writes are not, because
/// the server may have committed a write before the connection broke.
public final class PostgresStore: GameStore {
    public let backendName = "PostgreSQL"
    /// Number of newest snapshots kept; older ones are deleted as new ones are saved.
    public let snapshotRetention: Int
    private let queryTimeoutSeconds: Double
    private let snapshotTimeoutSeconds: Double
    private let logger: Logger
    private let connection: ConnectionLock<PostgresConnection>
    /// After a call waited at least this long for a database that did not respond, calls fail at once for
    /// this long instead of each waiting for a timeout of its own behind the connection's lock. A burst of
    /// requests during an outage then gets its errors within about one timeout, and the first call after
    /// this time tries the database again.
    static let failFastSeconds = 2.0
    /// Monotonic seconds when a call last waited `failFastSeconds` or more for the database in vain, or nil
    /// after a success.
    private let lastUnreachable = Mutex<Double?>(nil)

    /// Connects to `url` (for example `postgresql://user@host:5432/galaxy`) and migrates the schema.
    /// `connectTimeoutSeconds` applies unless the URL sets `connect_timeout`. Statements time out after
    /// `queryTimeoutSeconds`, snapshot reads and writes after `snapshotTimeoutSeconds`.
    public init(
        url: String, connectTimeoutSeconds: Int = 5, queryTimeoutSeconds: Double = 10,
        snapshotTimeoutSeconds: Double = 60, snapshotRetention: Int = defaultSnapshotRetention, logger: Logger
    ) throws {
        guard snapshotRetention >= 2 else {
            throw StoreError.invalidArgument("snapshotRetention must be at least 2 to allow a fallback, got \(snapshotRetention)")
        }
        self.snapshotRetention = snapshotRetention
        self.queryTimeoutSeconds = queryTimeoutSeconds
        self.snapshotTimeoutSeconds = snapshotTimeoutSeconds
        let opened: PostgresConnection
        do {
            opened = try PostgresConnection(url: url, connectTimeoutSeconds: connectTimeoutSeconds)
        } catch let error as PostgresError {
            throw StoreError.unavailable(backend: "PostgreSQL", reason: error.message)
        }
        self.logger = logger.with("store", "postgres").with("target", opened.target)
        connection = ConnectionLock(opened)
        try migrate()
        self.logger.info("connected to database")
    }

    // MARK: Schema

    /// Key of the advisory lock that keeps two servers from migrating at once.
    private static let migrationLockKey: Int64 = 0x6761_6c61_7879  // "galaxy" in ASCII

    private static let migrations: [SchemaMigration] = [
        SchemaMigration(
            version: 1, summary: "players, sessions and snapshots",
            statements: [
                """
                CREATE TABLE players (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    username TEXT NOT NULL,
                    username_key TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL
                )
                """,
                """
                CREATE TABLE sessions (
                    token_hash BYTEA PRIMARY KEY,
                    player_id BIGINT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
                    created_at TIMESTAMPTZ NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL
                )
                """,
                "CREATE INDEX sessions_player_id ON sessions(player_id)",
                "CREATE INDEX sessions_expires_at ON sessions(expires_at)",
                """
                CREATE TABLE snapshots (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    tick BIGINT NOT NULL,
                    game_time_s DOUBLE PRECISION NOT NULL,
                    checksum TEXT NOT NULL,
                    saved_at TIMESTAMPTZ NOT NULL,
                    payload JSONB NOT NULL
                )
                """,
            ]),
    ]

    public func migrate() throws {
        try withConnection("migrate", retryOnReconnect: true) { db in
            try db.transaction(timeoutSeconds: queryTimeoutSeconds) {
                try query(db, "SELECT pg_advisory_xact_lock($1)", [.integer(Self.migrationLockKey)])
                try query(
                    db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
                let current = Int(try query(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version").first?.first??.int ?? 0)
                for migration in try Self.migrations.pending(after: current) {
                    for statement in migration.statements { try query(db, statement) }
                    try query(
                        db, "INSERT INTO schema_version (version, applied_at) VALUES ($1, now())",
                        [.integer(Int64(migration.version))])
                    logger.info("applied schema migration", [("version", migration.version), ("summary", migration.summary)])
                }
            }
        }
    }

    public func ping() throws {
        try withConnection("ping", retryOnReconnect: true) { db in try query(db, "SELECT 1") }
    }

    // MARK: Players

    public func createPlayer(username: String, passwordHash: String) throws -> PlayerRecord {
        try validatePlayerFields(username: username, passwordHash: passwordHash)
        let now = microsecondDate(Date())
        do {
            let rows = try withConnection("create player", retryOnReconnect: false) { db in
                try query(
                    db,
                    """
                    INSERT INTO players (username, username_key, password_hash, created_at)
                    VALUES ($1, $2, $3, to_timestamp($4)) RETURNING id
                    """,
                    [.text(username), .text(usernameKey(username)), .text(passwordHash), .real(now.timeIntervalSince1970)])
            }
            guard let id = rows.first?.first??.int64 else { throw unexpectedRow("players") }
            return PlayerRecord(id: id, username: username, passwordHash: passwordHash, createdAt: now)
        } catch let error as PostgresError where error.kind == .server(sqlState: PostgresError.uniqueViolation) {
            throw StoreError.duplicateUsername(username)
        }
    }

    public func player(byUsername username: String) throws -> PlayerRecord? {
        try findPlayer(where: "username_key = $1", .text(usernameKey(username)))
    }

    public func player(id: PlayerID) throws -> PlayerRecord? {
        try findPlayer(where: "id = $1", .integer(id))
    }

    /// Runs the player lookup with a fixed `condition` on one parameter.
    private func findPlayer(where condition: String, _ value: SQLValue) throws -> PlayerRecord? {
        let rows = try withConnection("find player", retryOnReconnect: true) { db in
            try query(
                db, "SELECT id, username, password_hash, \(epoch("created_at")) FROM players WHERE \(condition)", [value])
        }
        return try rows.first.map { try playerRecord($0[...]) }
    }

    /// Reads id, username, password hash and creation time (Unix seconds) from `columns`.
    private func playerRecord(_ columns: ArraySlice<String?>) throws -> PlayerRecord {
        let at = columns.startIndex
        guard columns.count == 4, let id = columns[at]?.int64, let username = columns[at + 1], let hash = columns[at + 2],
            let created = columns[at + 3]?.double
        else { throw unexpectedRow("players") }
        return PlayerRecord(id: id, username: username, passwordHash: hash, createdAt: Date(timeIntervalSince1970: created))
    }

    /// Reads player id, creation and expiry time (Unix seconds) from `columns`, a session row of `tokenHash`.
    private func sessionRecord(_ columns: ArraySlice<String?>, tokenHash: Data) throws -> SessionRecord {
        let at = columns.startIndex
        guard columns.count == 3, let player = columns[at]?.int64, let created = columns[at + 1]?.double,
            let expires = columns[at + 2]?.double
        else { throw unexpectedRow("sessions") }
        return SessionRecord(
            tokenHash: tokenHash, playerID: player, createdAt: Date(timeIntervalSince1970: created),
            expiresAt: Date(timeIntervalSince1970: expires))
    }

    public func deletePlayer(id: PlayerID) throws -> Bool {
        let rows = try withConnection("delete player", retryOnReconnect: false) { db in
            try query(db, "DELETE FROM players WHERE id = $1 RETURNING id", [.integer(id)])
        }
        return !rows.isEmpty
    }

    // MARK: Sessions

    public func createSession(tokenHash: Data, playerID: PlayerID, expiresAt: Date) throws -> SessionRecord {
        guard !tokenHash.isEmpty else { throw StoreError.invalidArgument("token hash is empty") }
        let now = microsecondDate(Date())
        let expiry = microsecondDate(expiresAt)
        do {
            try withConnection("create session", retryOnReconnect: false) { db in
                try query(
                    db,
                    """
                    INSERT INTO sessions (token_hash, player_id, created_at, expires_at)
                    VALUES ($1, $2, to_timestamp($3), to_timestamp($4))
                    """,
                    [.blob(tokenHash), .integer(playerID), .real(now.timeIntervalSince1970), .real(expiry.timeIntervalSince1970)])
            }
        } catch let error as PostgresError where error.kind == .server(sqlState: PostgresError.foreignKeyViolation) {
            throw StoreError.playerNotFound(playerID)
        }
        return SessionRecord(tokenHash: tokenHash, playerID: playerID, createdAt: now, expiresAt: expiry)
    }

    public func session(tokenHash: Data, at now: Date) throws -> SessionRecord? {
        let rows = try withConnection("find session", retryOnReconnect: true) { db in
            try query(
                db,
                """
                SELECT player_id, \(epoch("created_at")), \(epoch("expires_at")) FROM sessions
                WHERE token_hash = $1 AND expires_at > to_timestamp($2)
                """,
                [.blob(tokenHash), .real(now.timeIntervalSince1970)])
        }
        return try rows.first.map { try sessionRecord($0[...], tokenHash: tokenHash) }
    }

    public func sessionWithPlayer(tokenHash: Data, at now: Date) throws -> (session: SessionRecord, player: PlayerRecord)? {
        let rows = try withConnection("find session", retryOnReconnect: true) { db in
            try query(
                db,
                """
                SELECT s.player_id, \(epoch("s.created_at")), \(epoch("s.expires_at")),
                    p.id, p.username, p.password_hash, \(epoch("p.created_at"))
                FROM sessions s JOIN players p ON p.id = s.player_id
                WHERE s.token_hash = $1 AND s.expires_at > to_timestamp($2)
                """,
                [.blob(tokenHash), .real(now.timeIntervalSince1970)])
        }
        return try rows.first.map { row in
            guard row.count == 7 else { throw unexpectedRow("sessions") }
            return (try sessionRecord(row[0..<3], tokenHash: tokenHash), try playerRecord(row[3...]))
        }
    }

    public func deleteSession(tokenHash: Data) throws -> Bool {
        let rows = try withConnection("delete session", retryOnReconnect: false) { db in
            try query(db, "DELETE FROM sessions WHERE token_hash = $1 RETURNING player_id", [.blob(tokenHash)])
        }
        return !rows.isEmpty
    }

    public func deleteExpiredSessions(before now: Date) throws -> Int {
        let rows = try withConnection("delete expired sessions", retryOnReconnect: true) { db in
            try query(
                db, "DELETE FROM sessions WHERE expires_at <= to_timestamp($1) RETURNING player_id",
                [.real(now.timeIntervalSince1970)])
        }
        return rows.count
    }

    // MARK: Snapshots

    public func saveSnapshot(_ snapshot: WorldSnapshot) throws -> SnapshotInfo {
        let (sealed, json) = try sealForStorage(snapshot)
        let savedAt = microsecondDate(Date())
        let checksum = sealed.checksum ?? ""
        let timeout = snapshotTimeoutSeconds
        let id = try withConnection("save snapshot", retryOnReconnect: false) { db in
            try db.transaction(timeoutSeconds: timeout) {
                let rows = try db.query(
                    """
                    INSERT INTO snapshots (tick, game_time_s, checksum, saved_at, payload)
                    VALUES ($1, $2, $3, to_timestamp($4), $5::jsonb) RETURNING id
                    """,
                    [.integer(Int64(bitPattern: sealed.tick)), .real(sealed.gameTimeSeconds), .text(checksum),
                     .real(savedAt.timeIntervalSince1970), .text(String(decoding: json, as: UTF8.self))],
                    timeoutSeconds: timeout)
                try db.query(
                    "DELETE FROM snapshots WHERE id NOT IN (SELECT id FROM snapshots ORDER BY id DESC LIMIT $1)",
                    [.integer(Int64(snapshotRetention))], timeoutSeconds: timeout)
                return rows.first?.first??.int64 ?? 0
            }
        }
        return SnapshotInfo(
            id: id, tick: sealed.tick, gameTimeSeconds: sealed.gameTimeSeconds, checksum: checksum, savedAt: savedAt)
    }

    public func snapshotInfos() throws -> [SnapshotInfo] {
        let rows = try withConnection("list snapshots", retryOnReconnect: true) { db in
            try query(
                db, "SELECT id, tick, game_time_s, checksum, \(epoch("saved_at")) FROM snapshots ORDER BY id DESC")
        }
        return try rows.map { row in
            guard row.count == 5, let id = row[0]?.int64, let tick = row[1]?.int64, let time = row[2]?.double,
                let checksum = row[3], let saved = row[4]?.double
            else { throw unexpectedRow("snapshots") }
            return SnapshotInfo(
                id: id, tick: UInt64(bitPattern: tick), gameTimeSeconds: time, checksum: checksum,
                savedAt: Date(timeIntervalSince1970: saved))
        }
    }

    public func latestSnapshot() throws -> WorldSnapshot? {
        let timeout = snapshotTimeoutSeconds
        return try SnapshotSelection.newestValid(infos: try snapshotInfos(), backend: backendName, logger: logger) { id in
            let rows = try withConnection("load snapshot", retryOnReconnect: true) { db in
                try db.query("SELECT payload::text FROM snapshots WHERE id = $1", [.integer(id)], timeoutSeconds: timeout)
            }
            return rows.first?.first?.map { Data($0.utf8) }
        }
    }

    // MARK: Connection and errors

    /// Runs `body` with the connection locked, reconnecting first if the last call broke it. With
    /// `retryOnReconnect`, a connection lost during `body` is reopened and `body` runs once more; use it
    /// only for statements that are safe to repeat. libpq errors become `StoreError`s naming `operation`,
    /// except unique and foreign-key violations, which pass through for the caller to map.
    func withConnection<T>(
        _ operation: String, retryOnReconnect: Bool, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        do {
            return try connection.withLock { db in
                if let failedAt = lastUnreachable.withLock({ $0 }), Self.monotonicSeconds() - failedAt < Self.failFastSeconds {
                    throw StoreError.unavailable(
                        backend: backendName,
                        reason: "\(operation): skipped because the previous call found the database unresponsive; tried again within \(Self.failFastSeconds) s")
                }
                let started = Self.monotonicSeconds()
                do {
                    let result = try run(operation, on: db, retryOnReconnect: retryOnReconnect, body)
                    lastUnreachable.withLock { $0 = nil }
                    return result
                } catch let error as PostgresError where error.isUnreachable {
                    // Only a call that waited for a silent database makes the next ones fail at once. A refused
                    // or broken connection fails quickly by itself, and a reconnect may well succeed.
                    let now = Self.monotonicSeconds()
                    if now - started >= Self.failFastSeconds { lastUnreachable.withLock { $0 = now } }
                    throw error
                }
            }
        } catch let error as PostgresError {
            throw storeError(error, operation: operation)
        }
    }

    /// Runs `body` on `db`, connecting first if the last call broke the connection, and once more on a new
    /// connection when `retryOnReconnect` and the connection broke during `body`.
    private func run<T>(
        _ operation: String, on db: PostgresConnection, retryOnReconnect: Bool, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        if !db.isConnected {
            try db.connect()
            logger.info("reconnected to database", [("operation", operation)])
        }
        do {
            return try body(db)
        } catch let error as PostgresError where error.kind == .connection && retryOnReconnect {
            logger.warning("connection lost; reconnecting and retrying once", [("operation", operation), ("error", error)])
            try db.connect()
            return try body(db)
        }
    }

    private static func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    @discardableResult
    private func query(_ db: PostgresConnection, _ sql: String, _ parameters: [SQLValue] = []) throws -> PostgresConnection.Rows {
        try db.query(sql, parameters, timeoutSeconds: queryTimeoutSeconds)
    }

    private func storeError(_ error: PostgresError, operation: String) -> Error {
        switch error.kind {
        case .connection:
            return StoreError.unavailable(backend: backendName, reason: "\(operation): \(error.message)")
        case .timeout(let seconds):
            return StoreError.timedOut(backend: backendName, operation: operation, seconds: seconds)
        case .server(let state) where state == PostgresError.uniqueViolation || state == PostgresError.foreignKeyViolation:
            return error
        case .server:
            return StoreError.queryFailed(backend: backendName, operation: operation, message: error.message)
        }
    }

    private func unexpectedRow(_ table: String) -> StoreError {
        StoreError.queryFailed(backend: backendName, operation: "read \(table)", message: "unexpected column values in row")
    }
}

/// Returns the SQL expression for a timestamp column as float8 seconds since 1970.
private func epoch(_ column: String) -> String {
    "EXTRACT(EPOCH FROM \(column))::float8"
}

/// Returns `date` rounded to whole microseconds, the resolution of PostgreSQL's TIMESTAMPTZ, so that a
/// record returned by a write equals the one a later read returns.
private func microsecondDate(_ date: Date) -> Date {
    Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
}

extension String {
    fileprivate var int64: Int64? { Int64(self) }
    fileprivate var int: Int? { Int(self) }
    fileprivate var double: Double? { Double(self) }
}

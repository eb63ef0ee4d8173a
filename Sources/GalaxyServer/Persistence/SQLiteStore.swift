import CSQLite
import Foundation

/// The embedded store: one SQLite file under a data directory, so a first run needs no database server.
///
/// The file uses write-ahead logging with `synchronous=FULL`, so each commit is synced to disk before the
/// call returns and a crash or power loss keeps every committed write. Calls are serialized on one
/// connection; another process writing the same file is waited for up to the busy timeout.
public final class SQLiteStore: GameStore {
    public let backendName = "SQLite"
    /// The database file.
    public let fileURL: URL
    /// Number of newest snapshots kept; older ones are deleted as new ones are saved.
    public let snapshotRetention: Int
    private let busyTimeoutSeconds: Double
    private let logger: Logger
    private let connection: ConnectionLock<SQLiteConnection>

    /// Opens or creates `fileName` in `directory` (created if missing) and migrates its schema.
    /// `busyTimeoutSeconds` bounds the wait for a lock held by another connection to the same file.
    public init(
        directory: URL, fileName: String = "galaxy.sqlite", busyTimeoutSeconds: Double = 5,
        snapshotRetention: Int = defaultSnapshotRetention, logger: Logger
    ) throws {
        guard snapshotRetention >= 2 else {
            throw StoreError.invalidArgument("snapshotRetention must be at least 2 to allow a fallback, got \(snapshotRetention)")
        }
        self.fileURL = directory.appendingPathComponent(fileName)
        self.snapshotRetention = snapshotRetention
        self.busyTimeoutSeconds = busyTimeoutSeconds
        self.logger = logger.with("store", "sqlite")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.unavailable(
                backend: "SQLite", reason: "cannot create data directory \(directory.path): \(error.localizedDescription)")
        }
        do {
            let opened = try SQLiteConnection(path: fileURL.path, busyTimeoutMilliseconds: Int32(busyTimeoutSeconds * 1000))
            connection = ConnectionLock(opened)
        } catch {
            throw StoreError.unavailable(backend: "SQLite", reason: "cannot open \(fileURL.path): \(error)")
        }
        try configure()
        try migrate()
        // The file may have just been created: sync its directory entry so that it survives a power loss.
        try? DurableFile.syncDirectory(directory)
        self.logger.info("opened database", [("path", fileURL.path)])
    }

    // MARK: Schema

    private static let migrations: [SchemaMigration] = [
        SchemaMigration(
            version: 1, summary: "players, sessions and snapshots",
            statements: [
                """
                CREATE TABLE players (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    username TEXT NOT NULL,
                    username_key TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    created_at REAL NOT NULL
                )
                """,
                """
                CREATE TABLE sessions (
                    token_hash BLOB PRIMARY KEY,
                    player_id INTEGER NOT NULL REFERENCES players(id) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL
                )
                """,
                "CREATE INDEX sessions_player_id ON sessions(player_id)",
                "CREATE INDEX sessions_expires_at ON sessions(expires_at)",
                """
                CREATE TABLE snapshots (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    tick INTEGER NOT NULL,
                    game_time_s REAL NOT NULL,
                    checksum TEXT NOT NULL,
                    saved_at REAL NOT NULL,
                    payload TEXT NOT NULL
                )
                """,
            ]),
    ]

    private func configure() throws {
        try withConnection("configure") { db in
            let mode = try db.query("PRAGMA journal_mode=WAL").first?.first?.string ?? "unknown"
            if mode.lowercased() != "wal" {
                // Still durable with synchronous=FULL, but readers then block the writer.
                logger.warning("write-ahead logging unavailable; using another journal mode", [("journal_mode", mode)])
            }
            try db.execute("PRAGMA synchronous=FULL")
            try db.execute("PRAGMA foreign_keys=ON")
        }
    }

    public func migrate() throws {
        try withConnection("migrate") { db in
            try db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
            let current = try Self.schemaVersion(db)
            for migration in try Self.migrations.pending(after: current) {
                try db.transaction {
                    // Another process may have applied it since the version was read.
                    guard try Self.schemaVersion(db) < migration.version else { return }
                    for statement in migration.statements { try db.execute(statement) }
                    try db.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                        [.integer(Int64(migration.version)), .real(Date().timeIntervalSince1970)])
                    logger.info("applied schema migration", [("version", migration.version), ("summary", migration.summary)])
                }
            }
        }
    }

    private static func schemaVersion(_ db: SQLiteConnection) throws -> Int {
        Int(try db.query("SELECT COALESCE(MAX(version), 0) FROM schema_version").first?.first?.int64 ?? 0)
    }

    public func ping() throws {
        try withConnection("ping") { db in _ = try db.query("SELECT 1") }
    }

    // MARK: Players

    public func createPlayer(username: String, passwordHash: String) throws -> PlayerRecord {
        try validatePlayerFields(username: username, passwordHash: passwordHash)
        let now = Date()
        do {
            return try withConnection("create player") { db in
                let rows = try db.query(
                    "INSERT INTO players (username, username_key, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                    [.text(username), .text(usernameKey(username)), .text(passwordHash), .real(now.timeIntervalSince1970)])
                guard let id = rows.first?.first?.int64 else {
                    throw StoreError.queryFailed(backend: backendName, operation: "create player", message: "no id returned")
                }
                return PlayerRecord(id: id, username: username, passwordHash: passwordHash, createdAt: storedDate(now))
            }
        } catch let error as SQLiteError where error.code == SQLiteError.uniqueConstraint {
            throw StoreError.duplicateUsername(username)
        }
    }

    public func player(byUsername username: String) throws -> PlayerRecord? {
        try withConnection("find player") { db in
            try db.query(
                "SELECT id, username, password_hash, created_at FROM players WHERE username_key = ?",
                [.text(usernameKey(username))]
            ).first.map(playerRecord)
        }
    }

    public func player(id: PlayerID) throws -> PlayerRecord? {
        try withConnection("find player") { db in
            try db.query("SELECT id, username, password_hash, created_at FROM players WHERE id = ?", [.integer(id)])
                .first.map(playerRecord)
        }
    }

    public func deletePlayer(id: PlayerID) throws -> Bool {
        try withConnection("delete player") { db in
            try db.execute("DELETE FROM players WHERE id = ?", [.integer(id)]) > 0
        }
    }

    private func playerRecord(_ row: [SQLValue]) throws -> PlayerRecord {
        guard row.count == 4, let id = row[0].int64, let username = row[1].string, let hash = row[2].string,
            let created = row[3].double
        else { throw unexpectedRow("players") }
        return PlayerRecord(id: id, username: username, passwordHash: hash, createdAt: Date(timeIntervalSince1970: created))
    }

    // MARK: Sessions

    public func createSession(tokenHash: Data, playerID: PlayerID, expiresAt: Date) throws -> SessionRecord {
        guard !tokenHash.isEmpty else { throw StoreError.invalidArgument("token hash is empty") }
        let now = Date()
        do {
            try withConnection("create session") { db in
                try db.execute(
                    "INSERT INTO sessions (token_hash, player_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                    [.blob(tokenHash), .integer(playerID), .real(now.timeIntervalSince1970),
                     .real(expiresAt.timeIntervalSince1970)])
            }
        } catch let error as SQLiteError where error.code == SQLiteError.foreignKeyConstraint {
            throw StoreError.playerNotFound(playerID)
        }
        return SessionRecord(
            tokenHash: tokenHash, playerID: playerID, createdAt: storedDate(now), expiresAt: storedDate(expiresAt))
    }

    public func session(tokenHash: Data, at now: Date) throws -> SessionRecord? {
        try withConnection("find session") { db in
            let rows = try db.query(
                "SELECT player_id, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
                [.blob(tokenHash), .real(now.timeIntervalSince1970)])
            return try rows.first.map { row in
                guard row.count == 3, let player = row[0].int64, let created = row[1].double, let expires = row[2].double
                else { throw unexpectedRow("sessions") }
                return SessionRecord(
                    tokenHash: tokenHash, playerID: player, createdAt: Date(timeIntervalSince1970: created),
                    expiresAt: Date(timeIntervalSince1970: expires))
            }
        }
    }

    public func deleteSession(tokenHash: Data) throws -> Bool {
        try withConnection("delete session") { db in
            try db.execute("DELETE FROM sessions WHERE token_hash = ?", [.blob(tokenHash)]) > 0
        }
    }

    public func deleteExpiredSessions(before now: Date) throws -> Int {
        try withConnection("delete expired sessions") { db in
            try db.execute("DELETE FROM sessions WHERE expires_at <= ?", [.real(now.timeIntervalSince1970)])
        }
    }

    // MARK: Snapshots

    public func saveSnapshot(_ snapshot: WorldSnapshot) throws -> SnapshotInfo {
        let (sealed, json) = try sealForStorage(snapshot)
        let savedAt = Date()
        let checksum = sealed.checksum ?? ""
        guard let payload = String(data: json, encoding: .utf8) else {
            throw StoreError.invalidArgument("snapshot JSON is not UTF-8")
        }
        let id = try withConnection("save snapshot") { db in
            try db.transaction {
                let rows = try db.query(
                    "INSERT INTO snapshots (tick, game_time_s, checksum, saved_at, payload) VALUES (?, ?, ?, ?, ?) RETURNING id",
                    [.integer(Int64(bitPattern: sealed.tick)), .real(sealed.gameTimeSeconds), .text(checksum),
                     .real(savedAt.timeIntervalSince1970), .text(payload)])
                try db.execute(
                    "DELETE FROM snapshots WHERE id NOT IN (SELECT id FROM snapshots ORDER BY id DESC LIMIT ?)",
                    [.integer(Int64(snapshotRetention))])
                return rows.first?.first?.int64 ?? 0
            }
        }
        return SnapshotInfo(
            id: id, tick: sealed.tick, gameTimeSeconds: sealed.gameTimeSeconds, checksum: checksum, savedAt: savedAt)
    }

    public func snapshotInfos() throws -> [SnapshotInfo] {
        try withConnection("list snapshots") { db in
            try db.query("SELECT id, tick, game_time_s, checksum, saved_at FROM snapshots ORDER BY id DESC").map { row in
                guard row.count == 5, let id = row[0].int64, let tick = row[1].int64, let time = row[2].double,
                    let checksum = row[3].string, let saved = row[4].double
                else { throw unexpectedRow("snapshots") }
                return SnapshotInfo(
                    id: id, tick: UInt64(bitPattern: tick), gameTimeSeconds: time, checksum: checksum,
                    savedAt: Date(timeIntervalSince1970: saved))
            }
        }
    }

    public func latestSnapshot() throws -> WorldSnapshot? {
        try SnapshotSelection.newestValid(infos: try snapshotInfos(), backend: backendName, logger: logger) { id in
            try withConnection("load snapshot") { db in
                try db.query("SELECT payload FROM snapshots WHERE id = ?", [.integer(id)]).first?.first?.data
            }
        }
    }

    // MARK: Connection and errors

    /// Runs `body` with the connection locked and turns SQLite errors into `StoreError`s that name
    /// `operation`. Unique and foreign-key violations pass through as `SQLiteError` for the caller to map.
    func withConnection<T>(_ operation: String, _ body: (SQLiteConnection) throws -> T) throws -> T {
        do {
            return try connection.withLock { db in try body(db) }
        } catch let error as SQLiteError {
            throw storeError(error, operation: operation)
        }
    }

    private func storeError(_ error: SQLiteError, operation: String) -> Error {
        switch error.primaryCode {
        case SQLITE_CONSTRAINT where error.code == SQLiteError.uniqueConstraint || error.code == SQLiteError.foreignKeyConstraint:
            return error
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StoreError.timedOut(backend: backendName, operation: operation, seconds: busyTimeoutSeconds)
        case SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_PERM:
            return StoreError.unavailable(backend: backendName, reason: "\(operation) on \(fileURL.path): \(error)")
        default:
            return StoreError.queryFailed(backend: backendName, operation: operation, message: error.description)
        }
    }

    private func unexpectedRow(_ table: String) -> StoreError {
        StoreError.queryFailed(backend: backendName, operation: "read \(table)", message: "unexpected column types in row")
    }
}

/// Returns `date` as it reads back from the database, which stores seconds since 1970 in a Double.
/// The conversion can change the last bit of `Date`'s own representation.
private func storedDate(_ date: Date) -> Date {
    Date(timeIntervalSince1970: date.timeIntervalSince1970)
}

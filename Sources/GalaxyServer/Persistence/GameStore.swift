import Foundation

/// Database row id of a player.
public typealias PlayerID = Int64

/// A registered player as stored.
public struct PlayerRecord: Sendable, Equatable {
    public var id: PlayerID
    /// The name as the player typed it; uniqueness ignores case (see `GameStore.createPlayer`).
    public var username: String
    /// The encoded password hash (for example libsodium's argon2id string); never the password.
    public var passwordHash: String
    public var createdAt: Date

    public init(id: PlayerID, username: String, passwordHash: String, createdAt: Date) {
        self.id = id
        self.username = username
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

/// A login session, found by the hash of its bearer token (the token itself is never stored).
public struct SessionRecord: Sendable, Equatable {
    public var tokenHash: Data
    public var playerID: PlayerID
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: Data, playerID: PlayerID, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.playerID = playerID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Metadata of a stored snapshot row.
public struct SnapshotInfo: Sendable, Equatable {
    /// Row id; rows are numbered in the order they were saved.
    public var id: Int64
    public var tick: UInt64
    public var gameTimeSeconds: Double
    public var checksum: String
    public var savedAt: Date
}

/// Failures of a `GameStore`. Each message names the backend, the value involved and what to do next.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// Another player already has this username, ignoring case.
    case duplicateUsername(String)
    /// The player id does not exist, for example when creating a session for a deleted player.
    case playerNotFound(PlayerID)
    /// The database cannot be reached or opened; the request can be retried later.
    case unavailable(backend: String, reason: String)
    /// The database did not respond within the timeout.
    case timedOut(backend: String, operation: String, seconds: Double)
    /// A statement failed for a reason other than the ones above.
    case queryFailed(backend: String, operation: String, message: String)
    /// The schema was written by a newer server version than this one.
    case schemaTooNew(found: Int, supported: Int)
    /// Snapshots exist but none of them passes its checksum.
    case noValidSnapshot(checked: Int)
    /// An argument was rejected before reaching the database.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .duplicateUsername(let name):
            return "username '\(name)' is already taken; choose another"
        case .playerNotFound(let id):
            return "player \(id) not found"
        case .unavailable(let backend, let reason):
            return "\(backend) database unavailable: \(reason)"
        case .timedOut(let backend, let operation, let seconds):
            return "\(backend) \(operation) timed out after \(seconds) s; the database may be overloaded or unreachable"
        case .queryFailed(let backend, let operation, let message):
            return "\(backend) \(operation) failed: \(message)"
        case .schemaTooNew(let found, let supported):
            return "database schema version \(found) is newer than this server supports (\(supported)); upgrade the server"
        case .noValidSnapshot(let checked):
            return "none of the \(checked) stored snapshots passed its checksum; restore the database from a backup"
        case .invalidArgument(let reason):
            return "invalid argument: \(reason)"
        }
    }

    /// True for failures that a later retry may fix (the database was down or slow).
    public var isTransient: Bool {
        switch self {
        case .unavailable, .timedOut: return true
        default: return false
        }
    }
}

/// Durable storage for players, sessions and world snapshots. Every write is durable when the call
/// returns: it has been committed and synced to disk by the database.
///
/// Implementations are thread-safe and serialize calls on one connection, so a long snapshot write
/// delays other calls on the same store. Give the snapshot writer its own store instance to keep
/// account requests from waiting behind it.
public protocol GameStore: AnyObject, Sendable {
    /// Name used in errors and logs ("SQLite", "PostgreSQL").
    var backendName: String { get }

    /// Applies every schema migration newer than the database's `schema_version`. Safe to call again,
    /// and implementations call it when they open.
    func migrate() throws

    /// Checks that the database responds, for readiness probes.
    func ping() throws

    /// Inserts a player. Usernames are unique ignoring case: a second "Alice" after "alice" throws
    /// `StoreError.duplicateUsername`.
    func createPlayer(username: String, passwordHash: String) throws -> PlayerRecord

    /// Looks up a player by username, ignoring case.
    func player(byUsername username: String) throws -> PlayerRecord?

    func player(id: PlayerID) throws -> PlayerRecord?

    /// Deletes a player and their sessions. Returns false if no such player existed.
    @discardableResult
    func deletePlayer(id: PlayerID) throws -> Bool

    /// Stores a session for `playerID`, throwing `StoreError.playerNotFound` if the player does not exist.
    func createSession(tokenHash: Data, playerID: PlayerID, expiresAt: Date) throws -> SessionRecord

    /// Looks up a session that is still valid at `now`; an expired session returns nil.
    func session(tokenHash: Data, at now: Date) throws -> SessionRecord?

    /// Looks up a session that is still valid at `now` together with its player, or nil when either is
    /// missing. Every authenticated request and WebSocket upgrade needs both, so a store that talks to its
    /// database over a network fetches them in one round trip.
    func sessionWithPlayer(tokenHash: Data, at now: Date) throws -> (session: SessionRecord, player: PlayerRecord)?

    /// Deletes a session (log out). Returns false if it did not exist.
    @discardableResult
    func deleteSession(tokenHash: Data) throws -> Bool

    /// Deletes sessions that expired before `now` and returns how many were removed.
    @discardableResult
    func deleteExpiredSessions(before now: Date) throws -> Int

    /// Stores `snapshot` with its checksum in one transaction and prunes the oldest rows beyond the
    /// store's retention count. Returns the stored row's metadata.
    @discardableResult
    func saveSnapshot(_ snapshot: WorldSnapshot) throws -> SnapshotInfo

    /// Loads the newest snapshot that decodes and passes its checksum, trying older ones in turn and
    /// logging each one skipped and the one loaded. Returns nil when no snapshot exists and throws
    /// `StoreError.noValidSnapshot` when snapshots exist but none is valid.
    func latestSnapshot() throws -> WorldSnapshot?

    /// Lists stored snapshots, newest first.
    func snapshotInfos() throws -> [SnapshotInfo]
}

extension GameStore {
    /// Looks up the session, then its player: two calls, for stores whose calls cost no round trip.
    public func sessionWithPlayer(tokenHash: Data, at now: Date) throws -> (session: SessionRecord, player: PlayerRecord)? {
        guard let session = try session(tokenHash: tokenHash, at: now), let player = try player(id: session.playerID) else { return nil }
        return (session, player)
    }

    /// Looks up a session that is still valid now.
    public func session(tokenHash: Data) throws -> SessionRecord? {
        try session(tokenHash: tokenHash, at: Date())
    }
}

/// Key under which usernames are compared: Unicode lowercase, computed in Swift so that both backends
/// compare the same way whatever their collation.
func usernameKey(_ username: String) -> String {
    username.lowercased()
}

/// Number of snapshots a store keeps by default: enough to fall back past a damaged newest one.
public let defaultSnapshotRetention = 5

/// Checks the player fields that both backends require.
func validatePlayerFields(username: String, passwordHash: String) throws {
    guard !username.isEmpty, !username.contains("\0") else {
        throw StoreError.invalidArgument("username must be non-empty and contain no NUL character")
    }
    guard !passwordHash.isEmpty, !passwordHash.contains("\0") else {
        throw StoreError.invalidArgument("password hash must be non-empty and contain no NUL character")
    }
}

/// Seals `snapshot` for a store, turning encoding failures (a non-finite number) into `StoreError`.
func sealForStorage(_ snapshot: WorldSnapshot) throws -> (snapshot: WorldSnapshot, json: Data) {
    do {
        return try snapshot.sealed()
    } catch {
        throw StoreError.invalidArgument("snapshot at tick \(snapshot.tick) cannot be stored: \(error)")
    }
}

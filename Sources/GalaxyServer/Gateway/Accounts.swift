import Foundation
import Synchronization

/// Players' accounts and sessions: registration, log-in, bearer tokens. Blocking (argon2id and store
/// calls): call it from worker threads, never from the transport's service thread, except
/// `authenticate`, which reads from memory after a token's first use and queries the store again at most
/// every `revalidateAfterSeconds`.
final class Accounts: Sendable {
    struct Session: Sendable {
        var player: PlayerRecord
        var expiresAt: Date
        /// When the store last confirmed the session.
        var checkedAt = Date()
    }

    static let tokenLifetime: TimeInterval = 7 * 86_400
    /// Seconds a cached session is trusted before the store is asked again. Gateway replicas each keep
    /// a cache, so a log-out or account deletion on one replica reaches the others within this time.
    static let revalidateAfterSeconds: TimeInterval = 15

    let store: any GameStore
    let cache = Mutex<[Data: Session]>([:])
    /// Tokens that opened no session when `prefetch` asked, and why; see Accounts+Upgrade.swift.
    let rejections = Mutex<[Data: Rejection]>([:])
    /// Seconds since 1970 of the store's last failure in a token lookup, or 0.
    let lastStoreFailure = Atomic<Double>(0)
    /// Store lookups made for WebSocket upgrades (galaxy_websocket_token_lookups_total).
    let upgradeLookups = Atomic<Int>(0)
    let logger: Logger

    init(store: any GameStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    static func validate(username: Any?, password: Any?) throws -> (String, String) {
        guard let username = username as? String else { throw APIError.invalid("username: missing or not a string") }
        guard let password = password as? String else { throw APIError.invalid("password: missing or not a string") }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        guard (3...32).contains(username.count), username.unicodeScalars.allSatisfy(allowed.contains) else {
            throw APIError.invalid("username: must be 3 to 32 characters of A-Z a-z 0-9 _ -, got '\(username.prefix(40))'")
        }
        guard (8...256).contains(password.count) else {
            throw APIError.invalid("password: must be 8 to 256 characters, got \(password.count)")
        }
        return (username, password)
    }

    /// Creates the player (durable when this returns) and a session.
    func register(username: String, password: String) throws -> (PlayerRecord, token: String, expiresAt: Date) {
        let hash = try Credentials.hashPassword(password)
        let player: PlayerRecord
        do {
            player = try store.createPlayer(username: username, passwordHash: hash)
        } catch let error as StoreError {
            throw Accounts.apiError(error)
        }
        logger.info("player registered", [("player", player.id), ("username", player.username)])
        let session = try openSession(for: player)
        return (player, session.token, session.expiresAt)
    }

    func login(username: String, password: String) throws -> (PlayerRecord, token: String, expiresAt: Date) {
        let player: PlayerRecord?
        do {
            player = try store.player(byUsername: username)
        } catch let error as StoreError {
            throw Accounts.apiError(error)
        }
        guard let player, Credentials.verify(password, hash: player.passwordHash) else {
            throw APIError(status: 401, code: "invalid_credentials", message: "unknown username or wrong password")
        }
        let session = try openSession(for: player)
        return (player, session.token, session.expiresAt)
    }

    private func openSession(for player: PlayerRecord) throws -> (token: String, expiresAt: Date) {
        let token = Credentials.newToken()
        let expiresAt = Date().addingTimeInterval(Accounts.tokenLifetime)
        do {
            _ = try store.createSession(tokenHash: Credentials.tokenHash(token), playerID: player.id, expiresAt: expiresAt)
        } catch let error as StoreError {
            throw Accounts.apiError(error)
        }
        cache.withLock { $0[Credentials.tokenHash(token)] = Session(player: player, expiresAt: expiresAt) }
        return (token, expiresAt)
    }

    /// Returns the player behind a token, or nil if it is unknown or expired. Reads the store on a cache miss.
    func authenticate(token: String) throws -> PlayerRecord? {
        try authenticate(tokenHash: Credentials.tokenHash(token))
    }

    /// Returns the player behind a token's hash, as `authenticate(token:)` does. With `quiet`, trusting a
    /// cached session while the store is down is not logged, for callers that check many sessions at once.
    func authenticate(tokenHash hash: Data, quiet: Bool = false) throws -> PlayerRecord? {
        let now = Date()
        let cached = cache.withLock { $0[hash] }
        if let cached, now.timeIntervalSince(cached.checkedAt) < Accounts.revalidateAfterSeconds {
            return cached.expiresAt > now ? cached.player : nil
        }
        do {
            guard let found = try store.sessionWithPlayer(tokenHash: hash, at: now) else {
                cache.withLock { _ = $0.removeValue(forKey: hash) }
                return nil
            }
            cache.withLock { $0[hash] = Session(player: found.player, expiresAt: found.session.expiresAt, checkedAt: now) }
            return found.player
        } catch let error as StoreError {
            // The time of the failure, not of the call: a lookup can take the store's whole timeout.
            lastStoreFailure.store(Date().timeIntervalSince1970, ordering: .relaxed)
            // While the store is down, a session it confirmed before stays valid until it expires.
            if let cached, cached.expiresAt > now {
                if !quiet {
                    logger.warning("store unreachable; trusting a cached session", [("player", cached.player.id), ("error", "\(error)")])
                }
                return cached.player
            }
            throw Accounts.apiError(error)
        }
    }

    /// Returns the player for an `Authorization: Bearer TOKEN` header.
    func authenticate(header: String) throws -> (PlayerRecord, token: String) {
        let prefix = "Bearer "
        guard header.hasPrefix(prefix) else { throw APIError.unauthorized }
        let token = String(header.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        guard let player = try authenticate(token: token) else { throw APIError.unauthorized }
        return (player, token)
    }

    func logout(token: String) throws {
        let hash = Credentials.tokenHash(token)
        cache.withLock { _ = $0.removeValue(forKey: hash) }
        do { _ = try store.deleteSession(tokenHash: hash) } catch let error as StoreError { throw Accounts.apiError(error) }
    }

    /// Deletes the player and forgets every cached session of theirs.
    func delete(player: PlayerRecord) throws {
        cache.withLock { sessions in sessions = sessions.filter { $0.value.player.id != player.id } }
        do { _ = try store.deletePlayer(id: player.id) } catch let error as StoreError { throw Accounts.apiError(error) }
        logger.info("player deleted", [("player", player.id)])
    }

    static func apiError(_ error: StoreError) -> APIError {
        switch error {
        case .duplicateUsername(let name):
            return APIError(status: 409, code: "username_taken", message: "username '\(name)' is already registered")
        case .playerNotFound(let id):
            return APIError.notFound("player \(id) not found")
        default:
            return error.isTransient ? APIError.unavailable("\(error)") : APIError(status: 500, code: "store_error", message: "\(error)")
        }
    }
}

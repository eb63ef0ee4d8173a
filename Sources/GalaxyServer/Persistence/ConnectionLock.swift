import Foundation

/// A database connection that many threads share, one call at a time.
///
/// `@unchecked Sendable` is sound because `connection` is private and only reachable inside
/// `withLock`, so no two threads use it at once. The connection types themselves are not thread-safe:
/// SQLite is opened without its own mutex, and a libpq connection must not be shared.
final class ConnectionLock<Connection>: @unchecked Sendable {
    private let lock = NSLock()
    private var connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    /// Runs `body` with exclusive use of the connection. The connection must not escape `body`.
    func withLock<T>(_ body: (inout Connection) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&connection)
    }
}

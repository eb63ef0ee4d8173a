import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A lock that keeps a second engine from running on the same world: the engine is the single
/// writer, and two of them would each tick and snapshot their own copy. With PostgreSQL it is a session
/// advisory lock on a connection of its own, kept for the engine's lifetime and released by PostgreSQL
/// when the process or its connection dies. With SQLite it is an flock(2) on a file in the data directory.
public final class EngineLock: @unchecked Sendable {
    private static let advisoryKey: Int64 = 0x6761_6c61_7879_01  // "galaxy" and 1
    private let release: () -> Void
    private let watcher: Thread?
    private let running = Atomic<Bool>(true)

    private init(release: @escaping () -> Void, watcher: Thread?) {
        self.release = release
        self.watcher = watcher
    }

    deinit { unlock() }

    public func unlock() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        release()
    }

    /// Locks the SQLite data directory, failing at once if another process holds it.
    public static func directory(_ path: String) throws -> EngineLock {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let file = URL(fileURLWithPath: path).appendingPathComponent("engine.lock").path
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.invalidArgument("cannot open \(file): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StoreError.invalidArgument("another galaxy serve is using the data directory \(path); stop it first")
        }
        return EngineLock(release: { close(fd) }, watcher: nil)
    }

    /// Takes the PostgreSQL lock, waiting (and logging every 10 s) while another engine holds it, as
    /// during a rolling replacement. `lost` runs if another engine took the lock while this engine's
    /// connection was down: this one must stop writing at once.
    public static func postgres(url: String, logger: Logger, lost: @escaping @Sendable () -> Void) throws -> EngineLock {
        let connection = try PostgresConnection(url: url, connectTimeoutSeconds: 5)
        var waited = 0.0
        while try !tryLock(connection) {
            if waited.truncatingRemainder(dividingBy: 10) == 0 {
                logger.warning("world lock in PostgreSQL is taken by another engine; waiting for it to stop", [("waited_s", Int(waited))])
            }
            Thread.sleep(forTimeInterval: 1)
            waited += 1
        }
        logger.info("world lock taken", [("database", connection.target)])
        let box = ConnectionBox(connection, session: try? sessionIdentity(connection), logger: logger)
        let lock = EngineLock(release: { box.closeUnlessChecking() }, watcher: nil)
        let thread = Thread { [weak lock] in
            // When unlock finds a check in progress, this thread closes the connection once the check ends.
            defer { box.close() }
            while let lock, lock.running.load(ordering: .acquiring) {
                Thread.sleep(forTimeInterval: 5)
                guard lock.running.load(ordering: .acquiring), !box.check() else { continue }
                logger.error("another engine took the world lock while this engine's connection was down")
                lost()
                return
            }
        }
        thread.name = "galaxy-engine-lock"
        thread.start()
        return lock
    }

    fileprivate static func tryLock(_ connection: PostgresConnection) throws -> Bool {
        let rows = try connection.query("SELECT pg_try_advisory_lock($1)", [.integer(advisoryKey)], timeoutSeconds: 10)
        return rows.first?.first??.hasPrefix("t") == true
    }

    /// Identifies the connection's session on the server: its backend's process id and start time, since
    /// process ids alone are reused.
    fileprivate static func sessionIdentity(_ connection: PostgresConnection) throws -> String? {
        let rows = try connection.query(
            "SELECT pid::text || '@' || backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()", timeoutSeconds: 10)
        return rows.first?.first ?? nil
    }

    /// Returns the session that holds the lock now, or nil when none does. A bigint advisory key shows in
    /// pg_locks as its high half in classid and its low half in objid, with objsubid 1. The identity is nil
    /// for a session of another role, whose backend_start pg_stat_activity hides: that session is not ours.
    fileprivate static func holderIdentity(_ connection: PostgresConnection) throws -> (identity: String?, pid: Int64)? {
        let rows = try connection.query(
            """
            SELECT a.pid::text || '@' || a.backend_start::text, l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = $1 AND l.objid::bigint = $2
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [.integer(advisoryKey >> 32), .integer(advisoryKey & 0xffff_ffff)], timeoutSeconds: 10)
        guard let row = rows.first, row.count == 2, let pid = row[1].flatMap({ Int64($0) }) else { return nil }
        return (row[0], pid)
    }

    /// Ends the session `pid` and waits for the lock in the same statement. A queued waiter gets the lock
    /// when the old session exits, and pg_try_advisory_lock fails while one waits, so no other engine can take it.
    fileprivate static func takeOver(_ connection: PostgresConnection, from pid: Int64) throws {
        try connection.query("SET lock_timeout = '8s'", timeoutSeconds: 10)
        try connection.query(
            """
            WITH ended AS MATERIALIZED (SELECT pg_terminate_backend($2::integer) AS signalled)
            SELECT signalled, pg_advisory_lock($1) FROM ended
            """, [.integer(advisoryKey), .integer(pid)], timeoutSeconds: 10)
    }
}

/// The lock's connection, used by the watcher thread and closed by `unlock`.
private final class ConnectionBox: @unchecked Sendable {
    private struct State {
        var connection: PostgresConnection?
        /// The session that took the lock last, and whether it is known to still hold it.
        var session: String?
        var holding = true
        /// The old sessions already named in a warning, so that each is logged once rather than every 5 s.
        var reportedHolder: String?
        var failedHolder: String?
    }

    private let state: Mutex<State>
    private let logger: Logger

    init(_ connection: sending PostgresConnection, session: String?, logger: Logger) {
        state = Mutex(State(connection: connection, session: session))
        self.logger = logger
    }

    /// Returns false only when the lock was lost to another engine. A broken connection usually means the
    /// session and its lock ended, so the lock is taken again as soon as PostgreSQL accepts a connection.
    /// While it does not, no other engine can take the lock either, so that counts as held. After a network
    /// failure PostgreSQL may keep the old session alive for a while. Its lock is still this engine's, so
    /// the check ends that session and takes the lock in the same statement.
    func check() -> Bool {
        state.withLock { s in
            guard let c = s.connection else { return true }
            let alive = (try? c.query("SELECT 1", timeoutSeconds: 10)) != nil
            if alive && s.holding { return true }
            s.holding = false
            guard alive || (try? c.connect()) != nil else { return true }
            guard let taken = try? EngineLock.tryLock(c) else { return true }
            if taken {
                recordRetaken(&s, on: c)
                return true
            }
            guard let holder = try? EngineLock.holderIdentity(c) else { return true }
            guard let identity = holder.identity, identity == s.session else { return false }
            if s.reportedHolder != identity {
                s.reportedHolder = identity
                logger.warning(
                    "PostgreSQL still keeps this engine's old session with the world lock; ending it to take the lock again",
                    [("pid", holder.pid)])
            }
            do {
                try EngineLock.takeOver(c, from: holder.pid)
                recordRetaken(&s, on: c)
            } catch {
                // Without the right to end it, or if it did not exit within lock_timeout, the old session keeps
                // the lock for this engine until PostgreSQL drops it. The warning is logged once per session.
                if s.failedHolder != identity {
                    s.failedHolder = identity
                    logger.warning(
                        "failed to end the old session with the world lock; trying again every 5 s until PostgreSQL drops it",
                        [("pid", holder.pid), ("error", "\(error)")])
                }
            }
            return true
        }
    }

    /// Notes that the lock is held again, by the session of `connection`.
    private func recordRetaken(_ s: inout State, on connection: PostgresConnection) {
        s.holding = true
        s.session = (try? EngineLock.sessionIdentity(connection)) ?? nil
        logger.info("world lock taken again after the connection to PostgreSQL broke")
    }

    func close() { state.withLock { $0.connection?.close(); $0.connection = nil } }

    /// Closes the connection, which releases the lock, unless a check is running. A check can wait for
    /// the database for up to its timeouts, and a stopping server should not wait with it.
    func closeUnlessChecking() { _ = state.withLockIfAvailable { $0.connection?.close(); $0.connection = nil } }
}

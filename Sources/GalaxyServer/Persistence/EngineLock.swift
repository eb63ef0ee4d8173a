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
        let box = ConnectionBox(connection)
        let lock = EngineLock(release: { box.close() }, watcher: nil)
        let thread = Thread { [weak lock] in
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
}

/// The lock's connection, used by the watcher thread and closed by `unlock`.
private final class ConnectionBox: @unchecked Sendable {
    private let connection: Mutex<PostgresConnection?>

    init(_ connection: sending PostgresConnection) { self.connection = Mutex(connection) }

    /// Returns false only when the lock was lost to another engine. A broken connection means the
    /// session and its lock ended, so the lock is taken again as soon as PostgreSQL accepts a connection.
    /// While it does not, no other engine can take the lock either, so that counts as held.
    func check() -> Bool {
        connection.withLock { held in
            guard let c = held else { return true }
            if (try? c.query("SELECT 1", timeoutSeconds: 10)) != nil { return true }
            guard (try? c.connect()) != nil else { return true }
            return (try? EngineLock.tryLock(c)) ?? true
        }
    }

    func close() { connection.withLock { $0?.close(); $0 = nil } }
}

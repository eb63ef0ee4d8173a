import Foundation

/// Writes world snapshots to a store on its own thread, so that the tick thread only hands a snapshot
/// over and never waits on the database.
///
/// Only the newest snapshot matters: one submitted while another is still pending replaces it. A failed
/// write is retried with exponential backoff until it succeeds or a newer snapshot replaces it, and
/// every failure is logged.
public final class SnapshotWriter: @unchecked Sendable {
    /// Exponential backoff between failed attempts, in seconds.
    public struct RetryPolicy: Sendable {
        public var initialDelaySeconds: Double
        public var maxDelaySeconds: Double

        public init(initialDelaySeconds: Double = 0.5, maxDelaySeconds: Double = 30) {
            self.initialDelaySeconds = initialDelaySeconds
            self.maxDelaySeconds = maxDelaySeconds
        }
    }

    /// Counters since the writer started.
    public struct Statistics: Sendable, Equatable {
        public var written = 0
        public var failedAttempts = 0
        /// Pending snapshots replaced by a newer one before they were written.
        public var replaced = 0
        public var lastWrittenTick: UInt64?
        public var lastWriteSeconds: Double?
    }

    private let store: any GameStore
    private let logger: Logger
    private let retry: RetryPolicy
    private let exportURL: URL?
    private let onSaved: (@Sendable (SnapshotInfo, Double) -> Void)?

    // Every field below is read and written only with `condition` locked; that is what makes the
    // `@unchecked Sendable` above sound.
    private let condition = NSCondition()
    private var pending: WorldSnapshot?
    private var writing = false
    private var stopDeadline: Date?
    private var finished = false
    private var stats = Statistics()

    /// Starts the writer thread. With `exportURL`, each saved snapshot is also written to that file
    /// atomically (temporary file, fsync, rename, fsync of the directory). `onSaved` receives each
    /// saved row and the seconds the store took, for metrics. The thread runs until
    /// `stop(timeoutSeconds:)` is called.
    public init(
        store: any GameStore, logger: Logger, retry: RetryPolicy = RetryPolicy(), exportURL: URL? = nil,
        onSaved: (@Sendable (SnapshotInfo, Double) -> Void)? = nil
    ) {
        self.store = store
        self.logger = logger.with("component", "snapshot-writer")
        self.retry = retry
        self.exportURL = exportURL
        self.onSaved = onSaved
        let thread = Thread { [self] in run() }
        thread.name = "galaxy-snapshot-writer"
        thread.start()
    }

    /// Queues `snapshot` for writing, replacing any snapshot not yet started. Returns at once.
    public func submit(_ snapshot: WorldSnapshot) {
        condition.lock()
        defer { condition.unlock() }
        guard stopDeadline == nil else {
            logger.warning("snapshot submitted after stop; ignored", [("tick", snapshot.tick)])
            return
        }
        if let replaced = pending {
            stats.replaced += 1
            logger.debug("pending snapshot replaced by a newer one", [("old_tick", replaced.tick), ("tick", snapshot.tick)])
        }
        pending = snapshot
        condition.broadcast()
    }

    /// Counters since the writer started.
    public var statistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Waits until nothing is pending or being written. Returns false if `timeoutSeconds` passed first.
    @discardableResult
    public func flush(timeoutSeconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        condition.lock()
        defer { condition.unlock() }
        while pending != nil || writing {
            guard condition.wait(until: deadline) else { return pending == nil && !writing }
        }
        return true
    }

    /// Writes what is pending, retrying failures until `timeoutSeconds` from now, then stops the thread.
    /// Returns true if everything submitted was written. Later submissions are ignored.
    @discardableResult
    public func stop(timeoutSeconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        condition.lock()
        defer { condition.unlock() }
        stopDeadline = stopDeadline ?? deadline
        condition.broadcast()
        while !finished {
            guard condition.wait(until: deadline) else { break }
        }
        let complete = finished && pending == nil
        if !complete {
            logger.error("stopped before the last snapshot was written", [("tick", pending?.tick ?? 0)])
        }
        return complete
    }

    // MARK: Writer thread

    private func run() {
        var delay = retry.initialDelaySeconds
        var failures = 0
        condition.lock()
        while let snapshot = nextSnapshot() {
            writing = true
            condition.unlock()
            let saved = write(snapshot, failures: failures, nextDelay: delay)
            condition.lock()
            writing = false
            if saved {
                failures = 0
                delay = retry.initialDelaySeconds
            } else {
                failures += 1
                stats.failedAttempts += 1
                // Retry this one unless a newer snapshot arrived meanwhile.
                if pending == nil { pending = snapshot }
                waitBeforeRetry(delay)
                delay = min(delay * 2, retry.maxDelaySeconds)
            }
            condition.broadcast()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// With `condition` locked: waits for a pending snapshot and takes it, or returns nil when the
    /// writer should exit (stopping with nothing pending, or the stop deadline has passed).
    private func nextSnapshot() -> WorldSnapshot? {
        while pending == nil && stopDeadline == nil { condition.wait() }
        if let deadline = stopDeadline, Date() >= deadline, pending != nil {
            return nil
        }
        let snapshot = pending
        pending = nil
        return snapshot
    }

    /// With `condition` locked: sleeps `seconds`, or until the stop deadline if that comes first.
    private func waitBeforeRetry(_ seconds: Double) {
        var wakeAt = Date().addingTimeInterval(seconds)
        while Date() < wakeAt {
            if let deadline = stopDeadline { wakeAt = min(wakeAt, deadline) }
            _ = condition.wait(until: wakeAt)
        }
    }

    /// Saves one snapshot (and exports it if configured); returns false if the store failed.
    private func write(_ snapshot: WorldSnapshot, failures: Int, nextDelay: Double) -> Bool {
        let start = Date()
        let info: SnapshotInfo
        do {
            info = try store.saveSnapshot(snapshot)
        } catch {
            logger.error(
                "snapshot write failed; will retry", [("tick", snapshot.tick), ("attempt", failures + 1),
                    ("retry_in_s", nextDelay), ("error", String(describing: error))])
            return false
        }
        let seconds = Date().timeIntervalSince(start)
        recordSaved(info, seconds: seconds)
        logger.info(
            failures == 0 ? "snapshot saved" : "snapshot saved after failed attempts",
            [("tick", info.tick), ("snapshot_id", info.id), ("duration_ms", Int(seconds * 1000)), ("failed_attempts", failures)])
        onSaved?(info, seconds)
        export(snapshot)
        return true
    }

    private func recordSaved(_ info: SnapshotInfo, seconds: Double) {
        condition.lock()
        stats.written += 1
        stats.lastWrittenTick = info.tick
        stats.lastWriteSeconds = seconds
        condition.unlock()
    }

    /// Writes the snapshot file; a failure is logged and not retried, because the next snapshot replaces it.
    private func export(_ snapshot: WorldSnapshot) {
        guard let exportURL else { return }
        do {
            try DurableFile.write(try snapshot.sealed().json, to: exportURL)
        } catch {
            logger.error(
                "snapshot export failed", [("tick", snapshot.tick), ("path", exportURL.path), ("error", String(describing: error))])
        }
    }
}

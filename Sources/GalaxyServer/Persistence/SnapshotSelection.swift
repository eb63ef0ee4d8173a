import Foundation

/// Picks the snapshot to restore from a store's rows, newest first.
enum SnapshotSelection {
    /// Returns the newest snapshot in `infos` (ordered newest first) whose payload decodes and whose
    /// checksum matches both its contents and the row's checksum column. Damaged rows are logged and
    /// skipped. Database errors from `fetchPayload` propagate, because they are not about the
    /// snapshot itself. A nil payload means the row was pruned meanwhile.
    static func newestValid(
        infos: [SnapshotInfo], backend: String, logger: Logger, fetchPayload: (Int64) throws -> Data?
    ) throws -> WorldSnapshot? {
        guard !infos.isEmpty else {
            logger.info("no stored snapshot; starting a new world", [("backend", backend)])
            return nil
        }
        var skipped = 0
        for info in infos {
            guard let payload = try fetchPayload(info.id) else {
                skipped += 1
                continue
            }
            do {
                let snapshot = try verified(payload, info: info)
                logger.info(
                    skipped == 0 ? "loaded newest snapshot" : "loaded an older snapshot after skipping damaged ones",
                    [("backend", backend), ("snapshot_id", info.id), ("tick", info.tick), ("skipped", skipped),
                     ("saved_at", info.savedAt.timeIntervalSince1970)])
                return snapshot
            } catch {
                skipped += 1
                logger.warning(
                    "skipping damaged snapshot",
                    [("backend", backend), ("snapshot_id", info.id), ("tick", info.tick), ("error", String(describing: error))])
            }
        }
        logger.error("no stored snapshot is valid", [("backend", backend), ("checked", infos.count)])
        throw StoreError.noValidSnapshot(checked: infos.count)
    }

    private static func verified(_ payload: Data, info: SnapshotInfo) throws -> WorldSnapshot {
        let snapshot = try WorldSnapshot.decodeVerified(payload)
        guard snapshot.checksum == info.checksum else {
            throw SnapshotError.checksumMismatch(stored: info.checksum, computed: snapshot.checksum ?? "none")
        }
        guard snapshot.tick == info.tick else {
            throw SnapshotError.incompatible("row records tick \(info.tick) but the payload has tick \(snapshot.tick)")
        }
        return snapshot
    }
}

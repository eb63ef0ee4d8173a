/// One step of a store's schema, applied once in a transaction and recorded in `schema_version`.
struct SchemaMigration: Sendable {
    var version: Int
    var summary: String
    var statements: [String]
}

extension Array where Element == SchemaMigration {
    /// The highest version in the list, the one a fully migrated database has.
    var latestVersion: Int { map(\.version).max() ?? 0 }

    /// The migrations newer than `current`, in version order. Throws when the database is newer than
    /// every migration known here, because an older server must not write a schema it does not know.
    func pending(after current: Int) throws -> [SchemaMigration] {
        guard current <= latestVersion else {
            throw StoreError.schemaTooNew(found: current, supported: latestVersion)
        }
        return filter { $0.version > current }.sorted { $0.version < $1.version }
    }
}

import Foundation

/// Settings of `galaxy serve`.
public struct ServerConfiguration: Sendable {
    public var engine = EngineConfiguration()
    public var gateway = GatewayConfiguration()
    /// Directory of the embedded SQLite store (and nothing else).
    public var dataDirectory = "galaxy-data"
    /// `postgres://...` or `postgresql://...` to use PostgreSQL instead of SQLite.
    public var databaseURL: String?
    /// Wall-clock seconds between world snapshots.
    public var snapshotIntervalSeconds = 60.0
    /// `redis://...` to also publish frames to gateway replicas and take their commands.
    public var redisURL: String?
    /// Generated ships added when the world starts fresh (load testing).
    public var generatedShips = 0

    public init() {}
}

import Foundation

/// Settings of `galaxy gateway`.
public struct GatewayAppConfiguration: Sendable {
    public var gateway = GatewayConfiguration()
    /// The engine's PostgreSQL (accounts and tokens are shared, so a token works on every replica).
    public var databaseURL = ""
    public var redisURL = ""
    /// Names this replica's reply channel; unique per replica (the pod name in Kubernetes).
    public var gatewayID = ProcessInfo.processInfo.hostName

    public init() {}
}

/// A gateway replica: the same HTTP API and WebSocket protocol as the engine's own gateway, with frames
/// from and commands to the engine over Redis. It keeps no world state of its own, so replicas can be
/// added, removed or restarted while the engine runs.
public final class GatewayApp: @unchecked Sendable {
    public let metrics = MetricsRegistry()
    let link: RedisEngineLink
    let gateway: GatewayServer
    private let logger: Logger

    public init(configuration: GatewayAppConfiguration, logger: Logger) throws {
        self.logger = logger
        let url = configuration.databaseURL
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw StoreError.invalidArgument(
                "a gateway needs --database postgres://... (the engine's PostgreSQL, where accounts and tokens live)")
        }
        let endpoint = try RedisEndpoint(url: configuration.redisURL)
        guard !configuration.gatewayID.isEmpty, configuration.gatewayID.utf8.count <= 128 else {
            throw StoreError.invalidArgument("--gateway-id must be 1 to 128 bytes")
        }
        let store = try PostgresStore(url: url, logger: logger)
        let link = RedisEngineLink(
            endpoint: endpoint, gatewayID: configuration.gatewayID, metrics: metrics,
            logger: logger.with("component", "redis"))
        self.link = link
        gateway = GatewayServer(
            configuration: configuration.gateway, store: store, link: link, catalog: try SolarSystemCatalog.standard(),
            metrics: metrics, logger: logger.with("component", "gateway"),
            readiness: {
                do {
                    try store.ping()
                } catch {
                    return (false, "store unreachable: \(error)")
                }
                return link.readiness()
            })
    }

    public var port: Int { gateway.port }

    public func start() throws {
        link.start()
        try gateway.start()
    }

    /// Closes every client with 1001 (they reconnect to another replica), then drops the Redis link.
    public func stop() {
        gateway.stop()
        link.stop()
        logger.info("gateway replica stopped")
    }
}

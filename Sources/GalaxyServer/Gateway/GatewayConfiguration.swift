/// Network settings of the gateway.
public struct GatewayConfiguration: Sendable {
    public var port = 8080
    /// Address to listen on; nil listens on every interface.
    public var bindAddress: String? = nil
    public var maxMessageBytes = 64 * 1024
    public var maxBodyBytes = 64 * 1024
    public var maxQueueBytes = 4 * 1024 * 1024
    public var slowClientTimeoutSeconds = 10.0
    public var handshakesPerSecond = 500.0
    public var handshakeBurst = 500.0
    public var pingIntervalSeconds: UInt16 = 20
    public var hangupIntervalSeconds: UInt16 = 60
    /// Bearer token of the admin API under /api/v1/admin; nil disables that API.
    public var adminToken: String? = nil
    /// Directory of the static web client served at /.
    public var webRoot: String = "Web"

    public init() {}
}

import Foundation

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
    /// Transport service threads, each owning a share of the connections. Sending a frame to every
    /// client is mostly socket writes, which one thread does one after another; more threads spread
    /// them over the cores.
    public var transportThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// Bearer token of the admin API under /api/v1/admin; nil disables that API.
    public var adminToken: String? = nil
    /// Directory of the static web client served at /.
    public var webRoot: String = "Web"

    public init() {}
}

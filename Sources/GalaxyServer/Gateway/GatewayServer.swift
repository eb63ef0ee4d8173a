import CGateway
import Dispatch
import Foundation
import Synchronization

/// The HTTP and WebSocket front of the server. The transport (libwebsockets) runs on threads of its own;
/// HTTP requests are handled on a worker queue, so argon2id and store calls never block it; state
/// frames are encoded for each client on a broadcast thread, so the tick never waits on a socket.
public final class GatewayServer: @unchecked Sendable {
    let configuration: GatewayConfiguration
    let accounts: Accounts
    let link: any EngineLink
    let catalog: SolarSystemCatalog
    let metrics: MetricsRegistry
    let logger: Logger
    let readiness: @Sendable () -> (ready: Bool, reason: String)
    let sessions = Mutex<[UInt64: ClientSession]>([:])
    let latestFrame = Mutex<FrameIndex?>(nil)
    let requestQueue = DispatchQueue(label: "galaxy.http", attributes: .concurrent)
    /// Client messages in arrival order, parsed and handled off the transport threads.
    let messageQueue = DispatchQueue(label: "galaxy.messages")
    let queuedMessages = Atomic<Int>(0)
    /// Store lookups of tokens for WebSocket upgrades (`lookUpToken`), one at a time.
    let tokenQueue = DispatchQueue(label: "galaxy.token-checks")
    let pendingTokenLookups = Atomic<Int>(0)
    /// Beyond this many queued lookups, upgrades get 503 at once: with a slow store the queue would
    /// otherwise outgrow the clients' patience.
    static let maxPendingTokenLookups = 1_000
    static let maxQueuedMessages = 10_000
    let broadcaster: Broadcaster
    private(set) var transport: OpaquePointer?
    private var serviceThread: Thread?
    let stopped = Atomic<Bool>(false)
    private let serviceDone = DispatchSemaphore(value: 0)
    private var sessionCheck: DispatchSourceTimer?

    init(
        configuration: GatewayConfiguration, store: any GameStore, link: any EngineLink, catalog: SolarSystemCatalog,
        metrics: MetricsRegistry, logger: Logger, readiness: @escaping @Sendable () -> (ready: Bool, reason: String)
    ) {
        self.configuration = configuration
        self.accounts = Accounts(store: store, logger: logger)
        self.link = link
        self.catalog = catalog
        self.metrics = metrics
        self.logger = logger
        self.readiness = readiness
        broadcaster = Broadcaster(logger: logger)
    }

    /// The port the transport listens on (useful with port 0).
    public var port: Int { transport.map { Int(gw_port($0)) } ?? configuration.port }

    public func start() throws {
        var config = gw_config(
            port: Int32(configuration.port), bind_address: nil, max_message_bytes: configuration.maxMessageBytes,
            max_body_bytes: configuration.maxBodyBytes, max_queue_bytes: configuration.maxQueueBytes,
            slow_timeout_s: configuration.slowClientTimeoutSeconds, handshakes_per_s: configuration.handshakesPerSecond,
            handshake_burst: configuration.handshakeBurst, ping_interval_s: configuration.pingIntervalSeconds,
            hangup_interval_s: configuration.hangupIntervalSeconds, service_threads: Int32(configuration.transportThreads))
        var callbacks = gw_callbacks(
            context: Unmanaged.passUnretained(self).toOpaque(), on_http: gatewayOnHTTP, on_ws_open: gatewayOnOpen,
            on_ws_message: gatewayOnMessage, on_ws_closed: gatewayOnClosed, on_ws_greeting: gatewayOnGreeting)
        var error = [CChar](repeating: 0, count: 256)
        let server: OpaquePointer? = (configuration.bindAddress ?? "").withCString { address in
            config.bind_address = configuration.bindAddress == nil ? nil : address
            return gw_create(&config, &callbacks, &error, error.count)
        }
        guard let server else { throw GatewayError.startFailed(String(cString: error)) }
        transport = server
        GatewayMetrics.register(self)
        broadcaster.start(gateway: self)
        let box = TransportBox(server: server)
        let thread = Thread { [serviceDone] in
            gw_run(box.server)
            serviceDone.signal()
        }
        thread.name = "galaxy-gateway"
        thread.start()
        serviceThread = thread
        link.onFrame { [weak self] frame in self?.publish(frame) }
        link.onResync { [weak self] in self?.forceFullFrames() }
        sessionCheck = startSessionCheck()
        logger.info("gateway listening", [("port", port), ("address", configuration.bindAddress ?? "*")])
    }

    /// Closes every WebSocket with 1001 and stops the transport (waits up to a few seconds). The
    /// transport's memory stays until deinit: request and message handlers still running may call
    /// it, and find no connection to send to.
    public func stop() {
        guard let server = transport, !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        sessionCheck?.cancel()
        broadcaster.stop()
        gw_stop(server)
        serviceDone.wait()
        logger.info("gateway stopped")
    }

    deinit {
        if let server = transport {
            if !stopped.load(ordering: .acquiring) {
                gw_stop(server)
                serviceDone.wait()
            }
            gw_destroy(server)
        }
    }

    /// Hands a frame to the broadcast thread; called on the tick thread, returns at once.
    func publish(_ frame: WorldFrame) {
        broadcaster.submit(frame)
    }

    /// Makes every client's next state frame a full one (after frames may have been lost).
    func forceFullFrames() {
        sessions.withLock { all in
            for key in all.keys { all[key]?.framesSinceFull = .max }
        }
    }

    func send(_ connection: UInt64, _ bytes: [UInt8], replaceable: Bool = false) {
        guard let server = transport else { return }
        _ = bytes.withUnsafeBufferPointer { gw_send(server, connection, $0.baseAddress, $0.count, replaceable ? GW_SEND_REPLACEABLE : 0) }
    }

    func close(_ connection: UInt64, code: UInt16, reason: String) {
        guard let server = transport else { return }
        _ = gw_close(server, connection, code, reason)
    }

    func respond(_ requestID: UInt64, _ response: HTTPResponse) {
        guard let server = transport else { return }
        _ = response.body.withUnsafeBufferPointer { body in
            if let headers = response.headerLines {
                return gw_http_respond(server, requestID, Int32(response.status), response.contentType, body.baseAddress, body.count, headers)
            }
            return gw_http_respond(server, requestID, Int32(response.status), response.contentType, body.baseAddress, body.count, nil)
        }
    }

    func transportStats() -> gw_stats {
        var stats = gw_stats()
        if let server = transport { gw_get_stats(server, &stats) }
        return stats
    }
}

public enum GatewayError: Error, CustomStringConvertible {
    case startFailed(String)

    public var description: String { "gateway failed to start: \(self.reason)" }

    private var reason: String {
        switch self {
        case .startFailed(let reason): reason
        }
    }
}

/// The transport handle, vouched for: gw_* functions are thread-safe except gw_run, which only the
/// service thread calls.
struct TransportBox: @unchecked Sendable {
    let server: OpaquePointer
}

private func gateway(_ context: UnsafeMutableRawPointer?) -> GatewayServer {
    Unmanaged<GatewayServer>.fromOpaque(context!).takeUnretainedValue()
}

private func gatewayOnHTTP(_ context: UnsafeMutableRawPointer?, _ request: UnsafePointer<gw_http_request>?) {
    guard let request else { return }
    gateway(context).handleHTTP(HTTPRequest(request.pointee))
}

private func gatewayOnOpen(
    _ context: UnsafeMutableRawPointer?, _ connection: UInt64, _ path: UnsafePointer<CChar>?, _ query: UnsafePointer<CChar>?,
    _ remote: UnsafePointer<CChar>?
) -> Int32 {
    gateway(context).handleOpen(
        connection, path: path.map { String(cString: $0) } ?? "", query: query.map { String(cString: $0) } ?? "",
        remote: remote.map { String(cString: $0) } ?? "")
}

private func gatewayOnMessage(
    _ context: UnsafeMutableRawPointer?, _ connection: UInt64, _ data: UnsafePointer<UInt8>?, _ length: Int, _ binary: Int32
) {
    gateway(context).receiveMessage(connection, UnsafeRawBufferPointer(start: data, count: length), binary: binary != 0)
}

private func gatewayOnGreeting(_ context: UnsafeMutableRawPointer?, _ ticket: UInt64, _ query: UnsafePointer<CChar>?) {
    gateway(context).handleGreeting(ticket, query: query.map { String(cString: $0) } ?? "")
}

private func gatewayOnClosed(_ context: UnsafeMutableRawPointer?, _ connection: UInt64) {
    gateway(context).handleClosed(connection)
}

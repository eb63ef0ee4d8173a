import Dispatch
import Foundation
import Synchronization

/// A gateway replica's link to the engine over Redis. One thread keeps the subscription (frames and
/// this gateway's replies); a serial queue with its own connection appends commands to the stream.
/// After every (re)connect the subscription is issued again and clients get full frames next, since
/// pub/sub drops what was published while the connection was down.
final class RedisEngineLink: EngineLink, @unchecked Sendable {
    private struct Pending {
        var deadline: Date
        var reply: @Sendable (LinkReply) -> Void
    }

    private struct State {
        var frameHandlers: [@Sendable (WorldFrame) -> Void] = []
        var resyncHandlers: [@Sendable () -> Void] = []
        var pending: [UInt64: Pending] = [:]
        var nextRequest: UInt64 = 1
        var tickRateHz = 0.0
        var lastFrameAt: Date?
        var connected = false
        var lastError = "not connected yet"
    }

    let gatewayID: String
    private let endpoint: RedisEndpoint
    private let metrics: MetricsRegistry
    private let logger: Logger
    private let commandTimeoutSeconds: Double
    private let state = Mutex(State())
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let sender = DispatchQueue(label: "galaxy.redis.commands")
    private let senderConnection: RedisConnection

    init(endpoint: RedisEndpoint, gatewayID: String, metrics: MetricsRegistry, logger: Logger, commandTimeoutSeconds: Double = 10) {
        self.endpoint = endpoint
        self.gatewayID = gatewayID
        self.metrics = metrics
        self.logger = logger
        self.commandTimeoutSeconds = commandTimeoutSeconds
        senderConnection = RedisConnection(endpoint: endpoint)
        RedisMetrics.registerGateway(metrics)
    }

    var tickRateHz: Double { state.withLock { $0.tickRateHz } }
    var localEngine: TickEngine? { nil }

    func onFrame(_ handler: @escaping @Sendable (WorldFrame) -> Void) { state.withLock { $0.frameHandlers.append(handler) } }
    func onResync(_ handler: @escaping @Sendable () -> Void) { state.withLock { $0.resyncHandlers.append(handler) } }

    func readiness() -> (ready: Bool, reason: String) {
        let s = state.withLock { $0 }
        guard s.connected else { return (false, "degraded: Redis disconnected (\(s.lastError))") }
        guard let last = s.lastFrameAt else { return (false, "no frame from the engine yet") }
        let limit = max(5, 5 / max(s.tickRateHz, 0.01))
        let age = Date().timeIntervalSince(last)
        guard age <= limit else { return (false, "no frame from the engine for \(Int(age)) s") }
        return (true, "ready")
    }

    func start() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let thread = Thread { [self] in
            subscribeLoop()
            finished.signal()
        }
        thread.name = "galaxy-redis-subscribe"
        thread.start()
    }

    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        _ = finished.wait(timeout: .now() + 5)
        sender.sync { senderConnection.close() }
        let waiting = state.withLock { s in defer { s.pending = [:] }; return s.pending.values }
        for p in waiting { p.reply(.failed(code: "engine_unavailable", message: "the gateway is shutting down")) }
    }

    func send(_ command: LinkCommand, reply: @escaping @Sendable (LinkReply) -> Void) {
        let request = state.withLock { s in
            defer { s.nextRequest += 1 }
            s.pending[s.nextRequest] = Pending(deadline: Date().addingTimeInterval(commandTimeoutSeconds), reply: reply)
            return s.nextRequest
        }
        let body = RedisWire.encode(command)
        sender.async { [self] in
            let add = [
                "XADD", RedisWire.commandStream, "MAXLEN", "~", String(RedisWire.streamMaxLength), "*", "gw", gatewayID, "req",
                String(request), "cmd",
            ].map(RedisConnection.bytes) + [body]
            do {
                // A connection left from before a Redis restart fails on first use: retry once on a new one.
                let reused = senderConnection.isConnected
                if !reused { try senderConnection.connect() }
                var answer: RedisReply
                do {
                    answer = try senderConnection.command(add)
                } catch RedisError.connection where reused {
                    try senderConnection.connect()
                    answer = try senderConnection.command(add)
                }
                if case .error(let message) = answer { throw RedisError.reply(message) }
                metrics.increment("galaxy_redis_commands_total")
            } catch {
                resolve(request, .failed(code: "engine_unavailable", message: "cannot reach the engine: \(error); retry"))
            }
        }
    }

    private func resolve(_ request: UInt64, _ reply: LinkReply) {
        let pending = state.withLock { $0.pending.removeValue(forKey: request) }
        pending?.reply(reply)
    }

    // MARK: - Subscription thread

    private func subscribeLoop() {
        let connection = RedisConnection(endpoint: endpoint)
        var backoff = ReconnectBackoff()
        let replies = RedisWire.repliesChannel(gatewayID)
        while running.load(ordering: .acquiring) {
            expireCommands()
            if !connection.isConnected {
                guard backoff.ready else {
                    Thread.sleep(forTimeInterval: 0.05)
                    continue
                }
                do {
                    try subscribe(connection, channels: [RedisWire.framesChannel, replies])
                    connected(after: backoff.failures)
                    backoff.succeeded()
                } catch {
                    backoff.failed()
                    disconnected(error, attempts: backoff.failures)
                    continue
                }
            }
            do {
                guard let message = try connection.nextMessage(timeoutMilliseconds: 200) else { continue }
                handle(message, repliesChannel: replies)
            } catch {
                backoff.failed()
                disconnected(error, attempts: backoff.failures)
            }
        }
        connection.close()
        state.withLock { $0.connected = false }
        metrics.set("galaxy_redis_connected", 0)
    }

    private func subscribe(_ connection: RedisConnection, channels: [String]) throws {
        try connection.connect()
        // SUBSCRIBE replies once per channel. The first reply is read here and handle(_:) skips the others.
        let answer = try connection.command((["SUBSCRIBE"] + channels).map(RedisConnection.bytes))
        if case .error(let message) = answer { throw RedisError.reply(message) }
    }

    private func connected(after failures: Int) {
        let (handlers, wasConnectedBefore) = state.withLock { s in
            defer { s.connected = true }
            return (s.resyncHandlers, s.lastFrameAt != nil || failures > 0)
        }
        metrics.set("galaxy_redis_connected", 1)
        if wasConnectedBefore { metrics.increment("galaxy_redis_reconnects_total") }
        for handler in handlers { handler() }
        logger.info("subscribed to the engine's frames", [("redis", endpoint.description), ("gateway", gatewayID)])
    }

    private func disconnected(_ error: any Error, attempts: Int) {
        let wasConnected = state.withLock { s in
            defer {
                s.connected = false
                s.lastError = "\(error)"
            }
            return s.connected
        }
        metrics.set("galaxy_redis_connected", 0)
        if wasConnected || attempts == 1 || attempts % 20 == 0 {
            logger.warning("Redis unreachable; clients stay connected, retrying with backoff", [("error", "\(error)"), ("attempts", attempts)])
        }
    }

    private func handle(_ message: RedisReply, repliesChannel: String) {
        guard case .array(let parts) = message, parts.count == 3, parts[0].text == "message", let channel = parts[1].text,
            case .bulk(let payload) = parts[2]
        else { return }
        if channel == repliesChannel {
            guard let (request, reply) = try? RedisWire.decodeReply(payload) else {
                return logger.warning("undecodable reply on \(repliesChannel) skipped")
            }
            return resolve(request, reply)
        }
        do {
            let published = try FrameCodec.decode(payload)
            let handlers = state.withLock { s in
                s.tickRateHz = published.tickRateHz
                s.lastFrameAt = Date()
                return s.frameHandlers
            }
            metrics.increment("galaxy_redis_frames_received_total")
            metrics.set("galaxy_redis_frame_age_ms", max(0, Date().timeIntervalSince1970 * 1000 - published.frame.wallClockMilliseconds))
            for handler in handlers { handler(published.frame) }
        } catch {
            metrics.increment("galaxy_redis_frames_invalid_total")
            logger.warning("undecodable frame skipped", [("error", "\(error)"), ("bytes", payload.count)])
        }
    }

    private func expireCommands() {
        let now = Date()
        let expired = state.withLock { s in
            let keys = s.pending.filter { $0.value.deadline < now }.map(\.key)
            return keys.compactMap { s.pending.removeValue(forKey: $0) }
        }
        for p in expired {
            metrics.increment("galaxy_redis_command_timeouts_total")
            p.reply(.failed(code: "engine_timeout", message: "the engine did not reply within \(Int(commandTimeoutSeconds)) s; retry"))
        }
    }
}

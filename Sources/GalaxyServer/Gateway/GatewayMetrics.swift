/// Gateway metrics under the earlier system's galaxy_* names, read from the transport and the
/// broadcaster when /metrics is rendered.
enum GatewayMetrics {
    static func register(_ g: GatewayServer) {
        let m = g.metrics
        func stat(_ name: String, _ kind: MetricsRegistry.Kind, _ help: String, _ read: @escaping @Sendable (gw_stats) -> UInt64) {
            m.register(name, kind: kind, help: help) { [weak g] in Double(g.map { read($0.transportStats()) } ?? 0) }
        }
        stat("galaxy_connections_active", .gauge, "Open WebSocket sessions.") { $0.connections_active }
        stat("galaxy_connections_total", .counter, "WebSocket sessions accepted.") { $0.connections_total }
        stat("galaxy_disconnections_total", .counter, "WebSocket sessions ended, for any reason.") { $0.disconnections_total }
        stat("galaxy_slow_consumer_disconnections_total", .counter, "Sessions dropped because they did not read their frames.") {
            $0.slow_consumer_drops
        }
        stat("galaxy_oversize_message_closes_total", .counter, "Sessions closed with 1009 for an oversized message.") { $0.oversize_closes }
        stat("galaxy_handshakes_rejected_total", .counter, "WebSocket handshakes refused by the rate limit (HTTP 503).") {
            $0.handshakes_rejected
        }
        stat("galaxy_state_frames_replaced_total", .counter, "Queued state frames replaced by a newer one before they were sent.") {
            $0.frames_replaced
        }
        stat("galaxy_idle_hangups_total", .counter, "Sessions dropped after the hangup interval without a frame or pong from the client.") {
            $0.idle_hangups
        }
        stat("galaxy_bytes_sent_total", .counter, "WebSocket payload bytes written.") { $0.bytes_sent }
        stat(
            "galaxy_partial_writes_total", .counter,
            "WebSocket messages the socket took only in part because the client read slowly. libwebsockets buffers the rest and sends it before anything else."
        ) { $0.partial_writes }
        stat("galaxy_http_requests_total", .counter, "HTTP requests received.") { $0.http_requests }
        m.register("galaxy_broadcast_duration_ms", kind: .gauge, help: "Wall time to encode and queue the last frame for every client, ms.") {
            [weak g] in (g?.broadcaster.stats.withLock { $0.lastDurationSeconds } ?? 0) * 1000
        }
        m.register(
            "galaxy_fanout_duration_ms", kind: .gauge,
            help: "Wall time from the start of the last completed broadcast until each of its state messages was written to its socket (or dropped), ms. Clients still behind on an older frame are left out."
        ) { [weak g] in Double(g?.transportStats().last_fanout_us ?? 0) / 1000 }
        stat("galaxy_fanouts_completed_total", .counter, "Broadcasts whose every state message was written or dropped.") {
            $0.fanouts_completed
        }
        m.register("galaxy_broadcast_message_bytes", kind: .gauge, help: "Bytes of state messages queued for all clients in the last broadcast, as sent (compressed for clients that asked for compression).") {
            [weak g] in Double(g?.broadcaster.stats.withLock { $0.lastBytes } ?? 0)
        }
        m.register("galaxy_broadcast_frames_skipped_total", kind: .counter, help: "Frames not broadcast because a newer one arrived first.") {
            [weak g] in Double(g?.broadcaster.stats.withLock { $0.framesSkipped } ?? 0)
        }
        m.register(
            "galaxy_websocket_token_lookups_total", kind: .counter,
            help: "Store lookups of WebSocket upgrade tokens that the accounts cache could not serve. Handshakes rejected by the rate limit cause none."
        ) { [weak g] in Double(g?.accounts.upgradeLookups.load(ordering: .relaxed) ?? 0) }
    }
}

import CGateway

/// The galaxy_redis_* metrics of the engine and of gateway replicas.
enum RedisMetrics {
    static func registerEngine(_ m: MetricsRegistry) {
        registerCommon(m)
        m.register("galaxy_redis_frames_published_total", kind: .counter, help: "Frames the engine published to Redis.")
        m.register(
            "galaxy_redis_frames_dropped_total", kind: .counter,
            help: "Frames not published: Redis was down, or a newer frame replaced one still waiting.")
        m.register(
            "galaxy_redis_publish_duration_ms", kind: .gauge,
            help: "Time to encode the last frame and write it with that tick's replies in one round trip, ms (publisher thread, not the tick).")
        m.register("galaxy_redis_commands_total", kind: .counter, help: "Commands read from the gateways' command stream.")
    }

    static func registerGateway(_ m: MetricsRegistry) {
        registerCommon(m)
        m.register("galaxy_redis_frames_received_total", kind: .counter, help: "Frames received from the engine over Redis.")
        m.register("galaxy_redis_frames_invalid_total", kind: .counter, help: "Messages on the frame channel that did not decode.")
        m.register(
            "galaxy_redis_frame_age_ms", kind: .gauge,
            help: "Wall-clock time from the end of the last frame's tick on the engine to this gateway decoding it, ms.")
        m.register("galaxy_redis_commands_total", kind: .counter, help: "Commands this gateway sent to the engine's stream.")
        m.register(
            "galaxy_redis_command_timeouts_total", kind: .counter,
            help: "Commands the engine did not reply to within 10 s (the client got an engine_timeout error).")
    }

    private static func registerCommon(_ m: MetricsRegistry) {
        m.register("galaxy_redis_connected", kind: .gauge, help: "1 while the Redis connection that carries frames is up, else 0.")
        m.register("galaxy_redis_reconnects_total", kind: .counter, help: "Redis reconnections after a lost or failed connection.")
    }
}

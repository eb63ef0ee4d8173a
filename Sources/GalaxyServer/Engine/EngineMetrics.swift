/// Metric names and recording for the tick engine. The physics_* and tick_engine_* names are those of
/// the earlier Python system, so existing dashboards and alerts keep working.
enum EngineMetrics {
    static let physicsTick = "physics_tick_duration_ms"
    static let physicsBodies = "physics_bodies_duration_ms"
    static let physicsShips = "physics_ships_duration_ms"
    static let physicsGravity = "physics_gravity_duration_ms"
    static let physicsAttitude = "physics_attitude_duration_ms"
    static let physicsThrust = "physics_thrust_duration_ms"
    static let physicsShipCount = "physics_ships_count"
    static let total = "tick_engine_total_duration_ms"
    static let actualRate = "tick_engine_actual_rate"
    static let ticksBehind = "tick_engine_ticks_behind"
    static let currentTick = "tick_engine_current_tick"
    static let tickHistogram = "tick_engine_tick_duration_seconds"
    static let overruns = "tick_engine_overruns_total"
    static let skipped = "tick_engine_skipped_ticks_total"
    static let degraded = "tick_engine_degraded"
    static let effectiveWarp = "tick_engine_effective_warp"
    static let requestedWarp = "tick_engine_requested_warp"
    static let paused = "tick_engine_paused"
    static let commandsApplied = "tick_engine_commands_applied_total"
    static let commandsRejected = "tick_engine_commands_rejected_total"
    static let queueDepth = "tick_engine_command_queue_depth"
    static let queueRejected = "tick_engine_command_queue_full_total"

    static func register(in m: MetricsRegistry) {
        m.register(physicsTick, kind: .gauge, help: "Wall time of the last physics step (bodies and ships), ms.")
        m.register(physicsBodies, kind: .gauge, help: "Wall time of the last N-body step of the massive bodies, ms.")
        m.register(physicsShips, kind: .gauge, help: "Wall time of the last ship step (attitude, gravity and thrust), ms.")
        m.register(
            physicsGravity, kind: .gauge,
            help: "Wall time of the last ship translation kernel, ms; gravity and thrust are integrated together in it.")
        m.register(physicsAttitude, kind: .gauge, help: "Wall time of the last ship attitude kernel, ms.")
        m.register(
            physicsThrust, kind: .gauge,
            help:
                "Always 0: thrust is applied inside the ship translation kernel, whose time is physics_gravity_duration_ms.")
        m.register(physicsShipCount, kind: .gauge, help: "Ships and stations in the world.")
        m.register(total, kind: .gauge, help: "Wall time of the last whole tick (commands, physics, frame publishing), ms.")
        m.register(actualRate, kind: .gauge, help: "Ticks per second over the last 10 ticks.")
        m.register(ticksBehind, kind: .gauge, help: "Whole tick intervals the last tick ended behind schedule.")
        m.register(currentTick, kind: .gauge, help: "Number of the last completed tick.")
        m.register(
            tickHistogram, kind: .histogram, help: "Wall time of whole ticks, seconds.",
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
        m.register(overruns, kind: .counter, help: "Ticks that took longer than the tick interval.")
        m.register(skipped, kind: .counter, help: "Tick intervals dropped after overruns instead of being replayed.")
        m.register(degraded, kind: .gauge, help: "1 while overruns keep the engine degraded (warp lowered), else 0.")
        m.register(effectiveWarp, kind: .gauge, help: "Game seconds per wall second actually applied.")
        m.register(requestedWarp, kind: .gauge, help: "Game seconds per wall second requested by the operator.")
        m.register(paused, kind: .gauge, help: "1 while the simulation is paused, else 0.")
        m.register(commandsApplied, kind: .counter, help: "Steering commands applied.")
        m.register(commandsRejected, kind: .counter, help: "Steering commands rejected by validation.")
        m.register(queueDepth, kind: .gauge, help: "Commands waiting for the next tick.")
        m.register(queueRejected, kind: .counter, help: "Commands refused because the command queue was full.")
    }

    static func record(
        _ m: MetricsRegistry, step: StepTimings, total seconds: Double, status: EngineStatus, ships: Int,
        applied: (accepted: Int, rejected: Int), queued: Int
    ) {
        m.set(physicsTick, step.total * 1000)
        m.set(physicsBodies, step.bodies * 1000)
        m.set(physicsShips, (step.attitude + step.ships) * 1000)
        m.set(physicsGravity, step.ships * 1000)
        m.set(physicsAttitude, step.attitude * 1000)
        m.set(physicsThrust, 0)
        m.set(physicsShipCount, Double(ships))
        m.set(total, seconds * 1000)
        m.observe(tickHistogram, seconds)
        m.set(actualRate, status.actualRateHz)
        m.set(currentTick, Double(status.tick))
        m.set(degraded, status.degraded ? 1 : 0)
        m.set(effectiveWarp, status.effectiveWarp)
        m.set(requestedWarp, status.requestedWarp)
        m.set(paused, status.paused ? 1 : 0)
        m.increment(commandsApplied, by: Double(applied.accepted))
        m.increment(commandsRejected, by: Double(applied.rejected))
        m.set(queueDepth, Double(queued))
    }
}

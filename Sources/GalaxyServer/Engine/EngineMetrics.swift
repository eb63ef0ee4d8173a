import Synchronization

/// The tick engine's metrics, updated under one lock per tick and read by the registry when rendered.
/// The physics_* and tick_engine_* names are those of the earlier Python system, so existing
/// dashboards and alerts keep working.
final class EngineMetrics: Sendable {
    struct Values: Sendable {
        var step = StepTimings()
        var totalSeconds = 0.0
        var ships = 0
        var status = EngineStatus()
        var commandsApplied: UInt64 = 0
        var commandsRejected: UInt64 = 0
        var queueDepth = 0
        var queueFull: UInt64 = 0
        var automationSeconds = 0.0
        var activeManeuvers = 0
        var tickDurations = HistogramValue(bounds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
    }

    private let values = Mutex(Values())

    init(registry: MetricsRegistry) {
        register(in: registry)
    }

    func record(
        step: StepTimings, total: Double, status: EngineStatus, ships: Int, applied: (accepted: Int, rejected: Int),
        queued: Int, automation: (seconds: Double, active: Int)
    ) {
        values.withLock { v in
            v.step = step
            v.totalSeconds = total
            v.ships = ships
            v.status = status
            v.commandsApplied += UInt64(applied.accepted)
            v.commandsRejected += UInt64(applied.rejected)
            v.queueDepth = queued
            v.automationSeconds = automation.seconds
            v.activeManeuvers = automation.active
            v.tickDurations.observe(total)
        }
    }

    func countQueueFull() { values.withLock { $0.queueFull += 1 } }

    var snapshot: Values { values.withLock { $0 } }

    private func gauge(_ r: MetricsRegistry, _ name: String, _ help: String, _ read: @escaping @Sendable (Values) -> Double) {
        r.register(name, kind: .gauge, help: help) { [self] in self.values.withLock { read($0) } }
    }

    private func counter(_ r: MetricsRegistry, _ name: String, _ help: String, _ read: @escaping @Sendable (Values) -> Double) {
        r.register(name, kind: .counter, help: help) { [self] in self.values.withLock { read($0) } }
    }

    private func register(in r: MetricsRegistry) {
        gauge(r, "physics_tick_duration_ms", "Wall time of the last physics step (bodies and ships), ms.") { $0.step.total * 1000 }
        gauge(r, "physics_bodies_duration_ms", "Wall time of the last N-body step of the massive bodies, ms.") { $0.step.bodies * 1000 }
        gauge(r, "physics_ships_duration_ms", "Wall time of the last ship step (attitude, gravity and thrust), ms.") {
            ($0.step.attitude + $0.step.ships) * 1000
        }
        gauge(r, "physics_gravity_duration_ms", "Wall time of the last ship translation kernel, ms; gravity and thrust are integrated together in it.") {
            $0.step.ships * 1000
        }
        gauge(r, "physics_attitude_duration_ms", "Wall time of the last ship attitude kernel, ms.") { $0.step.attitude * 1000 }
        gauge(r, "physics_thrust_duration_ms", "Always 0: thrust is applied inside the ship translation kernel, whose time is physics_gravity_duration_ms.") { _ in 0 }
        gauge(r, "physics_ships_count", "Ships and stations in the world.") { Double($0.ships) }
        gauge(r, "tick_engine_total_duration_ms", "Wall time of the last whole tick (commands, physics, frame publishing), ms.") { $0.totalSeconds * 1000 }
        gauge(r, "tick_engine_actual_rate", "Ticks per second over the last 10 ticks.") { $0.status.actualRateHz }
        gauge(r, "tick_engine_ticks_behind", "Whole tick intervals the last tick ended behind schedule.") { Double($0.status.ticksBehind) }
        gauge(r, "tick_engine_current_tick", "Number of the last completed tick.") { Double($0.status.tick) }
        gauge(r, "tick_engine_game_time_seconds", "Game time, TDB seconds since the world's epoch.") { $0.status.gameTimeSeconds }
        gauge(r, "tick_engine_degraded", "1 while overruns keep the engine degraded (warp lowered), else 0.") { $0.status.degraded ? 1 : 0 }
        gauge(r, "tick_engine_effective_warp", "Game seconds per wall second actually applied.") { $0.status.effectiveWarp }
        gauge(r, "tick_engine_requested_warp", "Game seconds per wall second requested by the operator.") { $0.status.requestedWarp }
        gauge(r, "tick_engine_paused", "1 while the simulation is paused, else 0.") { $0.status.paused ? 1 : 0 }
        gauge(r, "tick_engine_automation_duration_ms", "Wall time of the last automation step (maneuvers and rules), ms.") {
            $0.automationSeconds * 1000
        }
        gauge(r, "automation_active_maneuvers", "Ships with an active maneuver.") { Double($0.activeManeuvers) }
        gauge(r, "tick_engine_command_queue_depth", "Commands waiting for the next tick.") { Double($0.queueDepth) }
        counter(r, "tick_engine_overruns_total", "Ticks that took longer than the tick interval.") { Double($0.status.overruns) }
        counter(r, "tick_engine_skipped_ticks_total", "Tick intervals dropped after overruns instead of being replayed.") {
            Double($0.status.skippedTicks)
        }
        counter(r, "tick_engine_commands_applied_total", "Steering commands applied.") { Double($0.commandsApplied) }
        counter(r, "tick_engine_commands_rejected_total", "Steering commands rejected by validation.") { Double($0.commandsRejected) }
        counter(r, "tick_engine_command_queue_full_total", "Commands refused because the command queue was full.") { Double($0.queueFull) }
        r.registerHistogram("tick_engine_tick_duration_seconds", help: "Wall time of whole ticks, seconds.") { [self] in
            self.values.withLock { $0.tickDurations }
        }
    }
}

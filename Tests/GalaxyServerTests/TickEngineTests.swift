import Foundation
import Synchronization
import Testing

@testable import GalaxyServer

/// A tick clock that moves only when a test advances it or the engine sleeps until a deadline, so a tick can
/// "take" any wall time without the test waiting for it.
final class ManualTickClock: TickClock {
    private let time = Mutex<Double>(0)

    func now() -> Double { time.withLock { $0 } }

    func sleep(until deadline: Double) {
        time.withLock { $0 = max($0, deadline) }
    }

    func advance(by seconds: Double) {
        time.withLock { $0 += seconds }
    }
}

/// Values collected from the tick thread's callbacks.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// Samples of the Prometheus text exposition format.
enum PrometheusText {
    /// Sample name (with its labels) → value, for every line that is not a comment.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}

/// The tick engine driven tick by tick through `runTick`: when commands apply, pause, warp, the bounded command
/// queue and the metrics.
@Suite struct TickEngineTests {
    let quietLogger = Logger(label: "engine-test", minimumLevel: .error)

    func makeEngine(
        warp: Double = 1, queueCapacity: Int = 100, registry: MetricsRegistry = MetricsRegistry()
    ) throws -> (TickEngine, World, ShipID, ManualTickClock) {
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Pilot", position: SIMD3(7e6, 0, 0), velocity: SIMD3(0, 7_546, 0))
        var configuration = EngineConfiguration()
        configuration.warp = warp
        configuration.commandQueueCapacity = queueCapacity
        let clock = ManualTickClock()
        let engine = try TickEngine(
            world: world, configuration: configuration, clock: clock, metrics: registry, logger: quietLogger)
        return (engine, world, id, clock)
    }

    @Test func commandsApplyAtNextTick() throws {
        let (engine, world, id, _) = try makeEngine()
        let replies = Recorder<Bool>()
        try engine.enqueue(.steer(SteeringCommand(shipID: id, throttle: 1), reply: { replies.append((try? $0.get()) != nil) }))
        #expect(try world.requireShip(id).throttle == 0, "queued commands wait for the tick")
        #expect(replies.all.isEmpty)
        engine.runTick()
        #expect(try world.requireShip(id).throttle == 1)
        #expect(replies.all == [true])
    }

    @Test func rejectedCommandRepliesWithError() throws {
        let registry = MetricsRegistry()
        let (engine, _, id, _) = try makeEngine(registry: registry)
        let fields = Recorder<String>()
        try engine.enqueue(
            .steer(
                SteeringCommand(shipID: id, throttle: 2),
                reply: { result in
                    if case .failure(let error as SteeringError) = result { fields.append(error.field) }
                }))
        engine.runTick()
        #expect(fields.all == ["throttle"])
        #expect(registry.value("tick_engine_commands_rejected_total") == 1)
        #expect(registry.value("tick_engine_commands_applied_total") == 0)
    }

    @Test func pauseStopsGameTimeUntilResume() throws {
        let (engine, world, _, clock) = try makeEngine()
        engine.runTick()
        #expect(world.elapsedSeconds == 1)
        try engine.pause()
        clock.advance(by: 1)
        engine.runTick()
        #expect(engine.status.paused)
        #expect(world.elapsedSeconds == 1)
        #expect(world.tick == 1)
        clock.advance(by: 1)
        engine.runTick()
        #expect(world.elapsedSeconds == 1, "still paused without a resume")
        try engine.resume()
        clock.advance(by: 1)
        engine.runTick()
        #expect(!engine.status.paused)
        #expect(world.elapsedSeconds == 2)
    }

    @Test func invalidWarpIsRejected() throws {
        let (engine, world, _, _) = try makeEngine()
        let maximum = engine.configuration.maxWarp
        for warp in [0.5, 0, -1, .nan, .infinity, maximum * 2] {
            let error = #expect(throws: EngineError.self) { try engine.setWarp(warp) }
            if warp.isNaN {
                guard case .invalidWarp(let value, let limit)? = error else {
                    Issue.record("NaN warp gave \(String(describing: error))")
                    continue
                }
                #expect(value.isNaN)
                #expect(limit == maximum)
            } else {
                #expect(error == .invalidWarp(warp, maximum: maximum))
            }
        }
        try engine.enqueue(.setWarp(0.5))
        engine.runTick()
        #expect(world.elapsedSeconds == 1, "an invalid warp that reaches the queue is ignored")
        #expect(engine.status.requestedWarp == 1)
    }

    @Test func warpChangesGameSecondsPerTick() throws {
        let (engine, world, _, clock) = try makeEngine()
        try engine.setWarp(1_000)
        #expect(engine.status.requestedWarp == 1, "the change waits for the next tick")
        engine.runTick()
        #expect(world.elapsedSeconds == 1_000)
        clock.advance(by: 1)
        engine.runTick()
        #expect(world.elapsedSeconds == 2_000)
        #expect(engine.status.effectiveWarp == 1_000)
    }

    @Test func invalidConfigurationIsRejected() throws {
        let world = TestWorlds.earthOnly()
        var badWarp = EngineConfiguration()
        badWarp.warp = 0
        #expect(throws: EngineError.invalidWarp(0, maximum: badWarp.maxWarp)) {
            try TickEngine(world: world, configuration: badWarp, clock: ManualTickClock(), logger: quietLogger)
        }
        var badRate = EngineConfiguration()
        badRate.tickRateHz = 0
        #expect(throws: EngineError.invalidTickRate(0)) {
            try TickEngine(world: world, configuration: badRate, clock: ManualTickClock(), logger: quietLogger)
        }
    }

    @Test func fullQueueRejectsCommands() throws {
        let registry = MetricsRegistry()
        let (engine, world, id, _) = try makeEngine(queueCapacity: 3, registry: registry)
        for throttle in [0.1, 0.2, 0.3] {
            try engine.enqueue(.steer(SteeringCommand(shipID: id, throttle: throttle), reply: nil))
        }
        let error = #expect(throws: EngineError.self) {
            try engine.enqueue(.steer(SteeringCommand(shipID: id, throttle: 0.4), reply: nil))
        }
        #expect(error == .queueFull(capacity: 3))
        #expect(error?.description.contains("retry") == true)
        #expect(registry.value("tick_engine_command_queue_full_total") == 1)
        engine.runTick()
        #expect(try world.requireShip(id).throttle == 0.3, "queued commands apply in arrival order")
        #expect(registry.value("tick_engine_command_queue_depth") == 0)
        try engine.enqueue(.steer(SteeringCommand(shipID: id, throttle: 0.4), reply: nil))
    }

    @Test func metricsKeepLegacyNames() throws {
        let registry = MetricsRegistry()
        let (engine, world, _, clock) = try makeEngine(registry: registry)
        try world.addShip(name: "Second", position: SIMD3(8e6, 0, 0), velocity: SIMD3(0, 7_000, 0))
        for _ in 0..<10 {
            engine.runTick()
            clock.advance(by: 1)
        }
        try engine.enqueue(.mutate { _ in clock.advance(by: 0.25) })
        engine.runTick()

        let text = registry.render()
        let samples = PrometheusText.samples(text)
        let names = [
            "physics_tick_duration_ms", "physics_bodies_duration_ms", "physics_ships_duration_ms",
            "physics_gravity_duration_ms", "physics_attitude_duration_ms", "physics_thrust_duration_ms",
            "physics_ships_count", "tick_engine_total_duration_ms", "tick_engine_actual_rate",
            "tick_engine_ticks_behind",
        ]
        for name in names {
            #expect(text.contains("# TYPE \(name) gauge\n"), "\(name) is not rendered as a gauge")
            let value = samples[name]
            #expect(value?.isFinite == true, "\(name) has no finite value")
            #expect((value ?? -1) >= 0, "\(name) is negative")
        }
        #expect(samples["physics_ships_count"] == Double(world.shipCount))
        #expect(samples["tick_engine_total_duration_ms"] == 250)
        #expect(samples["tick_engine_actual_rate"] == 1)
        #expect(samples["tick_engine_ticks_behind"] == 0)
        let tick = samples["physics_tick_duration_ms"] ?? 0
        let bodies = samples["physics_bodies_duration_ms"] ?? 0
        let ships = samples["physics_ships_duration_ms"] ?? 0
        let parts = (samples["physics_gravity_duration_ms"] ?? 0) + (samples["physics_attitude_duration_ms"] ?? 0)
        #expect(bodies > 0, "the N-body step takes measurable time")
        #expect(abs(tick - (bodies + ships)) <= 1e-9 * tick, "tick \(tick) ms vs bodies \(bodies) + ships \(ships)")
        #expect(abs(ships - parts) <= 1e-9 * max(ships, 1e-9), "ships \(ships) ms vs gravity + attitude \(parts)")
        #expect(samples["tick_engine_tick_duration_seconds_count"] == 11)
    }
}

import Foundation
import Testing

@testable import GalaxyServer

/// The tick loop under overload, driven on its own thread by a manual clock: ticks that take 1.5 s of a 1 s
/// interval for a minute, then none.
@Suite struct TickOverloadTests {
    struct TickRecord: Sendable {
        var tick: UInt64
        var startedAt: Double
        var endedAt: Double
        var gameTime: Double
        var effectiveWarp: Double
        var degraded: Bool
        var ticksBehind: Int
    }

    static let loadedTicks: ClosedRange<UInt64> = 5...64
    static let tickCost = 1.5
    static let probeTick: UInt64 = 30
    static let lastTick: UInt64 = 80
    static let requestedWarp = 100.0

    /// The recorded ticks, the steering probe's queue and apply times, the log lines and the metrics.
    struct Outcome {
        var records: [TickRecord]
        var probe: [(queuedAt: Double, appliedAt: Double)]
        var log: [String]
        var metrics: MetricsRegistry
    }

    /// Runs the engine thread until `lastTick`. Each tick in `loadedTicks` gets a world mutation that advances the
    /// clock by `tickCost`, as a slow tick would. At `probeTick` a steering command arrives just after the
    /// command drain, which is the worst moment for its latency.
    func runOverload() throws -> Outcome {
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Pilot", position: SIMD3(7e6, 0, 0), velocity: SIMD3(0, 7_546, 0))
        var configuration = EngineConfiguration()
        configuration.warp = Self.requestedWarp
        let clock = ManualTickClock()
        let registry = MetricsRegistry()
        let log = Recorder<String>()
        let engine = try TickEngine(
            world: world, configuration: configuration, clock: clock, metrics: registry,
            logger: Logger(label: "engine-test", minimumLevel: .info, sink: { log.append($0) }))
        let records = Recorder<TickRecord>()
        let probe = Recorder<(queuedAt: Double, appliedAt: Double)>()
        let reachedLastTick = DispatchSemaphore(value: 0)

        engine.onFrame { frame in
            let now = clock.now()
            records.append(
                TickRecord(
                    tick: frame.tick, startedAt: now - frame.status.lastTickSeconds, endedAt: now,
                    gameTime: frame.gameTimeSeconds, effectiveWarp: frame.status.effectiveWarp,
                    degraded: frame.status.degraded, ticksBehind: frame.status.ticksBehind))
            let next = frame.tick + 1
            if Self.loadedTicks.contains(next) {
                try? engine.enqueue(
                    .mutate { _ in
                        if next == Self.probeTick {
                            let queuedAt = clock.now()
                            let command = SteeringCommand(shipID: id, throttle: 0.5)
                            try? engine.enqueue(.steer(command, reply: { _ in probe.append((queuedAt, clock.now())) }))
                        }
                        clock.advance(by: Self.tickCost)
                    })
            }
            if frame.tick == Self.lastTick { reachedLastTick.signal() }
        }
        engine.start()
        let result = reachedLastTick.wait(timeout: .now() + 60)
        engine.stop()
        try #require(result == .success, "the engine did not reach tick \(Self.lastTick) within 60 s of real time")
        let sorted = records.all.filter { $0.tick <= Self.lastTick }.sorted { $0.tick < $1.tick }
        return Outcome(records: sorted, probe: probe.all, log: log.all, metrics: registry)
    }

    @Test(.timeLimit(.minutes(2)))
    func overloadLowersWarpWithoutCatchUpBursts() throws {
        let outcome = try runOverload()
        let records = outcome.records
        try #require(records.map(\.tick) == Array(1...Self.lastTick))

        for record in records where Self.loadedTicks.contains(record.tick) {
            let overruns = Double(record.tick - Self.loadedTicks.lowerBound + 1)
            #expect(record.endedAt - record.startedAt == Self.tickCost)
            #expect(record.degraded, "tick \(record.tick) overran but is not marked degraded")
            #expect(record.effectiveWarp == max(1, Self.requestedWarp / pow(2, overruns)), "tick \(record.tick)")
            #expect(record.ticksBehind <= 2, "tick \(record.tick) is \(record.ticksBehind) intervals behind")
        }
        // No tick is replayed: each tick advances game time by the warp in effect when it started.
        for (previous, record) in zip(records, records.dropFirst()) {
            #expect(record.gameTime - previous.gameTime == previous.effectiveWarp, "tick \(record.tick)")
        }
        // At most one late tick runs right after another: never more than two tick starts in one second.
        for record in records {
            let window = records.filter { $0.startedAt >= record.startedAt && $0.startedAt < record.startedAt + 1 }
            #expect(window.count <= 2, "\(window.count) ticks started within 1 s of tick \(record.tick)")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func overloadRecoversWithinTwoTicks() throws {
        let outcome = try runOverload()
        let records = outcome.records
        try #require(records.count == Int(Self.lastTick))
        let recovered = Self.loadedTicks.upperBound + 2
        for record in records where record.tick >= recovered {
            #expect(!record.degraded, "tick \(record.tick) is still degraded")
            #expect(record.effectiveWarp == Self.requestedWarp, "tick \(record.tick) runs at \(record.effectiveWarp)×")
        }
        for (previous, record) in zip(records, records.dropFirst()) where previous.tick > recovered {
            #expect(record.startedAt - previous.startedAt == 1, "tick \(record.tick) is not back at 1 Hz")
        }
        let warnings = outcome.log.filter { $0.contains(" warning ") }
        #expect(warnings.contains { $0.contains("overran") }, "no warning about the overruns was logged")
        #expect(outcome.log.contains { $0.contains("recovered") })
        let overrunWarnings = outcome.log.filter { $0.contains("overran") }.count
        #expect(overrunWarnings < Self.loadedTicks.count / 2, "\(overrunWarnings) overrun warnings are not rate-limited")
    }

    @Test(.timeLimit(.minutes(2)))
    func commandsApplyDuringOverload() throws {
        let outcome = try runOverload()
        let probe = try #require(outcome.probe.first, "the steering command sent during the overload never got a reply")
        #expect(outcome.probe.count == 1)
        #expect(probe.appliedAt - probe.queuedAt <= 2, "applied \(probe.appliedAt - probe.queuedAt) s after it arrived")
    }

    @Test(.timeLimit(.minutes(2)))
    func overloadIsVisibleInMetrics() throws {
        let outcome = try runOverload()
        let samples = PrometheusText.samples(outcome.metrics.render())
        let loaded = Double(Self.loadedTicks.count)
        #expect(samples["tick_engine_overruns_total"] == loaded)
        #expect((samples["tick_engine_skipped_ticks_total"] ?? 0) > 0)
        #expect(samples["tick_engine_degraded"] == 0)
        #expect(samples["tick_engine_effective_warp"] == Self.requestedWarp)
        #expect(samples["tick_engine_requested_warp"] == Self.requestedWarp)
        let count = try #require(samples["tick_engine_tick_duration_seconds_count"])
        #expect(samples["tick_engine_tick_duration_seconds_bucket{le=\"1\"}"] == count - loaded)
        #expect(samples["tick_engine_tick_duration_seconds_bucket{le=\"2.5\"}"] == count)
    }
}

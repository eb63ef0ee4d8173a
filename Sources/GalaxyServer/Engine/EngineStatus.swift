/// Settings of the tick engine.
public struct EngineConfiguration: Sendable, Equatable {
    /// Ticks per wall-clock second.
    public var tickRateHz: Double = 1
    /// Game seconds per wall-clock second at start.
    public var warp: Double = 1
    public var maxWarp: Double = 100_000
    public var commandQueueCapacity: Int = 100_000
    /// Consecutive ticks within budget after which a degraded engine returns to the requested warp.
    public var recoveryTicks: Int = 2

    public init() {}

    public var tickInterval: Double { 1 / tickRateHz }

    public func validate() throws {
        guard tickRateHz.isFinite, tickRateHz > 0, tickRateHz <= 1000 else { throw EngineError.invalidTickRate(tickRateHz) }
        guard warp.isFinite, warp >= 1, warp <= maxWarp else { throw EngineError.invalidWarp(warp, maximum: maxWarp) }
    }
}

/// What the engine is doing, as clients and operators see it.
public struct EngineStatus: Sendable, Equatable {
    public var tick: UInt64 = 0
    public var gameTimeSeconds: Double = 0
    public var paused = false
    public var requestedWarp: Double = 1
    /// Warp actually applied; below the requested warp while degraded.
    public var effectiveWarp: Double = 1
    /// Set while ticks overrun their interval (the circuit breaker is open).
    public var degraded = false
    /// Whole tick intervals the last tick ended behind schedule.
    public var ticksBehind = 0
    public var overruns: UInt64 = 0
    public var skippedTicks: UInt64 = 0
    public var lastTickSeconds: Double = 0
    public var actualRateHz: Double = 0
}

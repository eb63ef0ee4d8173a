import Foundation
import Synchronization

/// Owns the world and advances it at a fixed rate on its own thread.
///
/// Each tick: apply queued commands, step the world by warp × interval game seconds, publish a frame,
/// record metrics. A tick that overruns its interval opens a circuit breaker: the effective warp halves
/// (down to 1) and the engine reports itself degraded. Missed intervals are dropped rather than
/// replayed, so at most one tick runs late back-to-back and the backlog does not grow. After
/// `recoveryTicks` ticks within budget the requested warp returns.
public final class TickEngine: @unchecked Sendable {
    // Only the tick thread touches the world and the schedule, or `runTick` in tests while no thread runs.
    // Everything else goes through the locks below.
    private let world: World
    /// Maneuvers and rules, stepped on the tick thread before physics.
    let automation: AutomationSystem
    let configuration: EngineConfiguration
    private let clock: any TickClock
    private let metrics: EngineMetrics
    private let logger: Logger
    private let queue: CommandQueue
    private let state: Mutex<EngineStatus>
    private let frameHandlers = Mutex<[@Sendable (WorldFrame) -> Void]>([])
    private let eventHandlers = Mutex<[@Sendable ([ShipEvent]) -> Void]>([])
    private let maneuverEventHandlers = Mutex<[@Sendable ([ManeuverEvent]) -> Void]>([])
    private let periodicTasks = Mutex<[(every: UInt64, task: @Sendable (World) -> Void)]>([])
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let overrunLog = RateLimiter(interval: 10)
    private var healthyStreak = 0
    private var recentTickStarts: [Double] = []

    public init(
        world: World, configuration: EngineConfiguration = EngineConfiguration(), clock: any TickClock = SystemClock(),
        metrics: MetricsRegistry = MetricsRegistry(), logger: Logger = Logger(label: "engine")
    ) throws {
        try configuration.validate()
        self.world = world
        self.configuration = configuration
        self.clock = clock
        self.metrics = EngineMetrics(registry: metrics)
        self.logger = logger
        queue = CommandQueue(capacity: configuration.commandQueueCapacity)
        automation = try AutomationSystem()
        var status = EngineStatus()
        status.requestedWarp = configuration.warp
        status.effectiveWarp = configuration.warp
        status.tick = world.tick
        status.gameTimeSeconds = world.elapsedSeconds
        state = Mutex(status)
    }

    public var status: EngineStatus { state.withLock { $0 } }

    /// Queues work for the next tick; throws `EngineError.queueFull` when the bounded queue is full.
    public func enqueue(_ command: EngineCommand) throws {
        do {
            try queue.enqueue(command)
        } catch {
            metrics.countQueueFull()
            throw error
        }
    }

    /// Calls `handler` on the tick thread with every published frame; keep it short.
    public func onFrame(_ handler: @escaping @Sendable (WorldFrame) -> Void) {
        frameHandlers.withLock { $0.append(handler) }
    }

    /// Calls `handler` on the tick thread with each tick's ship events, when there are any.
    public func onEvents(_ handler: @escaping @Sendable ([ShipEvent]) -> Void) {
        eventHandlers.withLock { $0.append(handler) }
    }

    /// Calls `handler` on the tick thread with each tick's maneuver events, when there are any.
    public func onManeuverEvents(_ handler: @escaping @Sendable ([ManeuverEvent]) -> Void) {
        maneuverEventHandlers.withLock { $0.append(handler) }
    }

    /// Runs `task` on the tick thread after every `ticks`-th tick (by tick number), with the world.
    public func every(ticks: UInt64, _ task: @escaping @Sendable (World) -> Void) {
        periodicTasks.withLock { $0.append((max(1, ticks), task)) }
    }

    /// Runs `body` with the world while the engine thread is not running (before start, after stop).
    public func withStoppedWorld<T>(_ body: (World) throws -> T) throws -> T {
        precondition(!running.load(ordering: .acquiring), "withStoppedWorld called while the engine runs")
        return try body(world)
    }

    public func start() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "galaxy-tick"
        thread.start()
        logger.info(
            "tick engine started",
            [("tick_rate_hz", configuration.tickRateHz), ("warp", configuration.warp), ("ships", world.shipCount)])
    }

    /// Stops after the current tick and waits for the thread to end.
    public func stop() {
        guard running.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        finished.wait()
        logger.info("tick engine stopped", [("tick", status.tick)])
    }

    private func loop() {
        var deadline = clock.now()
        while running.load(ordering: .acquiring) {
            let now = clock.now()
            if now < deadline {
                clock.sleep(until: min(deadline, now + 0.05))
                continue
            }
            let started = clock.now()
            runTick(startedAt: started)
            deadline = schedule(after: deadline, finishedAt: clock.now())
        }
    }

    /// Returns the next deadline: one interval on, or now if the tick ended a whole interval or more late.
    /// Those missed ticks are counted as skipped and never replayed.
    private func schedule(after deadline: Double, finishedAt now: Double) -> Double {
        let interval = configuration.tickInterval
        let next = deadline + interval
        let behind = now > next ? Int((now - next) / interval) : 0
        state.withLock { s in
            s.ticksBehind = behind
            s.skippedTicks += UInt64(behind)
        }
        return behind > 0 ? now : next
    }

    /// Runs one tick now. Public for tests that drive the engine without its thread.
    public func runTick(startedAt started: Double? = nil) {
        let started = started ?? clock.now()
        let applied = applyCommands()
        var status = state.withLock { $0 }
        var events: [ShipEvent] = []
        var maneuverEvents: [ManeuverEvent] = []
        var automationSeconds = 0.0
        if !status.paused {
            let seconds = status.effectiveWarp * configuration.tickInterval
            // Automation steers before physics so that its commands act in this same tick.
            let automationStart = clock.now()
            maneuverEvents = automation.step(world: world, seconds: seconds)
            automationSeconds = clock.now() - automationStart
            do {
                events = try world.step(seconds: seconds)
            } catch {
                logger.error("world step failed; tick skipped", [("tick", world.tick), ("error", "\(error)")])
            }
        }
        let stepTimings = world.lastTimings
        let duration = clock.now() - started
        status = updateStatus(duration: duration, started: started)
        if !events.isEmpty {
            for handler in eventHandlers.withLock({ $0 }) { handler(events) }
        }
        if !maneuverEvents.isEmpty {
            for handler in maneuverEventHandlers.withLock({ $0 }) { handler(maneuverEvents) }
        }
        let handlers = frameHandlers.withLock { $0 }
        if !handlers.isEmpty {
            let frame = world.frame(
                events: events, maneuvers: automation.activeProgress, maneuverEvents: maneuverEvents, status: status)
            for handler in handlers { handler(frame) }
        }
        for (every, task) in periodicTasks.withLock({ $0 }) where world.tick % every == 0 && !status.paused {
            task(world)
        }
        let total = clock.now() - started
        metrics.record(
            step: stepTimings, total: total, status: status, ships: world.shipCount, applied: applied,
            queued: queue.depth, automation: (automationSeconds, automation.activeManeuverCount))
    }

    private func updateStatus(duration: Double, started: Double) -> EngineStatus {
        let interval = configuration.tickInterval
        recentTickStarts.append(started)
        if recentTickStarts.count > 11 { recentTickStarts.removeFirst() }
        let rate: Double =
            recentTickStarts.count > 1
            ? Double(recentTickStarts.count - 1) / (recentTickStarts.last! - recentTickStarts.first!) : 0
        return state.withLock { s in
            s.tick = world.tick
            s.gameTimeSeconds = world.elapsedSeconds
            s.lastTickSeconds = duration
            s.actualRateHz = rate
            if duration > interval {
                s.overruns += 1
                healthyStreak = 0
                let wasDegraded = s.degraded
                s.degraded = true
                s.effectiveWarp = max(1, s.effectiveWarp / 2)
                if !wasDegraded || overrunLog.admit(now: started) != nil {
                    logger.warning(
                        "tick overran its interval; degraded, warp lowered",
                        [("tick", s.tick), ("duration_ms", duration * 1000), ("effective_warp", s.effectiveWarp)])
                }
            } else if s.degraded {
                healthyStreak += 1
                if healthyStreak >= configuration.recoveryTicks {
                    s.degraded = false
                    s.effectiveWarp = s.requestedWarp
                    logger.info("tick engine recovered", [("tick", s.tick), ("warp", s.effectiveWarp)])
                }
            }
            return s
        }
    }

    private func applyCommands() -> (accepted: Int, rejected: Int) {
        var accepted = 0
        var rejected = 0
        for command in queue.drain() {
            switch command {
            case .steer(let steering, let reply):
                do {
                    try world.apply(steering)
                    automation.playerSteered(ship: steering.shipID)
                    accepted += 1
                    reply?(.success(()))
                } catch {
                    rejected += 1
                    logger.debug("steering command rejected", [("ship", steering.shipID), ("error", "\(error)")])
                    reply?(.failure(error))
                }
            case .pause:
                state.withLock { $0.paused = true }
                logger.info("paused", [("tick", world.tick)])
            case .resume:
                state.withLock { $0.paused = false }
                logger.info("resumed", [("tick", world.tick)])
            case .setWarp(let warp):
                guard warp.isFinite, warp >= 1, warp <= configuration.maxWarp else {
                    logger.debug("time warp rejected", [("warp", warp)])
                    continue
                }
                state.withLock { s in
                    s.requestedWarp = warp
                    if !s.degraded { s.effectiveWarp = warp }
                }
            case .maneuver(let ship, let goal, let reply):
                do {
                    let progress = try automation.request(goal, ship: ship, world: world)
                    reply?(.success(progress))
                } catch {
                    logger.debug("maneuver rejected", [("ship", ship), ("error", "\(error)")])
                    reply?(.failure(error))
                }
            case .cancelManeuver(let ship, let reply):
                reply?(automation.cancel(ship: ship))
            case .mutate(let change):
                change(world)
            }
        }
        return (accepted, rejected)
    }
}

extension TickEngine {
    public func pause() throws { try enqueue(.pause) }
    public func resume() throws { try enqueue(.resume) }

    /// Queues a change of time warp after checking it against [1, maxWarp].
    public func setWarp(_ warp: Double) throws {
        guard warp.isFinite, warp >= 1, warp <= configuration.maxWarp else {
            throw EngineError.invalidWarp(warp, maximum: configuration.maxWarp)
        }
        try enqueue(.setWarp(warp))
    }
}

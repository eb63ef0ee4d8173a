import Foundation

/// Options of `galaxy simulate`.
public struct SimulationOptions: Sendable {
    public var days: Double
    public var warp: Double = 1
    public var shipCount = 0
    public var scenarioPath: String?
    public var includeStations = true

    public init(days: Double) { self.days = days }
}

/// Runs a world headless from the catalog epoch as fast as the machine allows, through the same tick
/// engine the server uses (commands, world step, metrics), one tick of `warp` game seconds at a time.
public struct SimulationRunner {
    public let options: SimulationOptions
    public let catalog: SolarSystemCatalog

    public init(options: SimulationOptions, catalog: SolarSystemCatalog) throws {
        guard options.days.isFinite, options.days > 0 else {
            throw ScenarioError("--days must be a positive number of days, got \(options.days)")
        }
        guard options.warp.isFinite, options.warp >= 1, options.warp <= 100_000 else {
            throw ScenarioError("--warp must be within [1, 100000] game seconds per tick, got \(options.warp)")
        }
        guard options.shipCount >= 0, options.shipCount <= 10_000_000 else {
            throw ScenarioError("--ships must be within [0, 10000000], got \(options.shipCount)")
        }
        self.options = options
        self.catalog = catalog
    }

    /// Builds the world, runs it and returns the final state with the events seen on the way.
    public func run(logger: Logger = Logger(label: "simulate")) throws -> SimulationReport {
        let world = World(catalog: catalog)
        if options.includeStations { try world.addStandardStations() }
        if options.shipCount > 0 { try world.addGeneratedShips(options.shipCount) }
        let maneuvers = try options.scenarioPath.map { try Scenario.load(path: $0).place(in: world) } ?? []

        var configuration = EngineConfiguration()
        configuration.warp = options.warp
        let engine = try TickEngine(world: world, configuration: configuration, logger: logger)
        let events = EventCollector()
        engine.onEvents { events.append($0) }
        engine.onManeuverEvents { events.append($0) }
        for (ship, goal) in maneuvers {
            do {
                try engine.automation.request(goal, ship: ship, world: world)
            } catch {
                throw ScenarioError("\(error)")
            }
        }

        let totalSeconds = options.days * 86_400
        let fullTicks = Int((totalSeconds / options.warp).rounded(.down))
        let started = Date()
        for _ in 0..<fullTicks { engine.runTick() }
        let remainder = totalSeconds - world.elapsedSeconds
        if remainder > 1e-9 * totalSeconds {
            events.append(try world.step(seconds: remainder))
        }
        let wall = Date().timeIntervalSince(started)
        logger.info(
            "simulation finished",
            [("ticks", world.tick), ("game_days", world.elapsedSeconds / 86_400), ("wall_s", wall), ("ships", world.shipCount)])
        return SimulationReport(
            world: world, events: events.all, maneuverEvents: events.maneuvers, active: engine.automation.activeProgress,
            wallSeconds: wall)
    }
}

private final class EventCollector: @unchecked Sendable {
    private(set) var all: [ShipEvent] = []
    private(set) var maneuvers: [ManeuverEvent] = []
    func append(_ events: [ShipEvent]) { all.append(contentsOf: events) }
    func append(_ events: [ManeuverEvent]) { maneuvers.append(contentsOf: events) }
}

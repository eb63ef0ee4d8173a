import Foundation
import Synchronization
import Testing

@testable import GalaxyServer

/// The automation as the engine, the simulate command and the scenario files drive it.
@Suite struct ManeuverWiringTests {
    private func earthWorld() throws -> World {
        World(catalog: try SolarSystemCatalog.standard().subset(["Earth"]), workerCount: 1)
    }

    private let circular7000 = OrbitalElements(
        semiMajorAxisMeters: 7_000_000, eccentricity: 0, inclination: 0.2, rightAscensionOfAscendingNode: 0.5,
        argumentOfPeriapsis: 0, trueAnomaly: 0)

    @Test func engineRunsRequestedTransferToCompletion() throws {
        let world = try earthWorld()
        let ship = try world.addShip(name: "probe", about: "Earth", elements: circular7000)
        var configuration = EngineConfiguration()
        configuration.warp = 10
        let engine = try TickEngine(world: world, configuration: configuration, logger: Logger(label: "test", minimumLevel: .error))
        let events = Mutex<[ManeuverEvent]>([])
        engine.onManeuverEvents { new in events.withLock { $0.append(contentsOf: new) } }
        let reply = Mutex<Result<ManeuverProgress, any Error>?>(nil)
        let goal = ManeuverGoal.transfer(
            body: "Earth",
            target: QLawTarget(semiMajorAxisMeters: 7_500_000, eccentricity: 0, inclination: 0.2, rightAscensionOfAscendingNode: 0.5))
        try engine.enqueue(.maneuver(ship, goal, reply: { result in reply.withLock { $0 = result } }))
        for _ in 0..<3_000 { engine.runTick() }
        let accepted = try #require(reply.withLock { $0 })
        #expect((try? accepted.get()) != nil)
        let completed = events.withLock { $0.filter { $0.kind == .completed } }
        #expect(completed.count == 1)
        let orbit = try world.elements(of: ship).elements
        #expect(abs(orbit.semiMajorAxisMeters - 7_500_000) < 20_000, "a = \(orbit.semiMajorAxisMeters)")
    }

    @Test func engineRejectsManeuverForUnknownTarget() throws {
        let world = try earthWorld()
        let ship = try world.addShip(name: "probe", about: "Earth", elements: circular7000)
        let engine = try TickEngine(world: world, logger: Logger(label: "test", minimumLevel: .error))
        let reply = Mutex<Result<ManeuverProgress, any Error>?>(nil)
        try engine.enqueue(.maneuver(ship, .rendezvous(target: 9_999), reply: { result in reply.withLock { $0 = result } }))
        engine.runTick()
        let result = try #require(reply.withLock { $0 })
        #expect(throws: ManeuverError.self) { try result.get() }
    }

    @Test func playerSteeringCancelsManeuver() throws {
        let world = try earthWorld()
        let ship = try world.addShip(name: "probe", about: "Earth", elements: circular7000)
        let engine = try TickEngine(world: world, logger: Logger(label: "test", minimumLevel: .error))
        let events = Mutex<[ManeuverEvent]>([])
        engine.onManeuverEvents { new in events.withLock { $0.append(contentsOf: new) } }
        try engine.enqueue(.maneuver(ship, .transfer(body: "Earth", target: QLawTarget(semiMajorAxisMeters: 8e6, eccentricity: 0, inclination: 0.2)), reply: nil))
        engine.runTick()
        try engine.enqueue(.steer(SteeringCommand(shipID: ship, attitudeMode: .prograde, throttle: 0.5), reply: nil))
        engine.runTick()
        engine.runTick()
        #expect(events.withLock { $0.map(\.kind) }.contains(.cancelled(.manualSteering)))
        #expect(engine.automation.progress(of: ship) == nil)
        #expect(world.ship(ship)?.throttle == 0.5)
    }

    @Test func scenarioManeuversAppearInReport() throws {
        let scenario = """
            {"ships": [{"name": "Kestrel", "body": "Earth", "elements": {"a_km": 7000, "e": 0, "i_deg": 28.5, "raan_deg": 40},
                        "maneuver": {"kind": "transfer", "body": "Earth", "target": {"a_km": 7400, "e": 0, "i_deg": 28.5, "raan_deg": 40}}}]}
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("maneuver-\(UUID().uuidString).json").path
        try scenario.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = SimulationOptions(days: 0.25)
        options.warp = 10
        options.scenarioPath = path
        options.includeStations = false
        let report = try SimulationRunner(options: options, catalog: try SolarSystemCatalog.standard()).run(
            logger: Logger(label: "test", minimumLevel: .error))
        let outcome = try #require(report.maneuvers.first { $0.ship == "Kestrel" })
        #expect(outcome.status == "completed")
        #expect(outcome.kind == "transfer")
        #expect(outcome.propellantKg > 0)
        #expect(outcome.elapsedSeconds > 0)
        #expect(abs(outcome.errors?["a_m"] ?? .infinity) < 20_000)
    }

    @Test func scenarioManeuverWithUnknownTargetFails() throws {
        let scenario = """
            {"ships": [{"name": "Tern", "body": "Earth", "elements": {"a_km": 7000, "e": 0, "i_deg": 10},
                        "maneuver": {"kind": "rendezvous", "target": "Nowhere"}}]}
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("maneuver-\(UUID().uuidString).json").path
        try scenario.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = SimulationOptions(days: 0.01)
        options.scenarioPath = path
        #expect(throws: ScenarioError.self) {
            try SimulationRunner(options: options, catalog: try SolarSystemCatalog.standard()).run(
                logger: Logger(label: "test", minimumLevel: .error))
        }
    }
}

import Foundation
import Testing

@testable import GalaxyServer

/// An Earth-only world with one maneuvering ship and the automation that flies it.
final class ManeuverFixture {
    let world: World
    let automation: AutomationSystem
    var events: [ManeuverEvent] = []
    let earth: Int

    init(workerCount: Int = 1, shipsPerChunk: Int = 512) throws {
        world = World(catalog: try SolarSystemCatalog.standard().subset(["Earth"]), workerCount: workerCount)
        automation = try AutomationSystem(shipsPerChunk: shipsPerChunk)
        earth = try #require(world.bodyIndex(named: "Earth"))
    }

    /// 4 kN on 5 t at launch (0.8 m/s²).
    static var design: ShipDesign {
        var design = ShipDesign()
        design.maxThrustNewtons = 4_000
        design.dryMassKg = 2_000
        design.fuelKg = 3_000
        return design
    }

    static func circular(radius: Double, inclinationDegrees: Double, raanDegrees: Double = 0, trueAnomalyDegrees: Double = 0)
        -> OrbitalElements
    {
        OrbitalElements(
            semiMajorAxisMeters: radius, eccentricity: 0, inclination: TestMath.radians(inclinationDegrees),
            rightAscensionOfAscendingNode: TestMath.radians(raanDegrees), argumentOfPeriapsis: 0,
            trueAnomaly: TestMath.radians(trueAnomalyDegrees))
    }

    func addShip(_ name: String, orbit: OrbitalElements, design: ShipDesign = ManeuverFixture.design) throws -> ShipID {
        try world.addShip(name: name, design: design, about: "Earth", elements: orbit)
    }

    func addStation(_ name: String, orbit: OrbitalElements) throws -> ShipID {
        try world.addShip(name: name, kind: .station, design: .station, about: "Earth", elements: orbit)
    }

    /// Runs one tick: automation, then physics.
    func tick(seconds: Double) throws {
        events += automation.step(world: world, seconds: seconds)
        try world.step(seconds: seconds)
    }

    /// Ticks until `ship` gets a completed, aborted or cancelled event, or `maximumSeconds` pass; returns it.
    func runUntilEnd(
        of ship: ShipID, seconds: Double, maximumSeconds: Double, afterTick: () throws -> Void = {}
    ) throws -> ManeuverEvent? {
        var elapsed = 0.0
        while elapsed < maximumSeconds {
            try tick(seconds: seconds)
            try afterTick()
            elapsed += seconds
            if let end = events.last(where: { $0.shipID == ship && $0.kind.endsOrCompletes }) { return end }
        }
        return nil
    }

    /// Ship minus target (position m, velocity m/s).
    func relativeState(_ ship: ShipID, to target: ShipID) throws -> (position: SIMD3<Double>, velocity: SIMD3<Double>) {
        let a = try #require(world.ship(ship))
        let b = try #require(world.ship(target))
        return (a.position - b.position, a.velocity - b.velocity)
    }
}

extension ManeuverEvent.Kind {
    var endsOrCompletes: Bool {
        switch self {
        case .phaseChanged: false
        case .completed, .aborted, .cancelled: true
        }
    }
}

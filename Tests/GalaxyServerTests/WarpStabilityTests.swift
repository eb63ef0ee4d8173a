import Foundation
import Testing

@testable import GalaxyServer

/// Coasting ships at high time warp against the same ships stepped at 1 s in the full solar system.
@Suite struct WarpStabilityTests {
    /// Runs `seconds` of game time in ticks of `tick` seconds and returns each ship's position
    /// relative to its primary at the end (m).
    private func finalOffsets(
        elements: [(String, OrbitalElements)], seconds: Double, tick: Double
    ) throws -> [SIMD3<Double>] {
        let world = World(catalog: try SolarSystemCatalog.standard(), workerCount: 1)
        let ids = try elements.enumerated().map { k, entry in
            try world.addShip(name: "probe-\(k)", about: entry.0, elements: entry.1)
        }
        var elapsed = 0.0
        while elapsed < seconds {
            let dt = min(tick, seconds - elapsed)
            try world.step(seconds: dt)
            elapsed += dt
        }
        return try ids.map { id in
            let ship = try #require(world.ship(id))
            let body = try #require(world.bodyIndex(named: ship.primary))
            return ship.position - world.bodyState(body).position
        }
    }

    @Test func lowEarthOrbitAtMaximumWarpDriftsUnderOneKilometrePerOrbit() throws {
        let leo = OrbitalElements(
            semiMajorAxisMeters: 6_771_000, eccentricity: 0.0005, inclination: 51.6 * .pi / 180,
            rightAscensionOfAscendingNode: 0.3, argumentOfPeriapsis: 0, trueAnomaly: 0)
        let period = 2 * Double.pi * (pow(6_771_000, 3) / 3.986004418e14).squareRoot()
        let orbits = 16.0
        let seconds = (orbits * period).rounded()
        let reference = try finalOffsets(elements: [("Earth", leo)], seconds: seconds, tick: 1)[0]
        let warped = try finalOffsets(elements: [("Earth", leo)], seconds: seconds, tick: 10_000)[0]
        let driftPerOrbit = (warped - reference).length / orbits
        #expect(driftPerOrbit < 1_000, "drift \(driftPerOrbit) m per orbit at 10,000x")
    }

    @Test func eccentricLunarOrbitAtHighWarpMatchesOneSecondSteps() throws {
        let elliptic = OrbitalElements(
            semiMajorAxisMeters: 4_000_000, eccentricity: 0.5, inclination: 1.2, rightAscensionOfAscendingNode: 0.4,
            argumentOfPeriapsis: 1.0, trueAnomaly: 2.0)
        let seconds = 2 * 86_400.0
        let reference = try finalOffsets(elements: [("Moon", elliptic)], seconds: seconds, tick: 1)[0]
        let warped = try finalOffsets(elements: [("Moon", elliptic)], seconds: seconds, tick: 10_000)[0]
        #expect((warped - reference).length < 1_000, "offset \((warped - reference).length) m after two days")
    }

    @Test func standardStationsOrbitEarthMoonAndMars() throws {
        let world = World(catalog: try SolarSystemCatalog.standard(), workerCount: 1)
        let ids = try world.addStandardStations()
        let stations = ids.compactMap(world.ship)
        #expect(Set(stations.map(\.primary)).isSuperset(of: ["Earth", "Moon", "Mars"]))
        for _ in 0..<600 { try world.step(seconds: 10) }
        for station in ids.compactMap(world.ship) {
            #expect(station.kind == .station)
            #expect(station.condition.isEmpty, "\(station.name) condition \(station.condition)")
            let orbit = try world.elements(of: station.id)
            let body = try #require(world.bodyIndex(named: orbit.body))
            #expect(orbit.elements.periapsisMeters > world.bodyRadius(body), "\(station.name) periapsis below surface")
            #expect(orbit.elements.eccentricity < 0.01, "\(station.name) eccentricity \(orbit.elements.eccentricity)")
        }
    }

    @Test func stationRejectsSteering() throws {
        let world = World(catalog: try SolarSystemCatalog.standard(), workerCount: 1)
        let station = try #require(try world.addStandardStations().first)
        #expect(throws: SteeringError.self) { try world.apply(SteeringCommand(shipID: station, throttle: 1)) }
    }
}

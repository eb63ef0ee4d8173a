import Testing

@testable import GalaxyServer

@Suite struct ShipPointingTests {
    /// Rotates body +x by the scalar-first unit quaternion q.
    private func forward(_ q: SIMD4<Double>) -> SIMD3<Double> {
        let (w, x, y, z) = (q.x, q.y, q.z, q.w)
        return SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y))
    }

    @Test(arguments: [
        SIMD3<Double>(1, 0, 0), SIMD3(-1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, -3), SIMD3(0.3, -0.4, 0.5),
        SIMD3(-1, 1e-13, 0),
    ])
    func pointTurnsEngineAxisOntoDirection(direction: SIMD3<Double>) throws {
        let world = World(catalog: try SolarSystemCatalog.standard().subset(["Earth"]), workerCount: 1)
        let elements = OrbitalElements(
            semiMajorAxisMeters: 7e6, eccentricity: 0, inclination: 0.5, rightAscensionOfAscendingNode: 0,
            argumentOfPeriapsis: 0, trueAnomaly: 0)
        let id = try world.addShip(name: "probe", about: "Earth", elements: elements)
        try world.point(id, along: direction)
        let ship = try #require(world.ship(id))
        let unit = direction / direction.length
        #expect(abs(ship.attitude.length - 1) < 1e-12)
        #expect((forward(ship.attitude) - unit).length < 1e-9, "forward \(forward(ship.attitude)) for \(unit)")
        #expect(ship.angularRate == .zero)
    }

    @Test func pointRejectsZeroDirection() throws {
        let world = World(catalog: try SolarSystemCatalog.standard().subset(["Earth"]), workerCount: 1)
        let elements = OrbitalElements(
            semiMajorAxisMeters: 7e6, eccentricity: 0, inclination: 0.5, rightAscensionOfAscendingNode: 0,
            argumentOfPeriapsis: 0, trueAnomaly: 0)
        let id = try world.addShip(name: "probe", about: "Earth", elements: elements)
        #expect(throws: WorldError.self) { try world.point(id, along: .zero) }
    }
}

extension SIMD4 where Scalar == Double {
    fileprivate var length: Double { (self * self).sum().squareRoot() }
}

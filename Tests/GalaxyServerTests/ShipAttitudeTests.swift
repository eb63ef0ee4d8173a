import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Attitude: exact quaternion integration, every pointing mode, the rate and acceleration limits, and thrust
/// along the attitude's body +x.
@Suite struct ShipAttitudeTests {
    /// Body +x of a ship in ICRF.
    func noseDirection(_ ship: ShipSnapshot) -> SIMD3<Double> {
        TestMath.rotate(SIMD3(1, 0, 0), by: ship.attitude)
    }

    func quaternionNorm(_ q: SIMD4<Double>) -> Double { (q * q).sum().squareRoot() }

    /// Spinning at 10°/s about body z for 1,000 one-second ticks turns the ship 10,000°, which is 280°. Half
    /// of 10,000° is 5,000° ≡ 320°, so q = ±(cos 320°, 0, 0, sin 320°) = ±(0.766044, 0, 0, -0.642788), and
    /// |q| must stay 1 at every tick.
    @Test func spinKeepsUnitQuaternion() throws {
        let rate = TestMath.radians(10)
        var design = ShipDesign()
        design.maxRotationRateRadPerS = 1
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Spinner", design: design, position: SIMD3(1e12, 0, 0), velocity: .zero)
        try world.apply(SteeringCommand(shipID: id, rotationRate: SIMD3(0, 0, rate)))
        let index = try #require(world.ships.index(of: id))
        world.ships[.rateZ][index] = rate

        var worstNorm = 0.0
        for _ in 0..<1_000 {
            try world.step(seconds: 1)
            worstNorm = max(worstNorm, abs(quaternionNorm(try world.requireShip(id).attitude) - 1))
        }
        #expect(worstNorm < 1e-12, "| |q| - 1 | reached \(worstNorm)")
        let q = try world.requireShip(id).attitude
        let expected = SIMD4<Double>(cos(TestMath.radians(320)), 0, 0, sin(TestMath.radians(320)))
        #expect(abs(expected[0] - 0.766044) < 5e-7)
        #expect(abs(expected[3] + 0.642788) < 5e-7)
        let sign: Double = q[0] * expected[0] >= 0 ? 1 : -1
        #expect(quaternionNorm(sign * q - expected) < 1e-9, "final quaternion \(q)")
        #expect(abs(q[1]) < 1e-12, "rotation leaked out of the z axis: \(q)")
        #expect(abs(q[2]) < 1e-12, "rotation leaked out of the z axis: \(q)")
        var angle = 2 * atan2(q[3], q[0])
        if angle < 0 { angle += 2 * .pi }
        #expect(abs(TestMath.angleDifference(angle, TestMath.radians(280))) < 1e-9, "final angle \(TestMath.degrees(angle))°")
    }

    /// After the long spin the engine still pushes along body +x with the full rocket-equation Δv, so the
    /// thrust direction derived from the quaternion is a unit vector.
    @Test func thrustAfterSpinIsUnitLength() throws {
        var design = ShipDesign()
        design.maxRotationRateRadPerS = 1
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Spinner", design: design, position: SIMD3(1e12, 0, 0), velocity: .zero)
        let twin = try world.addShip(name: "Twin", design: design, position: SIMD3(1e12, 0, 0), velocity: .zero)
        try world.apply(SteeringCommand(shipID: id, rotationRate: SIMD3(0.05, 0.1, 0.17)))
        for _ in 0..<500 { try world.step(seconds: 1) }
        try world.apply(SteeringCommand(shipID: id, holdAttitude: true))
        for _ in 0..<5 { try world.step(seconds: 1) }
        let before = try world.requireShip(id)
        #expect(before.angularRate == .zero, "hold stops the rotation")

        let velocityGap = before.velocity - (try world.requireShip(twin)).velocity
        try world.apply(SteeringCommand(shipID: id, throttle: 1))
        try world.step(seconds: 1)
        let after = try world.requireShip(id)
        #expect(after.attitude == before.attitude, "holding still leaves the attitude unchanged")
        let deltaV = after.velocity - (try world.requireShip(twin)).velocity - velocityGap
        let exhaustSpeed = design.ispSeconds * Reference.standardGravity
        let massFlow = design.maxThrustNewtons / exhaustSpeed
        let m0 = design.dryMassKg + design.fuelKg
        let expected = exhaustSpeed * log(m0 / (m0 - massFlow))
        #expect(TestMath.relativeDifference(deltaV.length, expected) < 1e-9)
        #expect(TestMath.angle(deltaV, noseDirection(before)) < 1e-9)
    }

    // MARK: Pointing modes

    /// Adds a ship on a 40,000 km circular orbit inclined 30°, whose velocity turns only 8e-5 rad per tick.
    func orbitingShip(_ world: World) throws -> ShipID {
        try world.addShip(
            name: "Pointer", about: "Earth",
            elements: OrbitalElements(
                semiMajorAxisMeters: 40_000_000, eccentricity: 0, inclination: TestMath.radians(30),
                rightAscensionOfAscendingNode: 0.7, argumentOfPeriapsis: 0, trueAnomaly: 1.2))
    }

    /// Each orbital mode aims body +x along its vector of the orbit relative to Earth. The aim moves by
    /// n·1 s = 8e-5 rad per tick and the controller closes in within a tick, so 1e-3 rad bounds the lag.
    @Test(arguments: AttitudeMode.allCases.filter { ![.hold, .direction, .target].contains($0) })
    func orbitalModePointsAlongItsVector(mode: AttitudeMode) throws {
        let world = TestWorlds.earthOnly()
        let id = try orbitingShip(world)
        try world.apply(SteeringCommand(shipID: id, attitudeMode: mode))
        for _ in 0..<120 { try world.step(seconds: 1) }
        let ship = try world.requireShip(id)
        #expect(ship.mode == mode)
        let r = ship.position
        let v = ship.velocity
        let aim: SIMD3<Double>
        switch mode {
        case .prograde: aim = v
        case .retrograde: aim = -v
        case .normal: aim = r.cross(v)
        case .antinormal: aim = -r.cross(v)
        case .radialOut: aim = r
        case .radialIn: aim = -r
        default: aim = .zero
        }
        let miss = TestMath.angle(noseDirection(ship), aim)
        #expect(miss < 1e-3, "\(mode.rawValue) is \(miss) rad off its vector")
    }

    @Test func directionModeHoldsDirection() throws {
        let world = TestWorlds.earthOnly()
        let id = try orbitingShip(world)
        let direction = SIMD3<Double>(1, 2, -2)
        try world.apply(SteeringCommand(shipID: id, direction: 7 * direction))
        for _ in 0..<120 { try world.step(seconds: 1) }
        let ship = try world.requireShip(id)
        #expect(ship.mode == .direction)
        #expect(TestMath.angle(noseDirection(ship), direction) < 1e-6)
    }

    @Test func targetModeTracksOtherShip() throws {
        let world = TestWorlds.earthOnly()
        let id = try orbitingShip(world)
        let other = try world.addShip(
            name: "Beacon", about: "Earth",
            elements: OrbitalElements(
                semiMajorAxisMeters: 42_000_000, eccentricity: 0, inclination: 0, rightAscensionOfAscendingNode: 0,
                argumentOfPeriapsis: 0, trueAnomaly: 0))
        try world.apply(SteeringCommand(shipID: id, target: .ship(other)))
        for _ in 0..<120 { try world.step(seconds: 1) }
        let ship = try world.requireShip(id)
        let beacon = try world.requireShip(other)
        #expect(ship.mode == .target)
        #expect(TestMath.angle(noseDirection(ship), beacon.position - ship.position) < 1e-3)
    }

    @Test func targetModeTracksBody() throws {
        let world = TestWorlds.earthOnly()
        let id = try orbitingShip(world)
        try world.apply(SteeringCommand(shipID: id, target: .body("Earth")))
        for _ in 0..<120 { try world.step(seconds: 1) }
        let ship = try world.requireShip(id)
        #expect(TestMath.angle(noseDirection(ship), -ship.position) < 1e-3)
    }

    /// The aim straight behind the nose has no unique turning axis, but the ship must still turn around.
    @Test func aimBehindNoseTurnsAround() throws {
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(
            name: "Reverser", position: SIMD3(40_000_000, 0, 0), velocity: SIMD3(0, 3_157, 0))
        try world.apply(SteeringCommand(shipID: id, attitudeMode: .radialIn))
        for _ in 0..<120 { try world.step(seconds: 1) }
        let ship = try world.requireShip(id)
        #expect(TestMath.angle(noseDirection(ship), -ship.position) < 1e-3)
        #expect(abs(quaternionNorm(ship.attitude) - 1) < 1e-12)
    }

    // MARK: Limits

    /// During a 170° slew the body rate stays within the design's maximum, and changes per 1 s tick by at most
    /// the maximum angular acceleration times 1 s.
    @Test func slewRespectsRateAndAccelerationLimits() throws {
        let design = ShipDesign()
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Slewer", position: SIMD3(1e12, 0, 0), velocity: .zero)
        let aim = SIMD3<Double>(cos(TestMath.radians(170)), sin(TestMath.radians(170)) * 0.6, sin(TestMath.radians(170)) * 0.8)
        try world.apply(SteeringCommand(shipID: id, direction: aim))
        var previousRate = SIMD3<Double>.zero
        var peakRate = 0.0
        for _ in 0..<60 {
            try world.step(seconds: 1)
            let ship = try world.requireShip(id)
            peakRate = max(peakRate, ship.angularRate.length)
            #expect(ship.angularRate.length <= design.maxRotationRateRadPerS * (1 + 1e-12))
            let change = (ship.angularRate - previousRate).length
            #expect(change <= design.maxAngularAccelerationRadPerS2 * 1 * (1 + 1e-12), "rate changed by \(change) rad/s in 1 s")
            previousRate = ship.angularRate
        }
        #expect(peakRate > 0.5 * design.maxRotationRateRadPerS, "the slew should approach the rate limit")
        #expect(TestMath.angle(noseDirection(try world.requireShip(id)), aim) < 1e-6)
    }

    /// A commanded spin, then hold: the rate decays to zero at the acceleration limit and the attitude then
    /// stays exactly where it stopped.
    @Test func holdStopsRotation() throws {
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Holder", position: SIMD3(1e12, 0, 0), velocity: .zero)
        try world.apply(SteeringCommand(shipID: id, rotationRate: SIMD3(0, 0.1, 0)))
        for _ in 0..<10 { try world.step(seconds: 1) }
        #expect(abs((try world.requireShip(id)).angularRate.y - 0.1) < 1e-12)
        try world.apply(SteeringCommand(shipID: id, holdAttitude: true))
        for _ in 0..<2 { try world.step(seconds: 1) }
        let stopped = try world.requireShip(id)
        #expect(stopped.angularRate == .zero)
        #expect(stopped.mode == .hold)
        try world.step(seconds: 1)
        #expect((try world.requireShip(id)).attitude == stopped.attitude)
    }

    /// RCS commands are in the body frame: after turning the nose to ICRF +y, body +y thrust pushes along ICRF -x.
    @Test func rcsPushesInBodyFrame() throws {
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Turner", position: SIMD3(1e12, 0, 0), velocity: .zero)
        let twin = try world.addShip(name: "Twin", position: SIMD3(1e12, 0, 0), velocity: .zero)
        try world.apply(SteeringCommand(shipID: id, direction: SIMD3(0, 1, 0)))
        for _ in 0..<60 { try world.step(seconds: 1) }
        let turned = try world.requireShip(id)
        let gap = turned.velocity - (try world.requireShip(twin)).velocity
        try world.apply(SteeringCommand(shipID: id, rcs: SIMD3(0, 1, 0)))
        try world.step(seconds: 1)
        let pushed = try world.requireShip(id)
        let deltaV = pushed.velocity - (try world.requireShip(twin)).velocity - gap
        #expect(TestMath.angle(deltaV, TestMath.rotate(SIMD3(0, 1, 0), by: turned.attitude)) < 1e-6)
        #expect(TestMath.angle(deltaV, SIMD3(-1, 0, 0)) < 1e-6)
    }
}

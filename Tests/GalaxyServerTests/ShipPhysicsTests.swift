import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Ship translation: close perihelion passages, surface impacts at high warp, propellant accounting, the rocket
/// equation for the main engine and RCS, and the freeze of a ship whose state turns non-finite.
@Suite struct ShipPhysicsTests {
    /// Far enough from Earth (1e12 m) that gravity and its gradient are negligible next to the thrust
    /// tested, so a ship's velocity change against an unpowered twin is the thrust's alone.
    static let deepSpace = SIMD3<Double>(1e12, 0, 0)

    func burnTime(_ world: World, _ id: ShipID) throws -> Double {
        let index = try #require(world.ships.index(of: id))
        return world.ships[.burn][index]
    }

    // MARK: Close perihelion

    /// a = 1 AU, e = 0.995 from aphelion at 1,000 s ticks: perihelion q = 747,989 km is just above the Sun's
    /// 695,700 km radius, passed at 594.95 km/s.
    @Test func sungrazerKeepsEnergyThroughPerihelion() throws {
        let mu = Reference.sunGM
        let a = Reference.astronomicalUnit
        let e = 0.995
        let world = TestWorlds.sunOnly()
        let id = try world.addShip(
            name: "Sungrazer", about: "Sun",
            elements: OrbitalElements(
                semiMajorAxisMeters: a, eccentricity: e, inclination: 0.3, rightAscensionOfAscendingNode: 1,
                argumentOfPeriapsis: 2, trueAnomaly: .pi))
        let energy = -mu / (2 * a)
        let period = 2 * Double.pi * (a * a * a / mu).squareRoot()
        let perihelionSpeed = (mu * (1 + e) / (a * (1 - e))).squareRoot()
        #expect(abs(energy + 4.43564e8) < 0.00001e8)
        #expect(abs(period / 86_400 - 365.26) < 0.005)
        #expect(abs(perihelionSpeed - 594_950) < 5)

        let toPerihelion = period / 2
        let fullTicks = Int(toPerihelion / 1_000)
        var worstEnergy = 0.0
        var worstAxis = 0.0
        func check() throws {
            let ship = try world.requireShip(id)
            let shipEnergy = ship.velocity.lengthSquared / 2 - mu / ship.position.length
            worstEnergy = max(worstEnergy, TestMath.relativeDifference(shipEnergy, energy))
            worstAxis = max(worstAxis, TestMath.relativeDifference(-mu / (2 * shipEnergy), a))
        }
        for _ in 0..<fullTicks {
            try world.step(seconds: 1_000)
            try check()
        }
        try world.step(seconds: toPerihelion - Double(fullTicks) * 1_000)
        try check()
        let atPerihelion = try world.requireShip(id)
        #expect(TestMath.relativeDifference(atPerihelion.position.length, a * (1 - e)) < 1e-6)
        #expect(TestMath.relativeDifference(atPerihelion.velocity.length, perihelionSpeed) < 1e-6)
        for _ in 0..<200 {
            let events = try world.step(seconds: 1_000)
            #expect(events.isEmpty, "no crash above the surface: \(events)")
            try check()
        }
        #expect(worstEnergy <= 1e-6, "relative energy error \(worstEnergy)")
        #expect(worstAxis <= 1e-6, "relative semi-major axis error \(worstAxis)")
        #expect(!(try world.requireShip(id)).condition.contains(.crashed))
    }

    /// With e = 0.998 the perihelion (299,196 km) is inside the Sun. Starting from aphelion the inbound conic
    /// reaches R at E = 2π - acos((1 - R/a)/e), t = (E - e sin E - π)/n. The crash is reported in the tick
    /// that contains t.
    @Test func sungrazerInsideSunCrashesAtSurface() throws {
        let mu = Reference.sunGM
        let a = Reference.astronomicalUnit
        let e = 0.998
        let radius = Reference.sunRadius
        let world = TestWorlds.sunOnly()
        let elements = OrbitalElements(
            semiMajorAxisMeters: a, eccentricity: e, inclination: 0.3, rightAscensionOfAscendingNode: 1,
            argumentOfPeriapsis: 2, trueAnomaly: .pi)
        let id = try world.addShip(name: "Diver", about: "Sun", elements: elements)

        let hitAnomaly = 2 * Double.pi - acos((1 - radius / a) / e)
        let hitTime = (hitAnomaly - e * sin(hitAnomaly) - .pi) / (mu / (a * a * a)).squareRoot()
        let hitTrueAnomaly = 2 * atan2((1 + e).squareRoot() * sin(hitAnomaly / 2), (1 - e).squareRoot() * cos(hitAnomaly / 2))
        var impact = elements
        impact.trueAnomaly = hitTrueAnomaly
        let impactPoint = try TwoBody.state(mu: mu, elements: impact).position
        #expect(TestMath.relativeDifference(impactPoint.length, radius) < 1e-9)

        var crashes: [ShipEvent] = []
        var tick = 0
        while crashes.isEmpty && Double(tick) * 1_000 < hitTime + 10_000 {
            crashes = try world.step(seconds: 1_000).filter { $0.kind == .crashed }
            tick += 1
            let ship = try world.requireShip(id)
            #expect(ship.position.length >= radius * (1 - 1e-12), "inside the Sun at t = \(tick * 1_000) s")
        }
        let crash = try #require(crashes.first, "no crash within 10,000 s of t = \(hitTime) s")
        #expect(crashes.count == 1)
        #expect(crash.body == "Sun")
        #expect(crash.gameTimeSeconds == (hitTime / 1_000).rounded(.up) * 1_000, "impact at t = \(hitTime) s")
        let ship = try world.requireShip(id)
        #expect(ship.condition.contains(.crashed))
        #expect(TestMath.relativeDifference(ship.position.length, radius) < 1e-9)
        #expect((ship.position - impactPoint).length < 1e-6 * radius, "impact point off the conic")
        #expect(ship.velocity == .zero, "a crashed ship rests on the Sun, which is at rest here")
    }

    /// A fast pass 15 km from the centre of Phobos (GM 7.0875e5 m³/s², radius 11.08 km) in one 600 s tick.
    /// With Phobos alone the ship moves on the exact hyperbola: the start is its periapsis q, so after t it is at
    /// (|a| (e - cosh H), |a| √(e² - 1) sinh H) with e sinh H - H = n t.
    @Test(arguments: [10_000.0, 20_000, 30_000])
    func fastFlybyOfSmallMoonStaysOnHyperbola(speed: Double) throws {
        let mu = 708_754.606_689_445_2
        let q = 15_000.0
        let world = TestWorlds.singleBody(name: "Phobos", gm: mu, radius: 11_080, policy: IntegrationPolicy())
        let id = try world.addShip(name: "Flyby", position: SIMD3(q, 0, 0), velocity: SIMD3(0, speed, 0))
        let events = try world.step(seconds: 600)
        #expect(events.isEmpty)

        let axis = mu / (speed * speed - 2 * mu / q)
        let e = 1 + q / axis
        let h = TestMath.hyperbolicAnomaly(eccentricity: e, meanAnomaly: (mu / pow(axis, 3)).squareRoot() * 600)
        let expected = SIMD3(axis * (e - cosh(h)), axis * (e * e - 1).squareRoot() * sinh(h), 0)
        let ship = try world.requireShip(id)
        #expect(TestMath.relativeDifference(ship.position, expected) < 1e-6, "at \(speed) m/s: \(ship.position) m")
    }

    // MARK: Surface impact at high warp

    /// At rest 1,007 km above Earth, then one 100,000 s tick: radial free fall reaches R at 512.26 s and
    /// 4,132.6 m/s. The ship must end on the surface at rest, never inside, never faster, never NaN.
    @Test(arguments: [SIMD3<Double>.zero, SIMD3(-10_000, 0, 0)])
    func fallAtMaximumWarpCrashesOnSurface(initialVelocity: SIMD3<Double>) throws {
        let r0 = 7_378_000.0
        let mu = Reference.earthGM
        let impactSpeed = (initialVelocity.lengthSquared + 2 * mu * (1 / Reference.earthRadius - 1 / r0)).squareRoot()
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Faller", position: SIMD3(r0, 0, 0), velocity: initialVelocity)
        try world.step(seconds: 1)
        let events = try world.step(seconds: 100_000)
        #expect(events.map(\.kind) == [.crashed])
        #expect(events.first?.body == "Earth")
        for _ in 0..<3 {
            let ship = try world.requireShip(id)
            #expect(ship.condition.contains(.crashed))
            #expect(ship.position.isFinite)
            #expect(ship.velocity.isFinite)
            #expect(abs(ship.position.length - Reference.earthRadius) < 1e-6, "|r| = \(ship.position.length) m")
            #expect(TestMath.relativeDifference(ship.position, SIMD3(Reference.earthRadius, 0, 0)) < 1e-12)
            #expect(ship.velocity == .zero)
            #expect(ship.velocity.length <= impactSpeed)
            try world.step(seconds: 100_000)
        }
    }

    /// The same falls in 1 s ticks. The crash is reported in the tick that contains the impact time: 512.26 s
    /// from rest, and ∫ dr / v(r) from 10 km/s. The ship never goes below R or above the impact speed.
    @Test(arguments: [0.0, 10_000])
    func fallAtOneSecondTicksCrashesOnTime(initialSpeed: Double) throws {
        let r0 = 7_378_000.0
        let mu = Reference.earthGM
        let radius = Reference.earthRadius
        let speed = { (r: Double) in (initialSpeed * initialSpeed + 2 * mu * (1 / r - 1 / r0)).squareRoot() }
        let hitTime: Double
        if initialSpeed == 0 {
            let x = radius / r0
            hitTime = (r0 * r0 * r0 / (2 * mu)).squareRoot() * ((x * (1 - x)).squareRoot() + acos(x.squareRoot()))
        } else {
            let intervals = 2_000
            let width = (r0 - radius) / Double(intervals)
            var sum = 1 / speed(radius) + 1 / speed(r0)
            for k in 1..<intervals { sum += (k % 2 == 1 ? 4 : 2) / speed(radius + Double(k) * width) }
            hitTime = sum * width / 3
        }
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Faller", position: SIMD3(r0, 0, 0), velocity: SIMD3(-initialSpeed, 0, 0))
        var crash: ShipEvent?
        while crash == nil && world.elapsedSeconds < hitTime + 5 {
            crash = try world.step(seconds: 1).first { $0.kind == .crashed }
            let ship = try world.requireShip(id)
            #expect(ship.position.length >= radius * (1 - 1e-12))
            #expect(ship.velocity.length <= speed(radius) * (1 + 1e-9))
        }
        let event = try #require(crash, "no crash by t = \(world.elapsedSeconds) s, expected at \(hitTime) s")
        #expect(event.gameTimeSeconds == hitTime.rounded(.up), "impact expected at t = \(hitTime) s")
    }

    // MARK: Propellant

    /// Dry 1,000 kg, 0.5 kg of fuel, 1,000 N at Isp 300 s: ṁ = F/(Isp g0) = 0.339905 kg/s. The tanks empty
    /// 0.471 s into the second 1 s tick, after a 1.470998 s burn and Δv = Isp g0 ln(1000.5/1000) = 1.47063 m/s.
    @Test(arguments: [1.0, 100])
    func fuelRunsOutExactly(tickSeconds: Double) throws {
        var design = ShipDesign()
        design.dryMassKg = 1_000
        design.fuelKg = 0.5
        design.maxThrustNewtons = 1_000
        design.ispSeconds = 300
        let g0 = Reference.standardGravity
        let massFlow = 1_000 / (300 * g0)
        let totalBurn = 0.5 / massFlow
        let totalDeltaV = 300 * g0 * log(1_000.5 / 1_000)
        #expect(abs(massFlow - 0.339905) < 5e-7)
        #expect(abs(totalBurn - 1.470998) < 1e-6)
        #expect(abs(totalDeltaV - 1.47063) < 5e-6)

        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Lander", design: design, position: Self.deepSpace, velocity: .zero)
        let twin = try world.addShip(name: "Twin", design: design, position: Self.deepSpace, velocity: .zero)
        try world.apply(SteeringCommand(shipID: id, throttle: 1))

        var outOfFuel: [ShipEvent] = []
        var burned = 0.0
        for tick in 1...3 {
            outOfFuel += try world.step(seconds: tickSeconds).filter { $0.kind == .outOfFuel }
            burned += try burnTime(world, id)
            let ship = try world.requireShip(id)
            #expect(ship.fuelKg >= 0, "fuel went negative: \(ship.fuelKg) kg")
            if tickSeconds == 1 && tick == 1 {
                #expect(abs(ship.fuelKg - (0.5 - massFlow)) < 1e-12)
                #expect(try burnTime(world, id) == 1)
            }
            if tickSeconds == 1 && tick == 2 {
                #expect(abs(try burnTime(world, id) - (0.5 - massFlow) / massFlow) < 1e-9)
            }
        }
        let ship = try world.requireShip(id)
        #expect(ship.fuelKg == 0)
        #expect(ship.throttle == 0)
        #expect(ship.thrustNewtons == 0)
        #expect(ship.condition.contains(.outOfFuel))
        #expect(outOfFuel.count == 1)
        #expect(outOfFuel.first?.shipID == id)
        #expect(abs(burned - totalBurn) < 1e-9)
        let deltaV = ship.velocity - (try world.requireShip(twin)).velocity
        #expect(TestMath.relativeDifference(deltaV.length, totalDeltaV) < 1e-9)
        #expect(TestMath.angle(deltaV, SIMD3(1, 0, 0)) < 1e-12, "the main engine pushes along body +x")

        let rejected = #expect(throws: SteeringError.self) { try world.apply(SteeringCommand(shipID: id, throttle: 0.5)) }
        #expect(rejected?.field == "throttle")
    }

    /// Default design (2,000 kg dry, 1,000 kg fuel, 2,000 N, Isp 320 s) burning to empty in 10 s ticks:
    /// Δv = Isp g0 ln(3000/2000) = 1,272.4 m/s over 1,569.06 s, empty in the tick ending at 1,570 s.
    @Test func mainEngineFollowsRocketEquation() throws {
        let design = ShipDesign()
        let g0 = Reference.standardGravity
        let exhaustSpeed = design.ispSeconds * g0
        let expectedDeltaV = exhaustSpeed * log((design.dryMassKg + design.fuelKg) / design.dryMassKg)
        let expectedBurn = design.fuelKg / (design.maxThrustNewtons / exhaustSpeed)
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Burner", position: Self.deepSpace, velocity: .zero)
        let twin = try world.addShip(name: "Twin", position: Self.deepSpace, velocity: .zero)
        try world.apply(SteeringCommand(shipID: id, throttle: 1))
        var burned = 0.0
        var emptyAt: Double?
        while emptyAt == nil && world.elapsedSeconds < 2_000 {
            let events = try world.step(seconds: 10)
            burned += try burnTime(world, id)
            if events.contains(where: { $0.kind == .outOfFuel }) { emptyAt = world.elapsedSeconds }
        }
        #expect(emptyAt == (expectedBurn / 10).rounded(.up) * 10)
        #expect(TestMath.relativeDifference(burned, expectedBurn) < 1e-9)
        let deltaV = (try world.requireShip(id)).velocity - (try world.requireShip(twin)).velocity
        #expect(TestMath.relativeDifference(deltaV.length, expectedDeltaV) < 1e-9)
        #expect(TestMath.relativeDifference(deltaV, SIMD3(expectedDeltaV, 0, 0)) < 1e-9)
    }

    /// RCS thrust per axis in the body frame, with propellant flow from the sum of the axis commands.
    @Test func rcsFollowsRocketEquation() throws {
        let design = ShipDesign()
        let command = SIMD3<Double>(-1, 0, 0.5)
        let force = design.rcsThrustNewtons * command
        let massFlow = (abs(command.x) + abs(command.y) + abs(command.z)) * design.rcsThrustNewtons
            / (design.rcsIspSeconds * Reference.standardGravity)
        let m0 = design.dryMassKg + design.fuelKg
        let expectedDeltaV = force / massFlow * log(m0 / (m0 - massFlow * 2))

        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Drifter", position: Self.deepSpace, velocity: .zero)
        let twin = try world.addShip(name: "Twin", position: Self.deepSpace, velocity: .zero)
        try world.apply(SteeringCommand(shipID: id, rcs: command))
        try world.step(seconds: 2)
        let ship = try world.requireShip(id)
        let deltaV = ship.velocity - (try world.requireShip(twin)).velocity
        #expect(TestMath.relativeDifference(deltaV, expectedDeltaV) < 1e-9)
        #expect(abs(ship.fuelKg - (design.fuelKg - 2 * massFlow)) < 1e-9)
        #expect(ship.rcs == command, "the RCS command stays until changed")
    }

    // MARK: Non-finite states

    /// Isp 1e307 s turns a burn of most of the ship's mass into Δv = Isp g0 ln(m0/m1) > 1.8e308 m/s, which
    /// overflows: the ship keeps its state from before the tick and is frozen, and the other ship moves on.
    @Test func nonFiniteShipIsFrozen() throws {
        var design = ShipDesign()
        design.dryMassKg = 0.1
        design.fuelKg = 1.8
        design.maxThrustNewtons = 1.7e308
        design.ispSeconds = 1e307
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Overflow", design: design, position: Self.deepSpace, velocity: SIMD3(0, 5, 0))
        let bystander = try world.addShip(name: "Bystander", position: SIMD3(7e6, 0, 0), velocity: SIMD3(0, 7_546, 0))
        try world.step(seconds: 1)
        try world.apply(SteeringCommand(shipID: id, throttle: 1))
        let before = try world.requireShip(id)
        let bystanderBefore = try world.requireShip(bystander)

        let events = try world.step(seconds: 1)
        #expect(events.map(\.kind) == [.frozen])
        #expect(events.first?.shipID == id)
        for _ in 0..<2 {
            let frozen = try world.requireShip(id)
            #expect(frozen.condition.contains(.frozen))
            #expect(frozen.position == before.position)
            #expect(frozen.velocity == before.velocity)
            #expect(frozen.fuelKg == before.fuelKg)
            let later = try world.step(seconds: 1)
            #expect(later.isEmpty, "a frozen ship reports nothing more: \(later)")
        }
        #expect((try world.requireShip(bystander)).position != bystanderBefore.position)
        let rejected = #expect(throws: SteeringError.self) { try world.apply(SteeringCommand(shipID: id, throttle: 0)) }
        #expect(rejected?.field == "ship_id")
    }
}

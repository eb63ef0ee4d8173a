import Foundation
import Testing

@testable import GalaxyServer

/// Closed loop: the Q-law steers a ship in an Earth-only world through SteeringCommand, one command per step.
@Suite struct QLawTransferTests {
    struct Tolerance {
        var semiMajorAxisMeters = 10_000.0
        var eccentricity = 2e-3
        var inclination = TestMath.radians(0.1)
        /// Distance in the (h, k) plane, which also bounds the node error.
        var node = 2e-3
    }

    /// From a 7,000 km circular equatorial orbit (e = 0 and i = 0 exactly) to 8,000 km circular at 10°, with
    /// about 1 m/s² of thrust and an absolute effectivity cut-off: every direction is finite and the elements
    /// reach the target.
    @Test func circularEquatorialToInclinedCircular() throws {
        let world = World(catalog: try SolarSystemCatalog.standard().subset(["Earth"]), workerCount: 1)
        let earth = try #require(world.bodyIndex(named: "Earth"))
        let mu = world.bodyGM(earth)
        var design = ShipDesign()
        design.maxThrustNewtons = 4_000
        design.dryMassKg = 2_000
        design.fuelKg = 3_000
        let start = OrbitalElements(
            semiMajorAxisMeters: 7_000_000, eccentricity: 0, inclination: 0, rightAscensionOfAscendingNode: 0,
            argumentOfPeriapsis: 0, trueAnomaly: 0)
        let id = try world.addShip(name: "Transfer", design: design, about: "Earth", elements: start)

        let target = QLawTarget(semiMajorAxisMeters: 8_000_000, eccentricity: 0, inclination: TestMath.radians(10))
        var parameters = QLawParameters(
            mu: mu, target: target, thrustAcceleration: 1, minimumPeriapsisMeters: world.bodyRadius(earth) + 200_000)
        let goal = try ModifiedEquinoctialElements(
            elements: OrbitalElements(
                semiMajorAxisMeters: 8_000_000, eccentricity: 0, inclination: target.inclination,
                rightAscensionOfAscendingNode: 0, argumentOfPeriapsis: 0, trueAnomaly: 0))
        let tolerance = Tolerance()
        // Thrusting everywhere at ~1 m/s² pumps eccentricity and never settles; coasting where Q-dot is
        // below 70% of the orbit's best converges.
        let cutoffs = EffectivityCutoffs(absolute: 0.7)
        let batch = try QLawEffectivityBatch(samples: 64)
        var burnSeconds = 0.0
        let stepSeconds = 1.0
        var converged = false
        var elapsed = 0.0
        while elapsed < 40_000 {
            let ship = try world.requireShip(id)
            let body = world.bodyState(earth)
            let position = ship.position - body.position
            let velocity = ship.velocity - body.velocity
            let elements = try ModifiedEquinoctialElements(mu: mu, position: position, velocity: velocity)
            if reached(elements, goal: goal, tolerance: tolerance) {
                converged = true
                break
            }
            parameters.thrustAcceleration = design.maxThrustNewtons / (ship.dryMassKg + ship.fuelKg)
            let steering = try QLaw.steer(parameters, position: position, velocity: velocity)
            try #require(steering.direction.isFinite, "direction at t = \(elapsed) s is \(steering.direction)")
            try #require(abs(steering.direction.length - 1) < 1e-9)
            _ = try batch.run(parameters: [parameters], elements: [elements])
            let effectivity = QLawEffectivity(
                qDotCurrent: steering.qDot, qDotMinimum: batch.qDotMinimum[0], qDotMaximum: batch.qDotMaximum[0])
            let throttle = effectivity.allowsThrust(cutoffs) ? 1.0 : 0.0
            burnSeconds += throttle * stepSeconds
            try world.apply(
                SteeringCommand(shipID: id, attitudeMode: .direction, direction: steering.direction, throttle: throttle)
            )
            try world.step(seconds: stepSeconds)
            elapsed += stepSeconds
        }
        let ship = try world.requireShip(id)
        #expect(converged, "not within tolerance after \(elapsed) s")
        #expect(ship.fuelKg > 0)
        #expect(ship.condition.isEmpty)
        print(
            "Q-law 7,000 km equatorial -> 8,000 km at 10°: \(elapsed) s, burn \(burnSeconds) s, propellant \(design.fuelKg - ship.fuelKg) kg"
        )
    }

    /// A target whose periapsis (4,500 km) lies inside Earth: with the penalty the periapsis stays above the
    /// minimum (radius + 200 km) for the whole run; without it, the same law takes the periapsis below.
    @Test func periapsisPenaltyHoldsMinimum() throws {
        let minimum = QLawFixture.minimumPeriapsis
        let withPenalty = try lowestPeriapsis(periapsisWeight: 1)
        let withoutPenalty = try lowestPeriapsis(periapsisWeight: 0)
        #expect(withPenalty > minimum, "lowest periapsis \(withPenalty) m")
        #expect(withoutPenalty < minimum, "lowest periapsis without penalty \(withoutPenalty) m")
        print("lowest periapsis with penalty \(withPenalty) m, without \(withoutPenalty) m, minimum \(minimum) m")
    }

    /// Lowest periapsis over 20,000 s of steering from a 7,000 km circular orbit, with two-body drift between
    /// 1 s velocity impulses of 1 m/s² and an absolute effectivity cut-off of 0.7.
    func lowestPeriapsis(periapsisWeight: Double) throws -> Double {
        let mu = QLawFixture.mu
        let target = QLawTarget(semiMajorAxisMeters: 9_000_000, eccentricity: 0.5, inclination: 0)
        var parameters = QLawFixture.parameters(target, thrustAcceleration: 1)
        parameters.periapsisWeight = periapsisWeight
        var position = SIMD3(7_000_000.0, 0, 0)
        var velocity = SIMD3(0, (mu / position.x).squareRoot(), 0)
        let batch = try QLawEffectivityBatch(samples: 64)
        var lowest = Double.infinity
        for _ in 0..<20_000 {
            let steering = try QLaw.steer(parameters, position: position, velocity: velocity)
            _ = try batch.run(parameters: [parameters], elements: [steering.elements])
            let effectivity = QLawEffectivity(
                qDotCurrent: steering.qDot, qDotMinimum: batch.qDotMinimum[0], qDotMaximum: batch.qDotMaximum[0])
            if effectivity.allowsThrust(EffectivityCutoffs(absolute: 0.7)) {
                velocity += parameters.thrustAcceleration * steering.direction
            }
            (position, velocity) = try TwoBody.propagate(mu: mu, position: position, velocity: velocity, seconds: 1)
            lowest = min(lowest, try TwoBody.elements(mu: mu, position: position, velocity: velocity).periapsisMeters)
        }
        return lowest
    }

    func reached(_ e: ModifiedEquinoctialElements, goal: ModifiedEquinoctialElements, tolerance: Tolerance) -> Bool {
        let a = e.semiLatusRectumMeters / (1 - e.eccentricity * e.eccentricity)
        let goalA = goal.semiLatusRectumMeters
        let node = ((e.h - goal.h) * (e.h - goal.h) + (e.k - goal.k) * (e.k - goal.k)).squareRoot()
        return abs(a - goalA) < tolerance.semiMajorAxisMeters && e.eccentricity < tolerance.eccentricity
            && abs(e.inclination - goal.inclination) < tolerance.inclination && node < tolerance.node
    }
}

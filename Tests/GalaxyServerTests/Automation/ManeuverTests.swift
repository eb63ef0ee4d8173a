import Foundation
import Testing

@testable import GalaxyServer

@Suite struct ManeuverTests {
    /// Checks that the ship's osculating orbit is within the default tolerance of circular `radius` at
    /// `inclinationDegrees` and `raanDegrees`.
    func expectOrbit(
        _ fixture: ManeuverFixture, _ ship: ShipID, radius: Double, inclinationDegrees: Double, raanDegrees: Double
    ) throws {
        let elements = try fixture.world.elements(of: ship).elements
        let tolerance = OrbitTolerance()
        #expect(abs(elements.semiMajorAxisMeters - radius) < tolerance.semiMajorAxisMeters, "a = \(elements.semiMajorAxisMeters) m")
        #expect(elements.eccentricity < tolerance.eccentricityVector, "e = \(elements.eccentricity)")
        let inclinationError = elements.inclination - TestMath.radians(inclinationDegrees)
        #expect(abs(inclinationError) < tolerance.inclinationRadians, "i = \(TestMath.degrees(elements.inclination))°")
        if inclinationDegrees > 1 {
            let node = TestMath.degrees(elements.rightAscensionOfAscendingNode) - raanDegrees
            #expect(abs(remainder(node, 360)) < 1, "RAAN = \(TestMath.degrees(elements.rightAscensionOfAscendingNode))°")
        }
    }

    @Test(arguments: [
        // Circular equatorial start (e = 0 and i = 0 exactly), raise and incline.
        (7_000_000.0, 0.0, 0.0, 8_000_000.0, 10.0, 0.0),
        // Lower and change both inclination and node.
        (8_000_000.0, 28.5, 0.0, 7_200_000.0, 20.0, 15.0),
    ])
    func transferBetweenCircularOrbits(
        startRadius: Double, startInclination: Double, startNode: Double, radius: Double, inclination: Double,
        node: Double
    ) throws {
        let fixture = try ManeuverFixture()
        let ship = try fixture.addShip(
            "Transfer",
            orbit: ManeuverFixture.circular(radius: startRadius, inclinationDegrees: startInclination, raanDegrees: startNode))
        let target = QLawTarget(
            semiMajorAxisMeters: radius, eccentricity: 0, inclination: TestMath.radians(inclination),
            rightAscensionOfAscendingNode: TestMath.radians(node))
        try fixture.automation.request(.transfer(body: "Earth", target: target), ship: ship, world: fixture.world)
        try fixture.tick(seconds: 10)
        let progress = try #require(fixture.automation.progress(of: ship))
        #expect(progress.phase == .transfer)
        #expect(try #require(progress.elementErrors).semiMajorAxisMeters != 0)
        #expect(try #require(progress.estimatedSecondsRemaining) > 0)

        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 60_000))
        #expect(end.kind == .completed, "ended with \(end.kind)")
        #expect(fixture.automation.progress(of: ship) == nil)
        let state = try #require(fixture.world.ship(ship))
        #expect(state.throttle == 0)
        #expect(state.fuelKg > 0)
        #expect(state.condition.isEmpty)
        try expectOrbit(fixture, ship, radius: radius, inclinationDegrees: inclination, raanDegrees: node)
        print(
            "transfer \(startRadius / 1000) km \(startInclination)° -> \(radius / 1000) km \(inclination)°: "
                + "\(end.progress.elapsedSeconds) s, propellant \(end.progress.propellantUsedKg) kg")
    }

    @Test func matchStationOrbit() throws {
        let fixture = try ManeuverFixture()
        let station = try fixture.addStation(
            "Depot", orbit: ManeuverFixture.circular(radius: 7_300_000, inclinationDegrees: 15, raanDegrees: 40))
        let ship = try fixture.addShip("Chaser", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 12))
        try fixture.automation.request(.matchOrbit(target: station), ship: ship, world: fixture.world)
        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 60_000))
        #expect(end.kind == .completed, "ended with \(end.kind)")
        #expect(end.progress.distanceMeters != nil)
        try expectOrbit(fixture, ship, radius: 7_300_000, inclinationDegrees: 15, raanDegrees: 40)
        print("match: \(end.progress.elapsedSeconds) s, propellant \(end.progress.propellantUsedKg) kg")
    }

    /// Meridian Station, the standard 420 km station at 51.6°, from a lower orbit 1.6° off its plane.
    @Test func matchStandardStation() throws {
        let fixture = try ManeuverFixture()
        try fixture.world.addStandardStations()
        let station = try #require(fixture.world.allShips().first { $0.name == "Meridian Station" }).id
        let radius = fixture.world.bodyRadius(fixture.earth) + 420_000
        let ship = try fixture.addShip(
            "Chaser", orbit: ManeuverFixture.circular(radius: radius - 100_000, inclinationDegrees: 50, trueAnomalyDegrees: 90))
        try fixture.automation.request(.matchOrbit(target: station), ship: ship, world: fixture.world)
        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 60_000))
        #expect(end.kind == .completed, "ended with \(end.kind)")
        try expectOrbit(fixture, ship, radius: radius, inclinationDegrees: 51.6, raanDegrees: 0)
        print("match Meridian Station: \(end.progress.elapsedSeconds) s, propellant \(end.progress.propellantUsedKg) kg")
    }

    @Test func rendezvousHoldsAtStandoff() throws {
        let fixture = try ManeuverFixture()
        let station = try fixture.addStation(
            "Depot", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 10, trueAnomalyDegrees: 3))
        let ship = try fixture.addShip(
            "Chaser", orbit: ManeuverFixture.circular(radius: 6_980_000, inclinationDegrees: 10.2))
        try fixture.automation.request(.rendezvous(target: station), ship: ship, world: fixture.world)
        var closest = Double.infinity
        var approachProgress: [ManeuverProgress] = []
        let end = try #require(
            try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 80_000) {
                closest = min(closest, try fixture.relativeState(ship, to: station).position.length)
                if let progress = fixture.automation.progress(of: ship), progress.phase == .approach {
                    approachProgress.append(progress)
                }
            })
        #expect(end.kind == .completed, "ended with \(end.kind)")
        let phases = fixture.events.compactMap { event -> ManeuverPhase? in
            if case .phaseChanged(let phase) = event.kind { phase } else { nil }
        }
        #expect(phases.contains(.phasing))
        #expect(phases.contains(.approach))
        let relative = try fixture.relativeState(ship, to: station)
        #expect(abs(relative.position.length - 100) <= 10, "distance \(relative.position.length) m")
        #expect(relative.velocity.length <= 0.1 + 1e-3, "relative speed \(relative.velocity.length) m/s")
        #expect(fixture.automation.progress(of: ship)?.phase == .holding)
        #expect(closest > 80, "closest approach \(closest) m")
        let first = try #require(approachProgress.first)
        #expect(try #require(first.distanceMeters) < ManeuverOptions().terminalRangeMeters)
        #expect(first.closingSpeedMetersPerSecond != nil)
        #expect(try #require(first.estimatedSecondsRemaining) > 0)
        #expect(first.elementErrors == nil)
        print("rendezvous: \(end.progress.elapsedSeconds) s, propellant \(end.progress.propellantUsedKg) kg")

        for _ in 0..<60 { try fixture.tick(seconds: 10) }
        let afterHolding = try fixture.relativeState(ship, to: station)
        #expect(abs(afterHolding.position.length - 100) <= 20, "distance after holding \(afterHolding.position.length) m")
        #expect(afterHolding.velocity.length <= 0.2, "relative speed after holding \(afterHolding.velocity.length) m/s")
        #expect(fixture.events.filter { $0.kind == .completed }.count == 1)
    }
}

@Suite struct ManeuverLifecycleTests {
    let raise = QLawTarget(semiMajorAxisMeters: 8_000_000, eccentricity: 0, inclination: 0)

    /// Adds a ship on a 7,000 km circular equatorial orbit and requests its transfer to 8,000 km.
    func transferringShip(_ fixture: ManeuverFixture, fuelKg: Double = 3_000) throws -> ShipID {
        var design = ManeuverFixture.design
        design.fuelKg = fuelKg
        let ship = try fixture.addShip(
            "Transfer", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 0), design: design)
        try fixture.automation.request(.transfer(body: "Earth", target: raise), ship: ship, world: fixture.world)
        return ship
    }

    /// Ticks until the ship's engine is on.
    func tickUntilThrusting(_ fixture: ManeuverFixture, _ ship: ShipID) throws {
        for _ in 0..<100 {
            try fixture.tick(seconds: 10)
            if try #require(fixture.world.ship(ship)).throttle > 0 { return }
        }
        Issue.record("engine never started")
    }

    @Test func fuelExhaustionAborts() throws {
        let fixture = try ManeuverFixture()
        let ship = try transferringShip(fixture, fuelKg: 20)
        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 20_000))
        #expect(end.kind == .aborted(.outOfFuel), "ended with \(end.kind)")
        #expect(end.progress.propellantUsedKg == 20)
        #expect(fixture.automation.progress(of: ship) == nil)
        #expect(try #require(fixture.world.ship(ship)).throttle == 0)
    }

    @Test func crashAborts() throws {
        let fixture = try ManeuverFixture()
        var design = ManeuverFixture.design
        design.maxThrustNewtons = 1
        // Periapsis 6,270 km lies inside Earth; the ship starts at apoapsis, half an orbit from impact.
        let orbit = OrbitalElements(
            semiMajorAxisMeters: 6_600_000, eccentricity: 0.05, inclination: 0, rightAscensionOfAscendingNode: 0,
            argumentOfPeriapsis: 0, trueAnomaly: .pi)
        let ship = try fixture.addShip("Sinker", orbit: orbit, design: design)
        try fixture.automation.request(.transfer(body: "Earth", target: raise), ship: ship, world: fixture.world)
        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 10_000))
        #expect(end.kind == .aborted(.crashed), "ended with \(end.kind)")
        #expect(fixture.automation.activeManeuverCount == 0)
    }

    @Test func cancelStopsEngine() throws {
        let fixture = try ManeuverFixture()
        let ship = try transferringShip(fixture)
        try tickUntilThrusting(fixture, ship)
        #expect(fixture.automation.cancel(ship: ship))
        #expect(!fixture.automation.cancel(ship: ship))
        #expect(fixture.automation.progress(of: ship) == nil)
        try fixture.tick(seconds: 10)
        #expect(fixture.events.last?.kind == .cancelled(.requested))
        #expect(try #require(fixture.world.ship(ship)).throttle == 0)
    }

    @Test func manualSteeringCancels() throws {
        let fixture = try ManeuverFixture()
        let ship = try transferringShip(fixture)
        try tickUntilThrusting(fixture, ship)
        try fixture.world.apply(SteeringCommand(shipID: ship, attitudeMode: .retrograde, throttle: 0.5))
        fixture.automation.playerSteered(ship: ship)
        try fixture.tick(seconds: 10)
        #expect(fixture.events.last?.kind == .cancelled(.manualSteering))
        #expect(fixture.automation.progress(of: ship) == nil)
        let state = try #require(fixture.world.ship(ship))
        #expect(state.throttle == 0.5, "the player's throttle stays")
        #expect(state.mode == .retrograde)
    }

    @Test func targetGoneAborts() throws {
        let fixture = try ManeuverFixture()
        let station = try fixture.addStation("Depot", orbit: ManeuverFixture.circular(radius: 7_300_000, inclinationDegrees: 5))
        let ship = try fixture.addShip("Chaser", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 0))
        try fixture.automation.request(.rendezvous(target: station), ship: ship, world: fixture.world)
        try fixture.tick(seconds: 10)
        try fixture.world.removeShip(station)
        try fixture.tick(seconds: 10)
        #expect(fixture.events.last?.kind == .aborted(.targetGone(station)))
    }

    @Test func timeoutAborts() throws {
        let fixture = try ManeuverFixture()
        let ship = try fixture.addShip("Transfer", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 0))
        var options = ManeuverOptions()
        options.timeoutSeconds = 300
        try fixture.automation.request(.transfer(body: "Earth", target: raise), ship: ship, options: options, world: fixture.world)
        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 1_000))
        #expect(end.kind == .aborted(.timedOut(seconds: 310)), "ended with \(end.kind)")
    }

    @Test func invalidRequestsRejected() throws {
        let fixture = try ManeuverFixture()
        let station = try fixture.addStation("Depot", orbit: ManeuverFixture.circular(radius: 7_300_000, inclinationDegrees: 5))
        let ship = try fixture.addShip("Chaser", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 0))
        let world = fixture.world
        let automation = fixture.automation
        #expect(throws: ManeuverError.self) { try automation.request(.matchOrbit(target: ship), ship: ship, world: world) }
        #expect(throws: ManeuverError.self) { try automation.request(.matchOrbit(target: ship), ship: station, world: world) }
        #expect(throws: ManeuverError.self) { try automation.request(.matchOrbit(target: 999), ship: ship, world: world) }
        #expect(throws: ManeuverError.self) { try automation.request(.transfer(body: "Mars", target: raise), ship: ship, world: world) }
        let buried = QLawTarget(semiMajorAxisMeters: 6_000_000, eccentricity: 0, inclination: 0)
        #expect(throws: ManeuverError.self) { try automation.request(.transfer(body: "Earth", target: buried), ship: ship, world: world) }
        let retrograde = QLawTarget(semiMajorAxisMeters: 8_000_000, eccentricity: 0, inclination: .pi)
        #expect(throws: ManeuverError.self) {
            try automation.request(.transfer(body: "Earth", target: retrograde), ship: ship, world: world)
        }
        #expect(throws: ManeuverError.self) {
            try automation.request(.rendezvous(target: station, standoffMeters: -1), ship: ship, world: world)
        }
        #expect(automation.activeManeuverCount == 0)
    }

    @Test func replacingRequestCancelsOld() throws {
        let fixture = try ManeuverFixture()
        let ship = try transferringShip(fixture)
        try fixture.tick(seconds: 10)
        try fixture.automation.request(.transfer(body: "Earth", target: raise), ship: ship, world: fixture.world)
        try fixture.tick(seconds: 10)
        #expect(fixture.events.contains { $0.kind == .cancelled(.replaced) })
        #expect(fixture.automation.activeManeuverCount == 1)
    }
}

@Suite struct AutomationRuleTests {
    @Test func fuelRuleStopsThrust() throws {
        let fixture = try ManeuverFixture()
        let ship = try fixture.addShip("Transfer", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 0))
        try fixture.automation.addRule(
            AutomationRule(condition: .fuelBelow(fraction: 0.9), action: .stopThrust), ship: ship, world: fixture.world)
        let target = QLawTarget(semiMajorAxisMeters: 8_000_000, eccentricity: 0, inclination: 0)
        try fixture.automation.request(.transfer(body: "Earth", target: target), ship: ship, world: fixture.world)
        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 20_000))
        #expect(end.kind == .cancelled(.rule), "ended with \(end.kind)")
        let state = try #require(fixture.world.ship(ship))
        #expect(state.throttle == 0)
        #expect(state.fuelKg < 0.9 * 3_000)
        #expect(state.fuelKg > 0.8 * 3_000)
    }

    @Test func completedRuleHoldsPrograde() throws {
        let fixture = try ManeuverFixture()
        let ship = try fixture.addShip("Transfer", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 0))
        try fixture.automation.addRule(
            AutomationRule(condition: .maneuverCompleted, action: .setAttitude(.prograde)), ship: ship, world: fixture.world)
        let target = QLawTarget(semiMajorAxisMeters: 7_300_000, eccentricity: 0, inclination: 0)
        try fixture.automation.request(.transfer(body: "Earth", target: target), ship: ship, world: fixture.world)
        let end = try #require(try fixture.runUntilEnd(of: ship, seconds: 10, maximumSeconds: 30_000))
        #expect(end.kind == .completed, "ended with \(end.kind)")
        try fixture.tick(seconds: 10)
        let state = try #require(fixture.world.ship(ship))
        #expect(state.mode == .prograde)
        #expect(state.throttle == 0)
    }

    @Test func invalidRuleRejected() throws {
        let fixture = try ManeuverFixture()
        let ship = try fixture.addShip("Ship", orbit: ManeuverFixture.circular(radius: 7_000_000, inclinationDegrees: 0))
        #expect(throws: ManeuverError.self) {
            try fixture.automation.addRule(
                AutomationRule(condition: .fuelBelow(fraction: 1.5), action: .stopThrust), ship: ship, world: fixture.world)
        }
        #expect(throws: ManeuverError.self) {
            try fixture.automation.addRule(
                AutomationRule(condition: .maneuverCompleted, action: .setAttitude(.direction)), ship: ship,
                world: fixture.world)
        }
        #expect(fixture.automation.rules(of: ship).isEmpty)
    }
}

@Suite struct AutomationDeterminismTests {
    /// Six ships transferring at once, in chunks of two, give bit-identical states on one thread and on two.
    @Test func sameResultForAnyThreadCount() throws {
        func run(workers: Int) throws -> [ShipSnapshot] {
            let fixture = try ManeuverFixture(workerCount: workers, shipsPerChunk: 2)
            for n in 0..<6 {
                let ship = try fixture.addShip(
                    "Ship \(n)",
                    orbit: ManeuverFixture.circular(
                        radius: 7_000_000 + 50_000 * Double(n), inclinationDegrees: Double(n), trueAnomalyDegrees: 40 * Double(n)))
                let target = QLawTarget(
                    semiMajorAxisMeters: 7_600_000, eccentricity: 0, inclination: TestMath.radians(5))
                try fixture.automation.request(.transfer(body: "Earth", target: target), ship: ship, world: fixture.world)
            }
            for _ in 0..<200 { try fixture.tick(seconds: 10) }
            return fixture.world.allShips()
        }
        let serial = try run(workers: 1)
        let parallel = try run(workers: 2)
        #expect(serial == parallel)
        #expect(serial.allSatisfy { $0.fuelKg < ManeuverFixture.design.fuelKg }, "every ship has burned")
    }
}

@Suite struct ApproachGuidanceTests {
    /// The desired closing speed lets the ship stop before the standoff point with its braking ability,
    /// and the commanded velocity points along the target-to-ship line, so never across the target.
    @Test func speedRespectsBrakingAndAimsAtStandoff() {
        let guidance = ApproachGuidance()
        let braking = 0.05
        for distance in [150.0, 1_000, 10_000, 50_000] {
            let position = SIMD3(0.6, -0.8, 0) * distance
            let command = guidance.command(
                relativePosition: position, relativeVelocity: .zero, standoffMeters: 100, brakingAcceleration: braking,
                tickSeconds: 10)
            let stopping = command.desiredSpeed * command.desiredSpeed / (2 * braking)
            #expect(stopping <= distance - 100, "stopping distance \(stopping) m at \(distance) m")
            let inward = -position / position.length
            let direction = command.acceleration / command.acceleration.length
            #expect((direction - inward).length < 1e-12)
        }
        let inside = guidance.command(
            relativePosition: SIMD3(50, 0, 0), relativeVelocity: .zero, standoffMeters: 100, brakingAcceleration: braking,
            tickSeconds: 10)
        #expect(inside.acceleration.x > 0, "inside the standoff the ship backs out")
    }

    @Test func allocatorUsesRcsForSmallCorrections() {
        let allocator = ThrustAllocator(
            massKg: 1_000, maxThrustNewtons: 4_000, rcsThrustNewtons: 50, attitude: SIMD4(1, 0, 0, 0),
            slew: SlewLimits(maxRateRadPerS: 0.2, maxAccelerationRadPerS2: 0.1))
        let small = allocator.command(ship: 1, acceleration: SIMD3(0, 0.01, 0), tickSeconds: 10)
        #expect(small.throttle == 0)
        #expect(small.rcs == SIMD3(0, 0.2, 0))
        let large = allocator.command(ship: 1, acceleration: SIMD3(2, 0, 0), tickSeconds: 10)
        #expect(large.throttle == 0.5)
        #expect(large.direction == SIMD3(1, 0, 0))
        let behind = allocator.command(ship: 1, acceleration: SIMD3(-2, 0, 0), tickSeconds: 1)
        #expect(behind.throttle == 0, "no thrust until the turn can finish")
    }
}

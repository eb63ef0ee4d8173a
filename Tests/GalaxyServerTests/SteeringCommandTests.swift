import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Validation of steering commands: every bad value is rejected with the field it came in, and a rejected
/// command changes nothing.
@Suite struct SteeringCommandTests {
    /// Makes an Earth-only world with one ordinary ship in low orbit.
    func worldWithShip(design: ShipDesign = ShipDesign()) throws -> (World, ShipID) {
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(
            name: "Pilot", design: design, about: "Earth",
            elements: OrbitalElements(
                semiMajorAxisMeters: 7_000_000, eccentricity: 0.001, inclination: 0.5, rightAscensionOfAscendingNode: 0,
                argumentOfPeriapsis: 0, trueAnomaly: 0))
        return (world, id)
    }

    /// Applies `command` and returns the field its rejection names, or nil when it was accepted or the error
    /// was not a `SteeringError`.
    func rejectedField(_ world: World, _ command: SteeringCommand) -> String? {
        let error = #expect(throws: SteeringError.self) { try world.apply(command) }
        if let error { #expect(error.shipID == command.shipID) }
        return error?.field
    }

    @Test func throttleOutOfRangeIsRejected() throws {
        let (world, id) = try worldWithShip()
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: .nan)) == "throttle")
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: .infinity)) == "throttle")
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: -.infinity)) == "throttle")
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: 1.5)) == "throttle")
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: -0.1)) == "throttle")
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: 1.000_000_1)) == "throttle")
        #expect(try world.requireShip(id).throttle == 0)
    }

    @Test func throttleBoundsAreAccepted() throws {
        let (world, id) = try worldWithShip()
        try world.apply(SteeringCommand(shipID: id, throttle: 1))
        #expect(try world.requireShip(id).throttle == 1)
        try world.apply(SteeringCommand(shipID: id, throttle: 0))
        #expect(try world.requireShip(id).throttle == 0)
    }

    @Test func rcsOutOfRangeIsRejected() throws {
        let (world, id) = try worldWithShip()
        #expect(rejectedField(world, SteeringCommand(shipID: id, rcs: SIMD3(2, 0, 0))) == "rcs")
        #expect(rejectedField(world, SteeringCommand(shipID: id, rcs: SIMD3(0, -1.5, 0))) == "rcs")
        #expect(rejectedField(world, SteeringCommand(shipID: id, rcs: SIMD3(0, 0, .nan))) == "rcs")
        #expect(rejectedField(world, SteeringCommand(shipID: id, rcs: SIMD3(.infinity, 0, 0))) == "rcs")
        #expect(try world.requireShip(id).rcs == .zero)
    }

    @Test func badDirectionIsRejected() throws {
        let (world, id) = try worldWithShip()
        #expect(rejectedField(world, SteeringCommand(shipID: id, direction: .zero)) == "direction")
        #expect(rejectedField(world, SteeringCommand(shipID: id, direction: SIMD3(.nan, 1, 0))) == "direction")
        #expect(rejectedField(world, SteeringCommand(shipID: id, direction: SIMD3(0, .infinity, 0))) == "direction")
        #expect(try world.requireShip(id).mode == .hold)
    }

    @Test func directionIsNormalized() throws {
        let (world, id) = try worldWithShip()
        try world.apply(SteeringCommand(shipID: id, direction: SIMD3(0, 0, 250)))
        let index = try #require(world.ships.index(of: id))
        #expect(SIMD3(world.ships[.aimX][index], world.ships[.aimY][index], world.ships[.aimZ][index]) == SIMD3(0, 0, 1))
        #expect(try world.requireShip(id).mode == .direction)
    }

    @Test func unknownShipIsRejected() throws {
        let (world, _) = try worldWithShip()
        let error = #expect(throws: WorldError.self) { try world.apply(SteeringCommand(shipID: 9_999, throttle: 1)) }
        #expect(error == .unknownShip(9_999))
        #expect(error?.description == "ship 9999 not found")
    }

    @Test func stationIsRejected() throws {
        let world = TestWorlds.earthOnly()
        let station = try world.addShip(
            name: "Depot", kind: .station, design: .station, position: SIMD3(7e6, 0, 0), velocity: SIMD3(0, 7_546, 0))
        #expect(rejectedField(world, SteeringCommand(shipID: station, throttle: 0)) == "ship_id")
        #expect(rejectedField(world, SteeringCommand(shipID: station, attitudeMode: .prograde)) == "ship_id")
    }

    @Test func crashedShipIsRejected() throws {
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(name: "Faller", position: SIMD3(6_400_000, 0, 0), velocity: SIMD3(-100, 0, 0))
        try world.step(seconds: 1_000)
        #expect(try world.requireShip(id).condition.contains(.crashed))
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: 0)) == "ship_id")
        #expect(rejectedField(world, SteeringCommand(shipID: id, attitudeMode: .prograde)) == "ship_id")
    }

    @Test func outOfFuelShipRejectsThrust() throws {
        var design = ShipDesign()
        design.fuelKg = 0
        let (world, id) = try worldWithShip(design: design)
        #expect(try world.requireShip(id).condition.contains(.outOfFuel))
        #expect(rejectedField(world, SteeringCommand(shipID: id, throttle: 0.5)) == "throttle")
        #expect(rejectedField(world, SteeringCommand(shipID: id, rcs: SIMD3(0, 0.1, 0))) == "rcs")
        try world.apply(SteeringCommand(shipID: id, throttle: 0, rcs: .zero))
        try world.apply(SteeringCommand(shipID: id, attitudeMode: .retrograde))
        #expect(try world.requireShip(id).mode == .retrograde, "steering without thrust still works")
    }

    @Test func conflictingModeFieldsAreRejected() throws {
        let (world, id) = try worldWithShip()
        #expect(rejectedField(world, SteeringCommand(shipID: id, attitudeMode: .prograde, direction: SIMD3(1, 0, 0))) == "direction")
        #expect(rejectedField(world, SteeringCommand(shipID: id, attitudeMode: .normal, target: .body("Earth"))) == "target")
        #expect(rejectedField(world, SteeringCommand(shipID: id, attitudeMode: .radialIn, holdAttitude: true)) == "hold_attitude")
        #expect(rejectedField(world, SteeringCommand(shipID: id, attitudeMode: .target, rotationRate: SIMD3(0, 0, 0.01))) == "rotation_rate")
        #expect(rejectedField(world, SteeringCommand(shipID: id, direction: SIMD3(1, 0, 0), target: .body("Earth"))) == "target")
        #expect(rejectedField(world, SteeringCommand(shipID: id, direction: SIMD3(1, 0, 0), rotationRate: .zero)) == "rotation_rate")
        #expect(try world.requireShip(id).mode == .hold)
    }

    @Test func rotationRateAboveLimitIsRejected() throws {
        let (world, id) = try worldWithShip()
        let limit = ShipDesign().maxRotationRateRadPerS
        #expect(rejectedField(world, SteeringCommand(shipID: id, rotationRate: SIMD3(0, 0, limit * 1.01))) == "rotation_rate")
        let diagonal = limit / 3.0.squareRoot() * 1.01
        #expect(rejectedField(world, SteeringCommand(shipID: id, rotationRate: SIMD3(diagonal, diagonal, diagonal))) == "rotation_rate")
        #expect(rejectedField(world, SteeringCommand(shipID: id, rotationRate: SIMD3(0, .nan, 0))) == "rotation_rate")
        try world.apply(SteeringCommand(shipID: id, rotationRate: SIMD3(0, 0, limit)))
    }

    @Test func selfTargetIsRejected() throws {
        let (world, id) = try worldWithShip()
        #expect(rejectedField(world, SteeringCommand(shipID: id, target: .ship(id))) == "target")
    }

    @Test func unknownTargetIsRejected() throws {
        let (world, id) = try worldWithShip()
        #expect(rejectedField(world, SteeringCommand(shipID: id, target: .body("Vulcan"))) == "target")
        #expect(rejectedField(world, SteeringCommand(shipID: id, target: .ship(424_242))) == "target")
    }

    @Test func modeWithoutItsDataIsRejected() throws {
        let (world, id) = try worldWithShip()
        #expect(rejectedField(world, SteeringCommand(shipID: id, attitudeMode: .direction)) == "direction")
        #expect(rejectedField(world, SteeringCommand(shipID: id, attitudeMode: .target)) == "target")
    }

    /// A command with one bad field applies none of its fields.
    @Test func rejectedCommandChangesNothing() throws {
        let (world, id) = try worldWithShip()
        let before = try world.requireShip(id)
        let command = SteeringCommand(
            shipID: id, attitudeMode: .prograde, throttle: 0.7, rcs: SIMD3(0, 3, 0))
        #expect(rejectedField(world, command) == "rcs")
        let after = try world.requireShip(id)
        #expect(after.throttle == before.throttle)
        #expect(after.mode == before.mode)
        #expect(after.rcs == before.rcs)
    }

    /// Error messages name the ship, the field and the value.
    @Test func rejectionMessageNamesFieldAndValue() throws {
        let (world, id) = try worldWithShip()
        let error = #expect(throws: SteeringError.self) { try world.apply(SteeringCommand(shipID: id, throttle: 1.5)) }
        let message = try #require(error).description
        #expect(message.contains("ship \(id)"))
        #expect(message.contains("throttle"))
        #expect(message.contains("1.5"))
    }

    @Test func acceptedCommandSetsEveryField() throws {
        let (world, id) = try worldWithShip()
        try world.apply(SteeringCommand(shipID: id, attitudeMode: .normal, throttle: 0.25, rcs: SIMD3(0.5, -1, 0)))
        let ship = try world.requireShip(id)
        #expect(ship.mode == .normal)
        #expect(ship.throttle == 0.25)
        #expect(ship.thrustNewtons == 0.25 * ShipDesign().maxThrustNewtons)
        #expect(ship.rcs == SIMD3(0.5, -1, 0))
    }
}

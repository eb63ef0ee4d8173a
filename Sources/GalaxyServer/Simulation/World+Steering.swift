extension World {
    /// Validates `command` against the ship's current state and applies all of its fields, or none.
    public func apply(_ command: SteeringCommand) throws {
        guard let i = ships.index(of: command.shipID) else { throw WorldError.unknownShip(command.shipID) }
        let fail = { (field: String, reason: String) in SteeringError(shipID: command.shipID, field: field, reason: reason) }
        if ships.kinds[i] == .station {
            throw fail("ship_id", "is a station, which cannot be steered")
        }
        let condition = ShipCondition(rawValue: ships.flags[i])
        if condition.contains(.crashed) || condition.contains(.frozen) {
            throw fail("ship_id", condition.contains(.crashed) ? "has crashed and cannot be steered" : "is frozen after a numerical fault")
        }
        let mode = try resolvedMode(command, fail: fail)
        if let throttle = command.throttle {
            guard throttle.isFinite, (0...1).contains(throttle) else { throw fail("throttle", "must be within [0, 1], got \(throttle)") }
            if throttle > 0 && condition.contains(.outOfFuel) { throw fail("throttle", "ship is out of fuel; only 0 is accepted") }
        }
        if let rcs = command.rcs {
            guard rcs.isFinite, abs(rcs.x) <= 1, abs(rcs.y) <= 1, abs(rcs.z) <= 1 else {
                throw fail("rcs", "each axis must be finite and within [-1, 1], got [\(rcs.x), \(rcs.y), \(rcs.z)]")
            }
            if rcs != .zero && condition.contains(.outOfFuel) { throw fail("rcs", "ship is out of fuel; only zero is accepted") }
        }
        if let rate = command.rotationRate {
            guard rate.isFinite else { throw fail("rotation_rate", "must be finite, got \(rate)") }
            let limit = ships[.maxRate][i]
            guard rate.length <= limit * (1 + 1e-12) else {
                throw fail("rotation_rate", "magnitude \(rate.length) rad/s exceeds the ship's limit \(limit) rad/s")
            }
        }
        var direction: SIMD3<Double>?
        if let d = command.direction {
            guard d.isFinite, d.length > 0 else { throw fail("direction", "must be a finite nonzero vector, got \(d)") }
            direction = d / d.length
        }
        if let target = command.target {
            if case .ship(let id) = target, id == command.shipID { throw fail("target", "a ship cannot target itself") }
            guard position(of: target) != nil else { throw fail("target", "\(target) not found") }
        }
        let currentMode = AttitudeMode(kernelValue: ships.mode[i])
        if mode == .direction && direction == nil && currentMode != .direction {
            throw fail("direction", "is required when switching to direction mode")
        }
        if mode == .target && command.target == nil && ships.targets[i] == nil {
            throw fail("target", "is required for target mode")
        }
        write(command, mode: mode, direction: direction, at: i)
    }

    /// Returns the mode after the command: the explicit mode, or the one implied by a direction, target,
    /// hold or rotation rate. Conflicting fields are rejected.
    private func resolvedMode(_ command: SteeringCommand, fail: (String, String) -> SteeringError) throws -> AttitudeMode? {
        var implied: [(String, AttitudeMode)] = []
        if command.direction != nil { implied.append(("direction", .direction)) }
        if command.target != nil { implied.append(("target", .target)) }
        if command.holdAttitude == true { implied.append(("hold_attitude", .hold)) }
        if command.rotationRate != nil { implied.append(("rotation_rate", .hold)) }
        var mode = command.attitudeMode
        for (field, wanted) in implied {
            if let current = mode, current != wanted {
                throw fail(field, "conflicts with attitude mode \(current.rawValue)")
            }
            mode = wanted
        }
        return mode
    }

    private func write(_ command: SteeringCommand, mode: AttitudeMode?, direction: SIMD3<Double>?, at i: Int) {
        if let mode {
            ships.mode[i] = mode.kernelValue
            if mode != .hold {
                ships[.cmdRateX][i] = 0
                ships[.cmdRateY][i] = 0
                ships[.cmdRateZ][i] = 0
            }
        }
        if command.holdAttitude == true {
            ships[.cmdRateX][i] = 0
            ships[.cmdRateY][i] = 0
            ships[.cmdRateZ][i] = 0
        }
        if let rate = command.rotationRate {
            ships[.cmdRateX][i] = rate.x
            ships[.cmdRateY][i] = rate.y
            ships[.cmdRateZ][i] = rate.z
        }
        if let direction {
            ships[.aimX][i] = direction.x
            ships[.aimY][i] = direction.y
            ships[.aimZ][i] = direction.z
        }
        if let target = command.target { ships.targets[i] = target }
        if let throttle = command.throttle { ships[.throttle][i] = throttle }
        if let rcs = command.rcs {
            ships[.rcsX][i] = rcs.x
            ships[.rcsY][i] = rcs.y
            ships[.rcsZ][i] = rcs.z
        }
    }
}

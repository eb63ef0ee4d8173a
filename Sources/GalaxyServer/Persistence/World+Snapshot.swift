import Foundation

extension World {
    /// Copies the world's state into a snapshot (unsealed: `checksum` is nil until a store seals it).
    /// Cheap enough for the tick thread: it copies columns and does no encoding.
    ///
    /// The world does not track ownership, so `owners` supplies each ship's owning player. Per-tick
    /// kernel outputs (burn time, events) are left out because the next step recomputes them.
    public func snapshot(owners: [ShipID: PlayerID] = [:]) -> WorldSnapshot {
        let bodyStates = (0..<bodies.count).map { i in
            WorldSnapshot.BodyState(name: bodies.names[i], position: bodies.position(i), velocity: bodies.velocity(i))
        }
        let shipStates = (0..<ships.count).map { i in shipState(at: i, owner: owners[ships.ids[i]] ?? ships.owners[i]) }
        return WorldSnapshot(
            tick: tick, gameTimeSeconds: elapsedSeconds, epoch: catalog.epoch, nextShipID: nextShipID,
            bodies: bodyStates, ships: shipStates)
    }

    /// Builds a world from `catalog` and puts it in the state of `snapshot`. The catalog supplies the
    /// bodies' constants and must have the snapshot's epoch and exactly its bodies.
    ///
    /// Sphere-of-influence radii are kept as `World.init` computes them from the catalog, so a
    /// restored world picks the same primaries as the world that was saved.
    public static func restore(
        from snapshot: WorldSnapshot, catalog: SolarSystemCatalog, policy: IntegrationPolicy = IntegrationPolicy(),
        workerCount: Int? = nil
    ) throws -> World {
        guard snapshot.formatVersion == WorldSnapshot.currentFormatVersion else {
            throw SnapshotError.unsupportedFormat(snapshot.formatVersion)
        }
        guard snapshot.epoch == catalog.epoch else {
            throw SnapshotError.incompatible(
                "snapshot epoch \(snapshot.epoch.isoTDB) differs from the catalog epoch \(catalog.epoch.isoTDB)")
        }
        guard snapshot.gameTimeSeconds.isFinite else {
            throw SnapshotError.incompatible("game time \(snapshot.gameTimeSeconds) s is not finite")
        }
        let world = World(catalog: catalog, policy: policy, workerCount: workerCount)
        try world.restoreBodies(snapshot.bodies)
        try world.restoreShips(snapshot.ships)
        let highestID = snapshot.ships.map(\.id).max() ?? 0
        world.nextShipID = max(snapshot.nextShipID, highestID + 1)
        world.setClock(tick: snapshot.tick, elapsedSeconds: snapshot.gameTimeSeconds)
        return world
    }

    private func shipState(at i: Int, owner: PlayerID?) -> WorldSnapshot.ShipState {
        WorldSnapshot.ShipState(
            id: ships.ids[i], name: ships.names[i], kind: ships.kinds[i], ownerPlayerID: owner,
            position: ships.position(i), velocity: ships.velocity(i),
            attitude: SIMD4(ships[.attW][i], ships[.attX][i], ships[.attY][i], ships[.attZ][i]),
            angularRate: SIMD3(ships[.rateX][i], ships[.rateY][i], ships[.rateZ][i]),
            dryMassKg: ships[.dryMass][i], fuelKg: ships[.fuel][i], maxThrustNewtons: ships[.maxThrust][i],
            ispSeconds: ships[.isp][i], rcsThrustNewtons: ships[.rcsThrust][i], rcsIspSeconds: ships[.rcsIsp][i],
            maxRotationRateRadPerS: ships[.maxRate][i], maxAngularAccelerationRadPerS2: ships[.maxAccel][i],
            throttle: ships[.throttle][i], rcs: SIMD3(ships[.rcsX][i], ships[.rcsY][i], ships[.rcsZ][i]),
            mode: AttitudeMode(kernelValue: ships.mode[i]) ?? .hold,
            commandedRate: SIMD3(ships[.cmdRateX][i], ships[.cmdRateY][i], ships[.cmdRateZ][i]),
            aim: SIMD3(ships[.aimX][i], ships[.aimY][i], ships[.aimZ][i]), target: ships.targets[i],
            primaryBody: bodies.names[Int(ships.primary[i])], condition: ShipCondition(rawValue: ships.flags[i]))
    }

    private func restoreBodies(_ states: [WorldSnapshot.BodyState]) throws {
        let names = states.map(\.name)
        guard names == bodies.names else {
            throw SnapshotError.incompatible("snapshot bodies \(names) differ from the catalog bodies \(bodies.names)")
        }
        for (i, state) in states.enumerated() {
            guard state.position.isFinite, state.velocity.isFinite else {
                throw SnapshotError.incompatible("body \(state.name) has a non-finite position or velocity")
            }
            bodies.setState(i, position: state.position, velocity: state.velocity)
        }
    }

    private func restoreShips(_ states: [WorldSnapshot.ShipState]) throws {
        var seen = Set<ShipID>()
        for state in states {
            guard seen.insert(state.id).inserted else {
                throw SnapshotError.incompatible("ship id \(state.id) appears twice")
            }
            try validate(state)
        }
        for state in states {
            try restoreShip(state)
        }
    }

    private func validate(_ state: WorldSnapshot.ShipState) throws {
        let vectors = [state.position, state.velocity, state.angularRate, state.rcs, state.commandedRate, state.aim]
        let scalars = [
            state.dryMassKg, state.fuelKg, state.maxThrustNewtons, state.ispSeconds, state.rcsThrustNewtons,
            state.rcsIspSeconds, state.maxRotationRateRadPerS, state.maxAngularAccelerationRadPerS2, state.throttle,
        ]
        guard vectors.allSatisfy(\.isFinite), state.attitude.isFinite, scalars.allSatisfy(\.isFinite) else {
            throw SnapshotError.incompatible("ship \(state.id) (\(state.name)) has a non-finite field")
        }
        guard bodies.index(named: state.primaryBody) != nil else {
            throw SnapshotError.incompatible("ship \(state.id) names unknown primary body \(state.primaryBody)")
        }
    }

    private func restoreShip(_ state: WorldSnapshot.ShipState) throws {
        var design = ShipDesign()
        design.dryMassKg = state.dryMassKg
        design.fuelKg = state.fuelKg
        design.maxThrustNewtons = state.maxThrustNewtons
        design.ispSeconds = state.ispSeconds
        design.rcsThrustNewtons = state.rcsThrustNewtons
        design.rcsIspSeconds = state.rcsIspSeconds
        design.maxRotationRateRadPerS = state.maxRotationRateRadPerS
        design.maxAngularAccelerationRadPerS2 = state.maxAngularAccelerationRadPerS2
        // Validated above, so the force unwrap cannot fail.
        let primary = bodies.index(named: state.primaryBody)!
        let i = ships.append(
            id: state.id, name: state.name, kind: state.kind, design: design, position: state.position,
            velocity: state.velocity, primary: primary, owner: state.ownerPlayerID)
        writeMotionAndCommands(state, at: i)
        ships.targets[i] = state.target
        ships.mode[i] = state.mode.kernelValue
        ships.flags[i] = state.condition.rawValue
    }

    private func writeMotionAndCommands(_ state: WorldSnapshot.ShipState, at i: Int) {
        ships[.attW][i] = state.attitude[0]
        ships[.attX][i] = state.attitude[1]
        ships[.attY][i] = state.attitude[2]
        ships[.attZ][i] = state.attitude[3]
        ships[.rateX][i] = state.angularRate.x
        ships[.rateY][i] = state.angularRate.y
        ships[.rateZ][i] = state.angularRate.z
        ships[.cmdRateX][i] = state.commandedRate.x
        ships[.cmdRateY][i] = state.commandedRate.y
        ships[.cmdRateZ][i] = state.commandedRate.z
        ships[.aimX][i] = state.aim.x
        ships[.aimY][i] = state.aim.y
        ships[.aimZ][i] = state.aim.z
        ships[.throttle][i] = state.throttle
        ships[.rcsX][i] = state.rcs.x
        ships[.rcsY][i] = state.rcs.y
        ships[.rcsZ][i] = state.rcs.z
    }
}

extension SIMD4 where Scalar == Double {
    fileprivate var isFinite: Bool { self[0].isFinite && self[1].isFinite && self[2].isFinite && self[3].isFinite }
}

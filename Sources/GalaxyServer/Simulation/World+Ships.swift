import CPhysicsKernels

/// Errors about ships that the caller can act on; each names the ship and the offending value.
public enum WorldError: Error, Equatable, CustomStringConvertible {
    case unknownShip(ShipID)
    case unknownBody(String)
    case invalidOrbit(String)
    case invalidDesign(String)

    public var description: String {
        switch self {
        case .unknownShip(let id): return "ship \(id) not found"
        case .unknownBody(let name): return "body '\(name)' not found"
        case .invalidOrbit(let reason): return "invalid orbit: \(reason)"
        case .invalidDesign(let reason): return "invalid ship design: \(reason)"
        }
    }
}

extension World {
    /// Adds a ship (or station) on `elements` about the named body, at the world's current time.
    @discardableResult
    public func addShip(
        name: String, kind: ShipKind = .ship, design: ShipDesign = ShipDesign(), about bodyName: String,
        elements: OrbitalElements, owner: PlayerID? = nil
    ) throws -> ShipID {
        guard let body = bodies.index(named: bodyName) else { throw WorldError.unknownBody(bodyName) }
        let relative: (position: SIMD3<Double>, velocity: SIMD3<Double>)
        do {
            relative = try TwoBody.state(mu: bodies.gm[body], elements: elements)
        } catch {
            throw WorldError.invalidOrbit("\(name) about \(bodyName): \(error)")
        }
        if relative.position.length <= bodies.radius[body] {
            throw WorldError.invalidOrbit(
                "\(name) would start inside \(bodyName): radius \(relative.position.length) m <= \(bodies.radius[body]) m")
        }
        return try addShip(
            name: name, kind: kind, design: design, position: bodies.position(body) + relative.position,
            velocity: bodies.velocity(body) + relative.velocity, primary: body, owner: owner)
    }

    /// Adds a ship at a barycentric ICRF state (m, m/s).
    @discardableResult
    public func addShip(
        name: String, kind: ShipKind = .ship, design: ShipDesign = ShipDesign(), position: SIMD3<Double>,
        velocity: SIMD3<Double>, primary: Int? = nil, owner: PlayerID? = nil
    ) throws -> ShipID {
        try validate(design, name: name)
        guard position.isFinite, velocity.isFinite else {
            throw WorldError.invalidOrbit("\(name): position \(position) and velocity \(velocity) must be finite")
        }
        let id = nextShipID
        nextShipID += 1
        let dominant = primary ?? dominantBody(at: position)
        ships.append(
            id: id, name: name, kind: kind, design: design, position: position, velocity: velocity, primary: dominant,
            owner: owner)
        return id
    }

    /// Ensures later ids do not collide with `id` (used when restoring ships with their own ids).
    func reserveShipID(_ id: ShipID) {
        nextShipID = max(nextShipID, id + 1)
    }

    public func removeShip(_ id: ShipID) throws {
        guard ships.index(of: id) != nil else { throw WorldError.unknownShip(id) }
        ships.remove(id: id)
    }

    public var shipIDs: [ShipID] { ships.ids }

    /// Turns a ship, without slewing, so that its engine axis (body +x) points along `direction` (ICRF).
    public func point(_ id: ShipID, along direction: SIMD3<Double>) throws {
        guard let i = ships.index(of: id) else { throw WorldError.unknownShip(id) }
        guard direction.isFinite, direction.length > 0 else {
            throw WorldError.invalidOrbit("ship \(id): cannot point along \(direction)")
        }
        let d = direction / direction.length
        // Shortest rotation from +x to d: axis x × d, half-angle form; antiparallel turns about +z.
        let w = 1 + d.x
        let q: SIMD4<Double> = w < 1e-12 ? SIMD4(0, 0, 0, 1) : SIMD4(w, 0, -d.z, d.y) / (2 * w).squareRoot()
        ships[.attW][i] = q.x
        ships[.attX][i] = q.y
        ships[.attY][i] = q.z
        ships[.attZ][i] = q.w
        ships[.rateX][i] = 0
        ships[.rateY][i] = 0
        ships[.rateZ][i] = 0
    }

    /// Owner of every owned ship.
    public var shipOwners: [ShipID: PlayerID] {
        var owners: [ShipID: PlayerID] = [:]
        for (i, owner) in ships.owners.enumerated() { if let owner { owners[ships.ids[i]] = owner } }
        return owners
    }

    /// Ids of the ships a player owns.
    public func ships(ownedBy player: PlayerID) -> [ShipID] {
        ships.ids.indices.filter { ships.owners[$0] == player }.map { ships.ids[$0] }
    }

    /// Removes every ship a player owns (account deletion).
    public func removeShips(ownedBy player: PlayerID) {
        for id in ships(ownedBy: player) { ships.remove(id: id) }
    }

    public func ship(_ id: ShipID) -> ShipSnapshot? {
        ships.index(of: id).map(snapshot)
    }

    public func allShips() -> [ShipSnapshot] { (0..<ships.count).map(snapshot) }

    /// Elements of a ship's orbit about its current primary body.
    public func elements(of id: ShipID) throws -> (body: String, elements: OrbitalElements) {
        guard let i = ships.index(of: id) else { throw WorldError.unknownShip(id) }
        let body = Int(ships.primary[i])
        let elements = try TwoBody.elements(
            mu: bodies.gm[body], position: ships.position(i) - bodies.position(body),
            velocity: ships.velocity(i) - bodies.velocity(body))
        return (bodies.names[body], elements)
    }

    func snapshot(_ i: Int) -> ShipSnapshot {
        let throttle = ships[.throttle][i]
        return ShipSnapshot(
            id: ships.ids[i], name: ships.names[i], kind: ships.kinds[i], owner: ships.owners[i],
            position: ships.position(i),
            velocity: ships.velocity(i),
            attitude: SIMD4(ships[.attW][i], ships[.attX][i], ships[.attY][i], ships[.attZ][i]),
            angularRate: SIMD3(ships[.rateX][i], ships[.rateY][i], ships[.rateZ][i]),
            dryMassKg: ships[.dryMass][i], fuelKg: ships[.fuel][i], throttle: throttle,
            thrustNewtons: throttle * ships[.maxThrust][i], rcs: SIMD3(ships[.rcsX][i], ships[.rcsY][i], ships[.rcsZ][i]),
            mode: AttitudeMode(kernelValue: ships.mode[i]) ?? .hold, primary: bodies.names[Int(ships.primary[i])],
            condition: ShipCondition(rawValue: ships.flags[i]))
    }

    /// Returns the body with the deepest sphere of influence containing `position`.
    func dominantBody(at position: SIMD3<Double>) -> Int {
        var best = 0
        var bestRadius = Double.infinity
        for j in 0..<bodies.count {
            let radius = bodies.influence[j]
            if (position - bodies.position(j)).length < radius && (radius < bestRadius || bestRadius == .infinity) {
                best = j
                bestRadius = radius
            }
        }
        return best
    }

    private func validate(_ design: ShipDesign, name: String) throws {
        let fields: [(String, Double)] = [
            ("dry_mass_kg", design.dryMassKg), ("fuel_kg", design.fuelKg), ("max_thrust_n", design.maxThrustNewtons),
            ("isp_s", design.ispSeconds), ("rcs_thrust_n", design.rcsThrustNewtons), ("rcs_isp_s", design.rcsIspSeconds),
            ("max_rotation_rate_rad_s", design.maxRotationRateRadPerS),
            ("max_angular_acceleration_rad_s2", design.maxAngularAccelerationRadPerS2),
        ]
        for (field, value) in fields where !(value.isFinite && value >= 0) {
            throw WorldError.invalidDesign("\(name): \(field) must be finite and >= 0, got \(value)")
        }
        guard design.dryMassKg > 0, design.ispSeconds > 0, design.rcsIspSeconds > 0 else {
            throw WorldError.invalidDesign("\(name): dry_mass_kg, isp_s and rcs_isp_s must be > 0")
        }
    }
}

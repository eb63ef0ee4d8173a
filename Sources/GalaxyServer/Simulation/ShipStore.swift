import CPhysicsKernels

/// All ships and stations as the kernels see them: one column per field, index-addressed, with ids and
/// names alongside. Removing a ship moves the last one into its slot.
final class ShipStore {
    enum Column: Int, CaseIterable {
        case posX, posY, posZ, velX, velY, velZ
        case attW, attX, attY, attZ, rateX, rateY, rateZ
        case cmdRateX, cmdRateY, cmdRateZ, aimX, aimY, aimZ
        case maxRate, maxAccel, dryMass, fuel, maxThrust, isp, throttle
        case rcsX, rcsY, rcsZ, rcsThrust, rcsIsp, burn
    }

    private enum IntColumn: Int, CaseIterable { case mode, primary }
    private enum FlagColumn: Int, CaseIterable { case flags, events }

    private(set) var count = 0
    private let doubles: ColumnBuffer<Double>
    private let ints: ColumnBuffer<Int32>
    private let bits: ColumnBuffer<UInt32>
    private(set) var ids: [ShipID] = []
    private(set) var names: [String] = []
    private(set) var kinds: [ShipKind] = []
    /// Owning player of each ship; nil for stations and unowned ships.
    var owners: [PlayerID?] = []
    /// Target of each ship in target mode, resolved to a position before every tick.
    var targets: [AttitudeTarget?] = []
    private var indexByID: [ShipID: Int] = [:]

    init(capacity: Int = 64) {
        doubles = ColumnBuffer(columns: Column.allCases.count, capacity: capacity)
        ints = ColumnBuffer(columns: IntColumn.allCases.count, capacity: capacity)
        bits = ColumnBuffer(columns: FlagColumn.allCases.count, capacity: capacity)
    }

    subscript(column: Column) -> UnsafeMutablePointer<Double> { doubles.column(column.rawValue) }

    var mode: UnsafeMutablePointer<Int32> { ints.column(IntColumn.mode.rawValue) }
    var primary: UnsafeMutablePointer<Int32> { ints.column(IntColumn.primary.rawValue) }
    var flags: UnsafeMutablePointer<UInt32> { bits.column(FlagColumn.flags.rawValue) }
    var events: UnsafeMutablePointer<UInt32> { bits.column(FlagColumn.events.rawValue) }

    func index(of id: ShipID) -> Int? { indexByID[id] }

    @discardableResult
    func append(
        id: ShipID, name: String, kind: ShipKind, design: ShipDesign, position: SIMD3<Double>,
        velocity: SIMD3<Double>, primary: Int, owner: PlayerID? = nil
    ) -> Int {
        precondition(indexByID[id] == nil, "ship id \(id) is already in the store")
        let i = count
        doubles.grow(toAtLeast: i + 1, keeping: count)
        ints.grow(toAtLeast: i + 1, keeping: count)
        bits.grow(toAtLeast: i + 1, keeping: count)
        count += 1
        ids.append(id)
        names.append(name)
        kinds.append(kind)
        owners.append(owner)
        targets.append(nil)
        indexByID[id] = i
        for column in Column.allCases { self[column][i] = 0 }
        setState(i, position: position, velocity: velocity)
        self[.attW][i] = 1
        self[.maxRate][i] = design.maxRotationRateRadPerS
        self[.maxAccel][i] = design.maxAngularAccelerationRadPerS2
        self[.dryMass][i] = design.dryMassKg
        self[.fuel][i] = design.fuelKg
        self[.maxThrust][i] = design.maxThrustNewtons
        self[.isp][i] = design.ispSeconds
        self[.rcsThrust][i] = design.rcsThrustNewtons
        self[.rcsIsp][i] = design.rcsIspSeconds
        mode[i] = AttitudeMode.hold.kernelValue
        self.primary[i] = Int32(primary)
        flags[i] = design.fuelKg > 0 || kind == .station ? 0 : UInt32(GK_SHIP_OUT_OF_FUEL)
        events[i] = 0
        return i
    }

    func remove(id: ShipID) {
        guard let i = indexByID.removeValue(forKey: id) else { return }
        let last = count - 1
        if i != last {
            for column in Column.allCases { self[column][i] = self[column][last] }
            mode[i] = mode[last]
            primary[i] = primary[last]
            flags[i] = flags[last]
            events[i] = events[last]
            ids[i] = ids[last]
            names[i] = names[last]
            kinds[i] = kinds[last]
            owners[i] = owners[last]
            targets[i] = targets[last]
            indexByID[ids[i]] = i
        }
        ids.removeLast()
        names.removeLast()
        kinds.removeLast()
        owners.removeLast()
        targets.removeLast()
        count -= 1
    }

    func position(_ i: Int) -> SIMD3<Double> { SIMD3(self[.posX][i], self[.posY][i], self[.posZ][i]) }
    func velocity(_ i: Int) -> SIMD3<Double> { SIMD3(self[.velX][i], self[.velY][i], self[.velZ][i]) }

    func setState(_ i: Int, position: SIMD3<Double>, velocity: SIMD3<Double>) {
        self[.posX][i] = position.x
        self[.posY][i] = position.y
        self[.posZ][i] = position.z
        self[.velX][i] = velocity.x
        self[.velY][i] = velocity.y
        self[.velZ][i] = velocity.z
    }

    func kernelShips() -> gk_ships {
        gk_ships(
            count: Int32(count), pos_x: self[.posX], pos_y: self[.posY], pos_z: self[.posZ], vel_x: self[.velX],
            vel_y: self[.velY], vel_z: self[.velZ], att_w: self[.attW], att_x: self[.attX], att_y: self[.attY],
            att_z: self[.attZ], rate_x: self[.rateX], rate_y: self[.rateY], rate_z: self[.rateZ],
            cmd_rate_x: self[.cmdRateX], cmd_rate_y: self[.cmdRateY], cmd_rate_z: self[.cmdRateZ],
            aim_x: self[.aimX], aim_y: self[.aimY], aim_z: self[.aimZ], max_rate_rad_s: self[.maxRate],
            max_accel_rad_s2: self[.maxAccel], dry_mass_kg: self[.dryMass], fuel_kg: self[.fuel],
            max_thrust_n: self[.maxThrust], isp_s: self[.isp], throttle: self[.throttle], rcs_x: self[.rcsX],
            rcs_y: self[.rcsY], rcs_z: self[.rcsZ], rcs_thrust_n: self[.rcsThrust], rcs_isp_s: self[.rcsIsp],
            burn_s: self[.burn], mode: mode, primary: primary, flags: flags, events: events)
    }
}

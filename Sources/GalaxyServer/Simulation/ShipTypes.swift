import CPhysicsKernels

/// Stable identifier of a ship or station within a world.
public typealias ShipID = UInt64

/// Attitude steering mode. The engine pushes along the ship's body +x axis.
public enum AttitudeMode: String, Codable, Sendable, CaseIterable {
    case hold, direction, prograde, retrograde, normal, antinormal
    case radialIn = "radial_in"
    case radialOut = "radial_out"
    case target

    var kernelValue: Int32 {
        switch self {
        case .hold: Int32(GK_MODE_HOLD)
        case .direction: Int32(GK_MODE_DIRECTION)
        case .prograde: Int32(GK_MODE_PROGRADE)
        case .retrograde: Int32(GK_MODE_RETROGRADE)
        case .normal: Int32(GK_MODE_NORMAL)
        case .antinormal: Int32(GK_MODE_ANTINORMAL)
        case .radialIn: Int32(GK_MODE_RADIAL_IN)
        case .radialOut: Int32(GK_MODE_RADIAL_OUT)
        case .target: Int32(GK_MODE_TARGET)
        }
    }

    init?(kernelValue: Int32) {
        guard let mode = AttitudeMode.allCases.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = mode
    }
}

/// The object a ship in target mode points at.
public enum AttitudeTarget: Codable, Sendable, Equatable {
    case body(String)
    case ship(ShipID)
}

/// Ships fly; stations are fixed-design objects (no engine) that ships rendezvous with.
public enum ShipKind: String, Codable, Sendable {
    case ship, station
}

/// The fixed design of a ship: masses, engine and attitude control.
public struct ShipDesign: Codable, Sendable, Equatable {
    public var dryMassKg: Double = 2_000
    public var fuelKg: Double = 1_000
    public var maxThrustNewtons: Double = 2_000
    public var ispSeconds: Double = 320
    /// Thrust of each RCS axis (N) and the RCS specific impulse (s).
    public var rcsThrustNewtons: Double = 50
    public var rcsIspSeconds: Double = 220
    public var maxRotationRateRadPerS: Double = 0.2
    public var maxAngularAccelerationRadPerS2: Double = 0.1

    public init() {}

    /// A station: heavy, no engine, no propellant.
    public static var station: ShipDesign {
        var design = ShipDesign()
        design.dryMassKg = 400_000
        design.fuelKg = 0
        design.maxThrustNewtons = 0
        design.rcsThrustNewtons = 0
        return design
    }
}

/// Persistent condition of a ship.
public struct ShipCondition: OptionSet, Codable, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let crashed = ShipCondition(rawValue: UInt32(GK_SHIP_CRASHED))
    public static let frozen = ShipCondition(rawValue: UInt32(GK_SHIP_FROZEN))
    public static let outOfFuel = ShipCondition(rawValue: UInt32(GK_SHIP_OUT_OF_FUEL))
}

/// A read-only copy of one ship's state. Position (m) and velocity (m/s) are ICRF barycentric at the
/// world's time; the attitude quaternion (scalar first) rotates body vectors into ICRF.
public struct ShipSnapshot: Sendable, Equatable {
    public var id: ShipID
    public var name: String
    public var kind: ShipKind
    public var owner: PlayerID?
    public var position: SIMD3<Double>
    public var velocity: SIMD3<Double>
    public var attitude: SIMD4<Double>
    public var angularRate: SIMD3<Double>
    public var dryMassKg: Double
    public var fuelKg: Double
    public var throttle: Double
    public var thrustNewtons: Double
    public var rcs: SIMD3<Double>
    public var mode: AttitudeMode
    public var primary: String
    public var condition: ShipCondition
}

/// Something that happened to a ship during a tick.
public struct ShipEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case crashed
        case outOfFuel = "out_of_fuel"
        case frozen
    }

    public var shipID: ShipID
    public var kind: Kind
    public var tick: UInt64
    /// Seconds since the catalog epoch (TDB) at the end of the tick in which it happened.
    public var gameTimeSeconds: Double
    /// The body involved (the one hit, for a crash).
    public var body: String?
}

/// The one way to steer a ship, sent by players and produced by automation alike. Every field is optional
/// and an omitted field keeps the ship's current value.
public struct SteeringCommand: Sendable, Equatable {
    public var shipID: ShipID
    public var attitudeMode: AttitudeMode?
    /// ICRF direction for `direction` mode; any nonzero length, normalized on apply.
    public var direction: SIMD3<Double>?
    /// Body or ship for `target` mode.
    public var target: AttitudeTarget?
    /// `true` switches to hold mode and stops rotation.
    public var holdAttitude: Bool?
    /// Body-frame rotation rate (rad/s) to keep in hold mode.
    public var rotationRate: SIMD3<Double>?
    /// Main engine throttle in [0, 1].
    public var throttle: Double?
    /// RCS translation command per body axis, each in [-1, 1].
    public var rcs: SIMD3<Double>?

    public init(
        shipID: ShipID, attitudeMode: AttitudeMode? = nil, direction: SIMD3<Double>? = nil,
        target: AttitudeTarget? = nil, holdAttitude: Bool? = nil, rotationRate: SIMD3<Double>? = nil,
        throttle: Double? = nil, rcs: SIMD3<Double>? = nil
    ) {
        self.shipID = shipID
        self.attitudeMode = attitudeMode
        self.direction = direction
        self.target = target
        self.holdAttitude = holdAttitude
        self.rotationRate = rotationRate
        self.throttle = throttle
        self.rcs = rcs
    }
}

/// Why a steering command was rejected, naming the field and the value.
public struct SteeringError: Error, Equatable, CustomStringConvertible {
    public var shipID: ShipID
    public var field: String
    public var reason: String

    public var description: String { "ship \(shipID): \(field): \(reason)" }
}

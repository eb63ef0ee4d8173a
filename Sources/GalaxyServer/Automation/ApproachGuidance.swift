import Foundation

/// Short-range guidance for the terminal approach of a rendezvous (not the Q-law). The ship flies along the
/// line from the target to itself toward the standoff point on that line, on its own side of the target, so
/// the commanded path never crosses the target. The desired closing speed at a distance x from the standoff
/// point is min(maximum speed, √(2 · brakingFraction · a_brake · x), x / finalTimeConstant): the ship can
/// always stop before the standoff point using part of its braking ability a_brake = max thrust / mass, and
/// the last metres close exponentially. The command accelerates toward that velocity over a time constant.
public struct ApproachGuidance: Sendable, Equatable {
    /// Part of the braking acceleration the speed profile relies on.
    public var brakingFraction = 0.5
    public var maximumSpeedMetersPerSecond = 20.0
    /// Time constant (s) of the final exponential closing.
    public var finalTimeConstantSeconds = 100.0
    /// Time constant (s) for reaching the desired velocity. Two ticks are used when that is longer.
    public var velocityTimeConstantSeconds = 10.0

    public init() {}

    /// Desired closing speed (m/s) at `offsetMeters` from the standoff point.
    func desiredSpeed(offsetMeters x: Double, brakingAcceleration: Double) -> Double {
        let braking = (2 * brakingFraction * max(0, brakingAcceleration) * x).squareRoot()
        return min(maximumSpeedMetersPerSecond, braking, x / finalTimeConstantSeconds)
    }

    /// Acceleration (m/s², inertial) toward the desired relative velocity. `relativePosition` and
    /// `relativeVelocity` are the ship's minus the target's (m, m/s).
    func command(
        relativePosition: SIMD3<Double>, relativeVelocity: SIMD3<Double>, standoffMeters: Double,
        brakingAcceleration: Double, tickSeconds: Double
    ) -> (acceleration: SIMD3<Double>, desiredSpeed: Double) {
        let distance = relativePosition.length
        // At the target's centre any line works; the direction of motion is as good as any.
        let outward =
            distance > 0
            ? relativePosition / distance
            : (relativeVelocity.length > 0 ? relativeVelocity / relativeVelocity.length : SIMD3(1, 0, 0))
        let offset = distance - standoffMeters
        let speed = desiredSpeed(offsetMeters: abs(offset), brakingAcceleration: brakingAcceleration)
        // Inside the standoff sphere the ship backs out along the same line.
        let desiredVelocity = offset >= 0 ? -outward * speed : outward * speed
        let timeConstant = max(velocityTimeConstantSeconds, 2 * tickSeconds)
        return ((desiredVelocity - relativeVelocity) / timeConstant, speed)
    }
}

/// Turns a commanded acceleration into a steering command for one ship: RCS translation at the current
/// attitude when the RCS alone can give it, otherwise the main engine in direction mode with a throttle
/// that gives the commanded magnitude.
struct ThrustAllocator {
    var massKg: Double
    var maxThrustNewtons: Double
    var rcsThrustNewtons: Double
    /// Scalar-first quaternion rotating body vectors into the inertial frame.
    var attitude: SIMD4<Double>
    var slew: SlewLimits

    func command(ship: ShipID, acceleration: SIMD3<Double>, tickSeconds: Double) -> SteeringCommand {
        let magnitude = acceleration.length
        guard magnitude > 0 else { return SteeringCommand(shipID: ship, throttle: 0, rcs: .zero) }
        if rcsThrustNewtons > 0 {
            let perAxis = rotateIntoBody(acceleration) * (massKg / rcsThrustNewtons)
            if max(abs(perAxis.x), abs(perAxis.y), abs(perAxis.z)) <= 1 {
                return SteeringCommand(shipID: ship, holdAttitude: true, throttle: 0, rcs: perAxis)
            }
        }
        let direction = acceleration / magnitude
        let aligned = slew.canAlign(from: thrustAxis, to: direction, tickSeconds: tickSeconds)
        let throttle = aligned && maxThrustNewtons > 0 ? min(1, magnitude * massKg / maxThrustNewtons) : 0
        return SteeringCommand(shipID: ship, attitudeMode: .direction, direction: direction, throttle: throttle, rcs: .zero)
    }

    /// Body +x, the main engine's thrust axis, in the inertial frame.
    var thrustAxis: SIMD3<Double> {
        let (w, x, y, z) = (attitude[0], attitude[1], attitude[2], attitude[3])
        return SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y))
    }

    /// Rotates the inertial vector `v` into body axes (by the conjugate quaternion).
    func rotateIntoBody(_ v: SIMD3<Double>) -> SIMD3<Double> {
        let (w, x, y, z) = (attitude[0], -attitude[1], -attitude[2], -attitude[3])
        let row0 = SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y))
        let row1 = SIMD3(2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x))
        let row2 = SIMD3(2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y))
        return SIMD3(row0.dot(v), row1.dot(v), row2.dot(v))
    }
}

/// Attitude limits of a ship, used to hold the engine off until a turn can finish within the tick (the
/// engine pushes along the attitude reached at the end of the tick's turn for the whole tick).
struct SlewLimits {
    var maxRateRadPerS: Double
    var maxAccelerationRadPerS2: Double

    /// Error (rad) small enough to thrust through whatever the limits.
    static let alignedRadians = 2 * Double.pi / 180

    /// True when a turn from rest through the angle between `axis` and `direction` fits in 60% of the tick.
    func canAlign(from axis: SIMD3<Double>, to direction: SIMD3<Double>, tickSeconds: Double) -> Bool {
        let cosine = max(-1, min(1, axis.dot(direction) / max(axis.length * direction.length, .leastNormalMagnitude)))
        let angle = acos(cosine)
        return angle <= max(SlewLimits.alignedRadians, 0.6 * reachableAngle(seconds: tickSeconds))
    }

    /// Angle (rad) a rate- and acceleration-limited turn from rest covers in `seconds`.
    func reachableAngle(seconds: Double) -> Double {
        guard maxRateRadPerS > 0, maxAccelerationRadPerS2 > 0 else { return 0 }
        let ramp = maxRateRadPerS / maxAccelerationRadPerS2
        if seconds <= 2 * ramp { return maxAccelerationRadPerS2 * seconds * seconds / 4 }
        return maxRateRadPerS * (seconds - ramp)
    }
}

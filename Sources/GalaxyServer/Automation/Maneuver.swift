/// Goal of a maneuver.
public enum ManeuverGoal: Sendable, Equatable {
    /// Reach the classical elements `target` about the named body.
    case transfer(body: String, target: QLawTarget)
    /// Reach the osculating orbit of a ship or station, about that object's primary body.
    case matchOrbit(target: ShipID)
    /// Match the target's orbit, close the phase angle, then approach to `standoffMeters` from the target with
    /// a relative speed of at most `relativeSpeedMetersPerSecond`, and keep station there until cancelled.
    case rendezvous(target: ShipID, standoffMeters: Double = 100, relativeSpeedMetersPerSecond: Double = 0.1)

    var targetShip: ShipID? {
        switch self {
        case .transfer: nil
        case .matchOrbit(let target), .rendezvous(let target, _, _): target
        }
    }
}

/// Largest element errors at which an orbit counts as reached.
public struct OrbitTolerance: Sendable, Equatable {
    public var semiMajorAxisMeters = 10_000.0
    /// Distance between the eccentricity vectors (f, g) of the orbit and the target.
    public var eccentricityVector = 2e-3
    public var inclinationRadians = 0.1 * Double.pi / 180
    /// Distance in the (h, k) plane, which also bounds the node error.
    public var nodeVector = 2e-3

    public init() {}
}

/// Tuning of one maneuver. The defaults suit high-thrust ships (about 1 m/s²) in low orbits.
public struct ManeuverOptions: Sendable, Equatable {
    /// Game time (s) after which the maneuver is aborted.
    public var timeoutSeconds = 30 * 86_400.0
    /// Q-law coasting cut-offs. Thrusting everywhere at about 1 m/s² pumps eccentricity and never settles.
    public var cutoffs = EffectivityCutoffs(absolute: 0.7)
    public var tolerance = OrbitTolerance()
    /// Height above the body's surface (m) that the Q-law keeps periapsis above.
    public var periapsisMarginMeters = 200_000.0
    /// Throttle reduction: the Q-law throttle is √Q / (convergenceTicks × tick length), capped at 1, so the
    /// last ticks before the target take only part of the remaining step instead of overshooting it.
    public var convergenceTicks = 4.0
    /// Orbits over which phasing aims to close the phase angle to the target.
    public var phasingOrbits = 1.0
    /// Largest change of semi-major axis used for phasing, as a fraction of the target's.
    public var maximumPhasingFraction = 0.03
    /// Distance to the target (m) below which phasing hands over to the terminal approach.
    public var terminalRangeMeters = 20_000.0
    /// Terminal-approach tuning.
    public var approach = ApproachGuidance()
    /// Distance from the standoff point (m) within which a rendezvous counts as arrived.
    public var standoffToleranceMeters = 10.0

    public init() {}
}

/// Stage of an active maneuver.
public enum ManeuverPhase: String, Sendable, Equatable, Codable {
    /// Q-law toward fixed target elements.
    case transfer
    /// Q-law toward the target object's current orbit.
    case matchOrbit = "match_orbit"
    /// Q-law toward a slightly lower or higher orbit that drifts the ship toward the target.
    case phasing
    /// Short-range guidance to the standoff point.
    case approach
    /// Station-keeping at the standoff point after a rendezvous completed.
    case holding
}

/// Reason a maneuver stopped without completing.
public enum ManeuverAbortReason: Sendable, Equatable, CustomStringConvertible {
    case outOfFuel
    case timedOut(seconds: Double)
    case targetGone(ShipID)
    case crashed
    case frozen
    case shipGone
    /// The steering law could not be evaluated, for example on an unbound orbit.
    case steeringFailed(String)

    public var description: String {
        switch self {
        case .outOfFuel: "out of fuel"
        case .timedOut(let seconds): "timed out after \(seconds) s"
        case .targetGone(let id): "target \(id) not found"
        case .crashed: "ship crashed"
        case .frozen: "ship frozen after a numerical fault"
        case .shipGone: "ship not found"
        case .steeringFailed(let reason): "steering failed: \(reason)"
        }
    }
}

/// Cause of a maneuver ending early.
public enum ManeuverCancelReason: String, Sendable, Equatable, Codable {
    /// `AutomationSystem.cancel(ship:)`.
    case requested
    /// The player sent a steering command.
    case manualSteering = "manual_steering"
    /// A new maneuver request for the same ship.
    case replaced
    /// A rule with the `stopThrust` or `cancelManeuver` action.
    case rule
}

/// Element errors of the ship's orbit against the current Q-law target.
public struct ElementErrors: Sendable, Equatable {
    /// Ship minus target (m).
    public var semiMajorAxisMeters: Double
    /// Distance between the eccentricity vectors (f, g).
    public var eccentricityVector: Double
    /// Ship minus target (rad).
    public var inclinationRadians: Double
    /// Distance in the (h, k) plane.
    public var nodeVector: Double

    func within(_ tolerance: OrbitTolerance) -> Bool {
        abs(semiMajorAxisMeters) <= tolerance.semiMajorAxisMeters
            && eccentricityVector <= tolerance.eccentricityVector
            && abs(inclinationRadians) <= tolerance.inclinationRadians && nodeVector <= tolerance.nodeVector
    }
}

/// State of an active maneuver after the latest `AutomationSystem.step`.
public struct ManeuverProgress: Sendable, Equatable {
    public var goal: ManeuverGoal
    public var phase: ManeuverPhase
    /// Game time since the request (s).
    public var elapsedSeconds: Double = 0
    public var propellantUsedKg: Double = 0
    /// Main-engine throttle commanded this tick.
    public var throttle: Double = 0
    /// Q-law phases only.
    public var elementErrors: ElementErrors?
    /// Distance to the target object (m), for maneuvers with a target only.
    public var distanceMeters: Double?
    /// Rate at which the distance to the target shrinks (m/s, negative when opening).
    public var closingSpeedMetersPerSecond: Double?
    public var relativeSpeedMetersPerSecond: Double?
    /// Angle (rad) from the ship to the target along the orbit, positive when the target is ahead.
    public var phaseAngleRadians: Double?
    /// Estimate of the game time (s) left in the current phase: √Q at full thrust for Q-law phases (coasting
    /// adds to it), the phase drift for phasing, and distance over the guidance speed for the approach.
    public var estimatedSecondsRemaining: Double?
}

/// A change in a maneuver that the ship's owner should hear about.
public struct ManeuverEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case phaseChanged(ManeuverPhase)
        /// The goal was reached; a rendezvous then keeps station in the `holding` phase.
        case completed
        case aborted(ManeuverAbortReason)
        case cancelled(ManeuverCancelReason)
    }

    public var shipID: ShipID
    public var kind: Kind
    /// Seconds since the catalog epoch (TDB) at the start of the tick.
    public var gameTimeSeconds: Double
    /// The maneuver's state when the event happened.
    public var progress: ManeuverProgress
}

/// Rejection of a maneuver request or rule, with the reason.
public struct ManeuverError: Error, Equatable, CustomStringConvertible {
    public var shipID: ShipID
    public var reason: String

    public var description: String { "maneuver for ship \(shipID) rejected: \(reason)" }
}

/// When a per-ship rule fires. Each rule fires once each time its condition becomes true.
public enum RuleCondition: Sendable, Equatable {
    /// Fuel drops below `fraction` of the fuel the ship had when the rule was added (the world stores no
    /// tank capacity).
    case fuelBelow(fraction: Double)
    /// A maneuver of the ship completed this tick.
    case maneuverCompleted
    /// A maneuver of the ship was aborted this tick.
    case maneuverAborted
}

/// Action of a rule when it fires. Every action first cancels the ship's active maneuver, if any, and turns
/// its engines off, so that the automation does not undo the action on the next tick.
public enum RuleAction: Sendable, Equatable {
    /// Main engine throttle and RCS to zero.
    case stopThrust
    /// Switch to an attitude mode that needs no direction or target (hold, prograde, retrograde, normal,
    /// antinormal, radial in, radial out).
    case setAttitude(AttitudeMode)
    case cancelManeuver
}

/// A (condition, action) pair attached to one ship.
public struct AutomationRule: Sendable, Equatable {
    public var condition: RuleCondition
    public var action: RuleAction

    public init(condition: RuleCondition, action: RuleAction) {
        self.condition = condition
        self.action = action
    }

    /// Nil when the rule is valid, else what is wrong with it.
    var problem: String? {
        if case .fuelBelow(let fraction) = condition, !(fraction.isFinite && fraction > 0 && fraction <= 1) {
            return "fuel fraction must be within (0, 1], got \(fraction)"
        }
        if case .setAttitude(let mode) = action, mode == .direction || mode == .target {
            return "attitude mode \(mode.rawValue) needs a direction or target, which rules do not carry"
        }
        return nil
    }
}

/// A rule with the state its edge detection needs.
struct ArmedRule {
    var rule: AutomationRule
    /// Fuel (kg) when the rule was added, the reference of `fuelBelow`.
    var referenceFuelKg: Double
    var conditionWasTrue = false

    /// Returns whether the condition is true now, given the ship's fuel and this tick's maneuver events for it.
    func conditionIsTrue(fuelKg: Double, events: [ManeuverEvent.Kind]) -> Bool {
        switch rule.condition {
        case .fuelBelow(let fraction): fuelKg < fraction * referenceFuelKg
        case .maneuverCompleted: events.contains(.completed)
        case .maneuverAborted: events.contains { if case .aborted = $0 { true } else { false } }
        }
    }

    /// Returns the steering command of the action, if it has one.
    func command(for ship: ShipID) -> SteeringCommand? {
        switch rule.action {
        case .stopThrust: SteeringCommand(shipID: ship, throttle: 0, rcs: .zero)
        case .setAttitude(let mode): SteeringCommand(shipID: ship, attitudeMode: mode)
        case .cancelManeuver: nil
        }
    }
}

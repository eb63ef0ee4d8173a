import CPhysicsKernels
import Foundation

extension AutomationSystem {
    /// Builds the Q-law problem of a ship in the transfer, match or phasing phase.
    func qlawJob(_ record: ManeuverRecord, _ s: ShipSituation) -> Result<QLawJob, AbortError> {
        var parameters = template
        parameters.mu = s.mu
        parameters.thrust_accel_m_s2 = s.maxThrustNewtons / s.massKg
        parameters.periapsis_min_m = s.minimumPeriapsisMeters
        var target = record.transferTarget
        if record.progress.phase != .transfer {
            guard let position = s.targetPosition, let velocity = s.targetVelocity else {
                return .failure(AbortError(.steeringFailed("target state missing")))
            }
            guard let slow = slowElements(mu: s.mu, position: position, velocity: velocity) else {
                return .failure(AbortError(.steeringFailed("target orbit is not a bound, prograde-representable orbit")))
            }
            target = slow
        }
        if record.progress.phase == .phasing {
            target[GK_SLOW_A] = phasingSemiMajorAxis(record, s, targetSlow: target)
        }
        parameters.target = (target[0], target[1], target[2], target[3], target[4])
        return .success(QLawJob(parameters: parameters, position: s.position, velocity: s.velocity))
    }

    /// Slow elements (a, f, g, h, k) of a bound orbit, or nil when the kernels reject the state.
    private func slowElements(mu: Double, position: SIMD3<Double>, velocity: SIMD3<Double>) -> [Double]? {
        var r = [position.x, position.y, position.z]
        var v = [velocity.x, velocity.y, velocity.z]
        var mee = gk_mee()
        guard gk_mee_from_state(mu, &r, &v, &mee) == Int32(GK_OK) else { return nil }
        var slow = [Double](repeating: 0, count: Int(GK_SLOW_COUNT))
        guard gk_qlaw_slow_elements(&mee, &slow) == Int32(GK_OK) else { return nil }
        return slow
    }

    /// Semi-major axis (m) of the phasing orbit. A lower orbit drifts ahead at about 1.5 n Δa / a rad/s, so
    /// Δa / a = −2 Δθ / (3π N) closes the phase angle Δθ in about N orbits. The change is capped, and the
    /// phasing periapsis stays a quarter of the margin above the Q-law's periapsis minimum.
    private func phasingSemiMajorAxis(_ record: ManeuverRecord, _ s: ShipSituation, targetSlow: [Double]) -> Double {
        let options = record.options
        let targetA = targetSlow[GK_SLOW_A]
        let angle = record.progress.phaseAngleRadians ?? 0
        let cap = options.maximumPhasingFraction
        let fraction = max(-cap, min(cap, 2 * angle / (3 * Double.pi * options.phasingOrbits)))
        let eccentricity = (targetSlow[GK_SLOW_F] * targetSlow[GK_SLOW_F] + targetSlow[GK_SLOW_G] * targetSlow[GK_SLOW_G])
            .squareRoot()
        let floor = (s.minimumPeriapsisMeters + 0.25 * options.periapsisMarginMeters) / (1 - eccentricity)
        return max(targetA * (1 - fraction), floor)
    }

    /// Applies the Q-law direction with effectivity cut-off, throttle reduction and slew gating, and moves
    /// the maneuver on when the elements are within tolerance.
    func steerQLaw(
        _ ship: ShipID, _ s: ShipSituation, _ parameters: gk_qlaw_params, _ solution: QLawSolution, world: World,
        seconds: Double, events: inout [ManeuverEvent]
    ) {
        guard var record = maneuvers[ship] else { return }
        if let failure = failureReason(solution, s) {
            finish(ship, .aborted(.steeringFailed(failure)), world: world, events: &events)
            return
        }
        let steering = solution.steering
        let errors = elementErrors(steering, target: parameters.target)
        let timeToGo = steering.q.squareRoot()
        record.progress.elementErrors = errors
        record.progress.estimatedSecondsRemaining =
            record.progress.phase == .phasing ? phasingEstimate(record, s, targetA: parameters.target.0) : timeToGo
        if record.progress.phase != .phasing && errors.within(record.options.tolerance) {
            guard case .rendezvous = record.goal else {
                maneuvers[ship] = record
                finish(ship, .completed, world: world, events: &events)
                return
            }
            record.progress.phase = .phasing
            events.append(event(ship, .phaseChanged(.phasing), record.progress, at: world.elapsedSeconds))
        }

        let direction = SIMD3(
            steering.direction_inertial.0, steering.direction_inertial.1, steering.direction_inertial.2)
        guard direction != .zero else {
            // No direction lowers Q, which happens only at the target itself: coast.
            record.progress.throttle = 0
            maneuvers[ship] = record
            apply(SteeringCommand(shipID: ship, throttle: 0, rcs: .zero), world: world, events: &events)
            return
        }
        var throttle = 0.0
        let aligned = s.allocator.slew.canAlign(from: s.allocator.thrustAxis, to: direction, tickSeconds: seconds)
        if aligned && solution.effectivity!.allowsThrust(record.options.cutoffs) {
            throttle = min(1, timeToGo / (record.options.convergenceTicks * seconds))
        }
        record.progress.throttle = throttle
        maneuvers[ship] = record
        let command = SteeringCommand(
            shipID: ship, attitudeMode: .direction, direction: direction, throttle: throttle, rcs: .zero)
        apply(command, world: world, events: &events)
    }

    /// Returns why the Q-law could not be evaluated for the ship, or nil when it was.
    private func failureReason(_ solution: QLawSolution, _ s: ShipSituation) -> String? {
        if solution.status == Int32(GK_OK) {
            return solution.effectivity == nil ? "effectivity evaluation on the anomaly grid failed" : nil
        }
        if let elements = try? TwoBody.elements(mu: s.mu, position: s.position, velocity: s.velocity),
            elements.eccentricity >= 1
        {
            return QLawError.unboundOrbit(eccentricity: elements.eccentricity).description
        }
        let error = KernelError(
            kernel: "gk_qlaw_steer_batch", code: solution.status, context: "r=\(s.position) m v=\(s.velocity) m/s")
        return error.description
    }

    private func elementErrors(_ steering: gk_qlaw_steering, target: (Double, Double, Double, Double, Double))
        -> ElementErrors
    {
        let (a, f, g, h, k) = steering.slow
        let inclination = 2 * atan((h * h + k * k).squareRoot())
        let targetInclination = 2 * atan((target.3 * target.3 + target.4 * target.4).squareRoot())
        return ElementErrors(
            semiMajorAxisMeters: a - target.0,
            eccentricityVector: ((f - target.1) * (f - target.1) + (g - target.2) * (g - target.2)).squareRoot(),
            inclinationRadians: inclination - targetInclination,
            nodeVector: ((h - target.3) * (h - target.3) + (k - target.4) * (k - target.4)).squareRoot())
    }

    /// Phase angle over the current drift rate 1.5 n |Δa| / a (s); nil while the orbits have the same size.
    private func phasingEstimate(_ record: ManeuverRecord, _ s: ShipSituation, targetA: Double) -> Double? {
        guard let angle = record.progress.phaseAngleRadians, let errors = record.progress.elementErrors else { return nil }
        let shipA = targetA + errors.semiMajorAxisMeters
        let meanMotion = (s.mu / (shipA * shipA * shipA)).squareRoot()
        let drift = 1.5 * meanMotion * abs(errors.semiMajorAxisMeters) / shipA
        return drift > 0 ? abs(angle) / drift : nil
    }

    /// Terminal approach and station-keeping of a rendezvous.
    func approach(_ ship: ShipID, _ s: ShipSituation, world: World, seconds: Double, events: inout [ManeuverEvent]) {
        guard var record = maneuvers[ship], case .rendezvous(_, let standoff, let speedTolerance) = record.goal,
            let targetPosition = s.targetPosition, let targetVelocity = s.targetVelocity
        else { return }
        let offset = s.position - targetPosition
        let relativeVelocity = s.velocity - targetVelocity
        let guidance = record.options.approach.command(
            relativePosition: offset, relativeVelocity: relativeVelocity, standoffMeters: standoff,
            brakingAcceleration: s.maxThrustNewtons / s.massKg, tickSeconds: seconds)
        let standoffError = abs(offset.length - standoff)
        record.progress.elementErrors = nil
        if record.progress.phase == .approach {
            record.progress.estimatedSecondsRemaining = standoffError / max(guidance.desiredSpeed, 1e-3)
            if standoffError <= record.options.standoffToleranceMeters && relativeVelocity.length <= speedTolerance {
                record.progress.phase = .holding
                record.progress.estimatedSecondsRemaining = nil
                events.append(event(ship, .completed, record.progress, at: world.elapsedSeconds))
            }
        }
        let command = s.allocator.command(ship: ship, acceleration: guidance.acceleration, tickSeconds: seconds)
        record.progress.throttle = command.throttle ?? 0
        maneuvers[ship] = record
        apply(command, world: world, events: &events)
    }

    /// Applies an automation command; a rejected one aborts the maneuver with the reason.
    private func apply(_ command: SteeringCommand, world: World, events: inout [ManeuverEvent]) {
        do {
            try world.apply(command)
        } catch {
            finish(command.shipID, .aborted(.steeringFailed("\(error)")), world: world, events: &events)
        }
    }
}

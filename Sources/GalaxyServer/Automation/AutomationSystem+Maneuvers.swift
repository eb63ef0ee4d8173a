import CPhysicsKernels
import Foundation

/// One active maneuver.
struct ManeuverRecord {
    let goal: ManeuverGoal
    let options: ManeuverOptions
    let startSeconds: Double
    let startFuelKg: Double
    /// Body index of a transfer; match and rendezvous use the target's current primary.
    let transferBody: Int?
    /// Slow elements (a, f, g, h, k) of a transfer's target.
    let transferTarget: [Double]
    var progress: ManeuverProgress
}

/// The ship (and target) state a tick's steering works from; positions (m) and velocities (m/s) relative
/// to the central body.
struct ShipSituation {
    var body: Int
    var mu: Double
    var minimumPeriapsisMeters: Double
    var position: SIMD3<Double>
    var velocity: SIMD3<Double>
    var massKg: Double
    var maxThrustNewtons: Double
    var allocator: ThrustAllocator
    var targetPosition: SIMD3<Double>?
    var targetVelocity: SIMD3<Double>?
}

extension AutomationSystem {
    func makeRecord(
        _ goal: ManeuverGoal, ship: ShipID, options: ManeuverOptions, world: World
    ) throws(ManeuverError) -> ManeuverRecord {
        let reject = { (reason: String) in ManeuverError(shipID: ship, reason: reason) }
        guard let i = world.ships.index(of: ship) else { throw reject("ship not found") }
        if let problem = shipProblem(at: i, world: world) { throw reject(problem) }
        if let problem = requestProblem(goal, ship: ship, options: options, world: world) { throw reject(problem) }

        var transferBody: Int?
        var transferTarget: [Double] = []
        var phase = ManeuverPhase.matchOrbit
        if case .transfer(let name, let target) = goal {
            guard let body = world.bodyIndex(named: name) else { throw reject("body '\(name)' not found") }
            transferBody = body
            transferTarget = try validatedTarget(target, body: body, options: options, world: world, reject: reject)
            phase = .transfer
        }
        return ManeuverRecord(
            goal: goal, options: options, startSeconds: world.elapsedSeconds, startFuelKg: world.ships[.fuel][i],
            transferBody: transferBody, transferTarget: transferTarget, progress: ManeuverProgress(goal: goal, phase: phase))
    }

    /// Returns why the ship at store index `i` cannot maneuver, or nil when it can.
    private func shipProblem(at i: Int, world: World) -> String? {
        let condition = ShipCondition(rawValue: world.ships.flags[i])
        if world.ships.kinds[i] != .ship { return "stations cannot maneuver" }
        if condition.contains(.crashed) { return "ship has crashed" }
        if condition.contains(.frozen) { return "ship is frozen after a numerical fault" }
        if condition.contains(.outOfFuel) { return "ship is out of fuel" }
        if !(world.ships[.maxThrust][i] > 0) { return "ship has no main engine (max thrust 0 N)" }
        return nil
    }

    /// Returns what is invalid in the request's target and options, or nil when they are valid.
    private func requestProblem(_ goal: ManeuverGoal, ship: ShipID, options: ManeuverOptions, world: World) -> String? {
        if !(options.timeoutSeconds > 0 && options.convergenceTicks > 0 && options.phasingOrbits > 0) {
            return "timeout, convergence ticks and phasing orbits must be positive"
        }
        if let target = goal.targetShip {
            if target == ship { return "a ship cannot target itself" }
            if world.ships.index(of: target) == nil { return "target \(target) not found" }
        }
        if case .rendezvous(_, let standoff, let speed) = goal,
            !(standoff.isFinite && standoff >= 0 && speed.isFinite && speed > 0)
        {
            return "standoff must be >= 0 m and relative speed > 0 m/s, got \(standoff) m and \(speed) m/s"
        }
        return nil
    }

    private func validatedTarget(
        _ target: QLawTarget, body: Int, options: ManeuverOptions, world: World, reject: (String) -> ManeuverError
    ) throws(ManeuverError) -> [Double] {
        let minimum = world.bodyRadius(body) + options.periapsisMarginMeters
        let periapsis = target.semiMajorAxisMeters * (1 - target.eccentricity)
        guard periapsis > minimum else {
            throw reject("target periapsis \(periapsis) m is below the body radius plus margin, \(minimum) m")
        }
        let parameters = QLawParameters(
            mu: world.bodyGM(body), target: target, thrustAcceleration: 1, minimumPeriapsisMeters: minimum)
        do {
            let kernel = try parameters.kernelValue()
            return [kernel.target.0, kernel.target.1, kernel.target.2, kernel.target.3, kernel.target.4]
        } catch {
            throw reject("invalid target: \(error)")
        }
    }

    func stepManeuvers(world: World, seconds: Double, events: inout [ManeuverEvent]) {
        var jobs: [QLawJob] = []
        var jobShips: [(ship: ShipID, situation: ShipSituation)] = []
        for ship in maneuvers.keys.sorted() {
            guard let situation = prepare(ship, world: world, events: &events), let record = maneuvers[ship] else {
                continue
            }
            if record.progress.phase == .approach || record.progress.phase == .holding {
                approach(ship, situation, world: world, seconds: seconds, events: &events)
                continue
            }
            switch qlawJob(record, situation) {
            case .failure(let abort): finish(ship, .aborted(abort.reason), world: world, events: &events)
            case .success(let job):
                jobs.append(job)
                jobShips.append((ship, situation))
            }
        }

        let solutions = solver.solve(jobs, workerCount: world.workerCount)
        for (k, entry) in jobShips.enumerated() {
            steerQLaw(
                entry.ship, entry.situation, jobs[k].parameters, solutions[k], world: world, seconds: seconds,
                events: &events)
        }
    }

    /// Updates the maneuver's progress and range-based phase, or aborts it; returns the situation to steer
    /// from, or nil after an abort.
    private func prepare(_ ship: ShipID, world: World, events: inout [ManeuverEvent]) -> ShipSituation? {
        guard var record = maneuvers[ship] else { return nil }
        record.progress.elapsedSeconds = world.elapsedSeconds - record.startSeconds
        if let i = world.ships.index(of: ship) {
            record.progress.propellantUsedKg = record.startFuelKg - world.ships[.fuel][i]
        }
        maneuvers[ship] = record
        switch assess(ship, record, world: world) {
        case .failure(let abort):
            finish(ship, .aborted(abort.reason), world: world, events: &events)
            return nil
        case .success(let situation):
            measureTarget(&record, situation)
            switchRange(ship, &record, world: world, events: &events)
            maneuvers[ship] = record
            return situation
        }
    }

    /// Returns the abort reason for a lost ship or target, a bad condition or a timeout, else the situation.
    private func assess(_ ship: ShipID, _ record: ManeuverRecord, world: World) -> Result<ShipSituation, AbortError> {
        let store = world.ships
        guard let i = store.index(of: ship) else { return .failure(AbortError(.shipGone)) }
        let condition = ShipCondition(rawValue: store.flags[i])
        if condition.contains(.crashed) { return .failure(AbortError(.crashed)) }
        if condition.contains(.frozen) { return .failure(AbortError(.frozen)) }
        if condition.contains(.outOfFuel) { return .failure(AbortError(.outOfFuel)) }
        let elapsed = world.elapsedSeconds - record.startSeconds
        if record.progress.phase != .holding && elapsed > record.options.timeoutSeconds {
            return .failure(AbortError(.timedOut(seconds: elapsed)))
        }

        guard let target = record.goal.targetShip else {
            return .success(situation(of: i, about: record.transferBody ?? 0, target: nil, record, world: world))
        }
        guard let t = store.index(of: target) else { return .failure(AbortError(.targetGone(target))) }
        return .success(situation(of: i, about: Int(store.primary[t]), target: t, record, world: world))
    }

    /// State of the ship at store index `i` (and of the target at index `target`) relative to body `body`.
    private func situation(
        of i: Int, about body: Int, target: Int?, _ record: ManeuverRecord, world: World
    ) -> ShipSituation {
        let store = world.ships
        let center = world.bodyState(body)
        let mass = store[.dryMass][i] + store[.fuel][i]
        let slew = SlewLimits(maxRateRadPerS: store[.maxRate][i], maxAccelerationRadPerS2: store[.maxAccel][i])
        let attitude = SIMD4(store[.attW][i], store[.attX][i], store[.attY][i], store[.attZ][i])
        let allocator = ThrustAllocator(
            massKg: mass, maxThrustNewtons: store[.maxThrust][i], rcsThrustNewtons: store[.rcsThrust][i],
            attitude: attitude, slew: slew)
        var situation = ShipSituation(
            body: body, mu: world.bodyGM(body),
            minimumPeriapsisMeters: world.bodyRadius(body) + record.options.periapsisMarginMeters,
            position: store.position(i) - center.position, velocity: store.velocity(i) - center.velocity, massKg: mass,
            maxThrustNewtons: store[.maxThrust][i], allocator: allocator)
        if let target {
            situation.targetPosition = store.position(target) - center.position
            situation.targetVelocity = store.velocity(target) - center.velocity
        }
        return situation
    }

    /// Distance, closing speed, relative speed and phase angle to the target, when there is one.
    private func measureTarget(_ record: inout ManeuverRecord, _ s: ShipSituation) {
        guard let targetPosition = s.targetPosition, let targetVelocity = s.targetVelocity else { return }
        let offset = s.position - targetPosition
        let relativeVelocity = s.velocity - targetVelocity
        let distance = offset.length
        record.progress.distanceMeters = distance
        record.progress.relativeSpeedMetersPerSecond = relativeVelocity.length
        record.progress.closingSpeedMetersPerSecond = distance > 0 ? -offset.dot(relativeVelocity) / distance : 0
        let normal = s.position.cross(s.velocity)
        let along = normal.length > 0 ? normal.dot(s.position.cross(targetPosition)) / normal.length : 0
        record.progress.phaseAngleRadians = atan2(along, s.position.dot(targetPosition))
    }

    /// Hands a rendezvous to the terminal approach inside the terminal range, and back to phasing well
    /// outside it.
    private func switchRange(_ ship: ShipID, _ record: inout ManeuverRecord, world: World, events: inout [ManeuverEvent]) {
        guard case .rendezvous = record.goal, let distance = record.progress.distanceMeters else { return }
        let range = record.options.terminalRangeMeters
        let phase = record.progress.phase
        var next = phase
        if (phase == .matchOrbit || phase == .phasing) && distance < range { next = .approach }
        if phase == .approach && distance > 3 * range { next = .phasing }
        guard next != phase else { return }
        record.progress.phase = next
        events.append(event(ship, .phaseChanged(next), record.progress, at: world.elapsedSeconds))
    }
}

/// An abort reason carried through `Result`.
struct AbortError: Error {
    var reason: ManeuverAbortReason
    init(_ reason: ManeuverAbortReason) { self.reason = reason }
}

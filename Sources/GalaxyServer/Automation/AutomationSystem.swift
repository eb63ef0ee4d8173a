import CPhysicsKernels

/// Autopilot for every ship: maneuvers (transfer, orbit match, rendezvous) and per-ship rules. Owned by the
/// tick thread and not thread-safe. Call `step` once per tick before `World.step`; it applies each ship's
/// steering command for that tick and returns the maneuver events. It does no I/O.
public final class AutomationSystem {
    var maneuvers: [ShipID: ManeuverRecord] = [:]
    var rules: [ShipID: [ArmedRule]] = [:]
    /// Events from `cancel` and `playerSteered`, returned by the next `step`.
    var pendingEvents: [ManeuverEvent] = []
    /// Ships whose engines the next `step` turns off (cancelled maneuvers).
    var pendingStops: [ShipID] = []
    /// Game time (s) of the latest step, stamped on events raised between steps.
    var lastStepSeconds = 0.0
    let solver: QLawBatchSolver
    /// Kernel parameters with the Q-law's default weights and tuning; mu, target, thrust and periapsis
    /// minimum are filled in per ship and tick.
    let template: gk_qlaw_params

    /// `samples` is the effectivity grid: true longitudes per orbit at which Q-dot is sampled. Q-law ships
    /// are evaluated in chunks of `shipsPerChunk`, one chunk per thread at a time; results do not depend on
    /// the thread count.
    public init(effectivitySamples samples: Int = 64, shipsPerChunk: Int = 512) throws(QLawError) {
        solver = try QLawBatchSolver(samples: samples, chunkSize: shipsPerChunk)
        let defaults = QLawParameters(
            mu: 1, target: QLawTarget(semiMajorAxisMeters: 1, eccentricity: 0, inclination: 0),
            thrustAcceleration: 1, minimumPeriapsisMeters: 0.5)
        template = try defaults.kernelValue()
    }

    public var activeManeuverCount: Int { maneuvers.count }

    /// Progress of the ship's active maneuver, or nil when it has none.
    public func progress(of ship: ShipID) -> ManeuverProgress? { maneuvers[ship]?.progress }

    /// Starts a maneuver for `ship`, replacing its active one (which ends with a `replaced` cancel event).
    /// Steering starts at the next `step`.
    @discardableResult
    public func request(
        _ goal: ManeuverGoal, ship: ShipID, options: ManeuverOptions = ManeuverOptions(), world: World
    ) throws(ManeuverError) -> ManeuverProgress {
        let record = try makeRecord(goal, ship: ship, options: options, world: world)
        if let old = maneuvers[ship] {
            pendingEvents.append(event(ship, .cancelled(.replaced), old.progress, at: world.elapsedSeconds))
        }
        maneuvers[ship] = record
        return record.progress
    }

    /// Ends the ship's maneuver; the next `step` turns its engine and RCS off. Returns false if it had none.
    @discardableResult
    public func cancel(ship: ShipID) -> Bool {
        guard let record = maneuvers.removeValue(forKey: ship) else { return false }
        pendingEvents.append(event(ship, .cancelled(.requested), record.progress, at: lastStepSeconds))
        pendingStops.append(ship)
        return true
    }

    /// Ends the ship's maneuver because its player sent a steering command, which stays in force.
    public func playerSteered(ship: ShipID) {
        guard let record = maneuvers.removeValue(forKey: ship) else { return }
        pendingEvents.append(event(ship, .cancelled(.manualSteering), record.progress, at: lastStepSeconds))
    }

    /// Adds a rule to a ship; fuel conditions take the ship's current fuel as their reference.
    public func addRule(_ rule: AutomationRule, ship: ShipID, world: World) throws(ManeuverError) {
        guard let i = world.ships.index(of: ship) else { throw ManeuverError(shipID: ship, reason: "ship not found") }
        if let problem = rule.problem { throw ManeuverError(shipID: ship, reason: "invalid rule: \(problem)") }
        rules[ship, default: []].append(ArmedRule(rule: rule, referenceFuelKg: world.ships[.fuel][i]))
    }

    public func rules(of ship: ShipID) -> [AutomationRule] { rules[ship]?.map(\.rule) ?? [] }

    public func removeRules(ship: ShipID) { rules[ship] = nil }

    /// Evaluates every maneuver and rule for a tick of `seconds` and applies the resulting steering commands.
    /// Q-law ships are spread over `world.workerCount` threads. A tick length that is not finite and positive
    /// steers nothing; it only returns the queued events and stops the cancelled ships' engines.
    public func step(world: World, seconds: Double) -> [ManeuverEvent] {
        lastStepSeconds = world.elapsedSeconds
        var events = pendingEvents
        pendingEvents.removeAll()
        for ship in pendingStops { stopEngines(ship, world: world) }
        pendingStops.removeAll()
        guard seconds.isFinite, seconds > 0 else { return events }
        if !maneuvers.isEmpty { stepManeuvers(world: world, seconds: seconds, events: &events) }
        if !rules.isEmpty { evaluateRules(world: world, events: &events) }
        return events
    }

    func event(
        _ ship: ShipID, _ kind: ManeuverEvent.Kind, _ progress: ManeuverProgress, at seconds: Double
    ) -> ManeuverEvent {
        ManeuverEvent(shipID: ship, kind: kind, gameTimeSeconds: seconds, progress: progress)
    }

    /// Main engine and RCS off. A crashed or frozen ship rejects the command, and its engines are off anyway.
    func stopEngines(_ ship: ShipID, world: World) {
        try? world.apply(SteeringCommand(shipID: ship, throttle: 0, rcs: .zero))
    }

    /// Removes the maneuver, turns the engines off and records the final event.
    func finish(_ ship: ShipID, _ kind: ManeuverEvent.Kind, world: World, events: inout [ManeuverEvent]) {
        guard let record = maneuvers.removeValue(forKey: ship) else { return }
        var progress = record.progress
        progress.throttle = 0
        stopEngines(ship, world: world)
        events.append(event(ship, kind, progress, at: world.elapsedSeconds))
    }

    private func evaluateRules(world: World, events: inout [ManeuverEvent]) {
        var kindsByShip: [ShipID: [ManeuverEvent.Kind]] = [:]
        for e in events { kindsByShip[e.shipID, default: []].append(e.kind) }
        for ship in rules.keys.sorted() {
            guard let i = world.ships.index(of: ship) else {
                rules[ship] = nil
                continue
            }
            let fuel = world.ships[.fuel][i]
            let kinds = kindsByShip[ship] ?? []
            for r in rules[ship]!.indices {
                let isTrue = rules[ship]![r].conditionIsTrue(fuelKg: fuel, events: kinds)
                let rising = isTrue && !rules[ship]![r].conditionWasTrue
                rules[ship]![r].conditionWasTrue = isTrue
                if rising { fire(rules[ship]![r], ship: ship, world: world, events: &events) }
            }
        }
    }

    private func fire(_ rule: ArmedRule, ship: ShipID, world: World, events: inout [ManeuverEvent]) {
        if let record = maneuvers.removeValue(forKey: ship) {
            events.append(event(ship, .cancelled(.rule), record.progress, at: world.elapsedSeconds))
            stopEngines(ship, world: world)
        }
        // NOTE: a crashed or frozen ship rejects every command; the rule then does nothing.
        if let command = rule.command(for: ship) { try? world.apply(command) }
    }
}

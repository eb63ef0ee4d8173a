import Foundation

/// Carries out link commands on the engine (on the tick thread, through its command queue) and turns
/// each outcome into the reply sent to the client. The engine's own clients and the commands that
/// gateway replicas send over Redis both go through here, so both get the same replies.
enum EngineCommands {
    static func execute(_ command: LinkCommand, engine: TickEngine, reply: @escaping @Sendable (LinkReply) -> Void) {
        let engineCommand: EngineCommand
        switch command {
        case .client(.steer(let steering), _):
            engineCommand = .steer(steering, reply: { reply(steerReply($0)) })
        case .client(.maneuver(let ship, let goal), _):
            engineCommand = .maneuver(ship, goal, reply: { reply(maneuverReply($0)) })
        case .client(.cancelManeuver(let ship), _):
            engineCommand = .cancelManeuver(
                ship,
                reply: { cancelled in
                    reply(cancelled ? .ack : .failed(code: "not_found", message: "ship_id: ship \(ship) has no active maneuver"))
                })
        case .client(let other, _):
            return reply(.failed(code: "invalid_command", message: "\(other) is not an engine command"))
        case .provisionShip(let player, let username):
            engineCommand = .mutate { world in reply(provision(player: player, username: username, in: world)) }
        case .removeShips(let owner):
            engineCommand = .mutate { world in
                world.removeShips(ownedBy: owner)
                reply(.ack)
            }
        }
        do {
            try engine.enqueue(engineCommand)
        } catch {
            reply(.failed(code: "queue_full", message: "\(error)"))
        }
    }

    private static func steerReply(_ result: Result<Void, any Error>) -> LinkReply {
        switch result {
        case .success: .ack
        case .failure(let error as SteeringError): .failed(code: "invalid_field", message: "\(error.field): \(error.reason)")
        case .failure(let error as WorldError): .failed(code: "not_found", message: "\(error)")
        case .failure(let error): .failed(code: "rejected", message: "\(error)")
        }
    }

    private static func maneuverReply(_ result: Result<ManeuverProgress, any Error>) -> LinkReply {
        switch result {
        case .success(let progress):
            var writer = JSONWriter()
            ManeuverEncoder.progress(progress, &writer)
            return .ok(payload: writer.bytes)
        case .failure(let error as ManeuverError): return .failed(code: "rejected", message: error.reason)
        case .failure(let error): return .failed(code: "rejected", message: "\(error)")
        }
    }

    /// Finds or creates the player's ship; the payload is `{"id":…,"name":…}`. The check and the creation
    /// happen in one tick-thread step, so two gateways provisioning the same player make one ship.
    private static func provision(player: PlayerID, username: String, in world: World) -> LinkReply {
        do {
            let id: ShipID
            if let existing = world.ships(ownedBy: player).first {
                id = existing
            } else {
                id = try world.addShip(name: "\(username)-1", about: "Earth", elements: parkingOrbit(for: player), owner: player)
                // A new ship faces prograde, so a first burn raises the orbit without a slew.
                if let ship = world.ship(id), let earth = world.bodyIndex(named: "Earth") {
                    try world.point(id, along: ship.velocity - world.bodyState(earth).velocity)
                }
            }
            var writer = JSONWriter()
            writer.raw("{\"id\":")
            writer.number(id)
            writer.raw(",\"name\":")
            writer.string(world.ship(id)?.name ?? "\(username)-1")
            writer.raw("}")
            return .ok(payload: writer.bytes)
        } catch {
            return .failed(code: "rejected", message: "cannot create a ship: \(error)")
        }
    }

    /// Returns a 400 km circular parking orbit about Earth in the plane of Meridian Station (51.6° to
    /// the ICRF equator, node 0), 20 km below it, so a new ship's first rendezvous needs phasing and no
    /// plane change. The phase is spread by player id so that new ships do not start on top of each other.
    static func parkingOrbit(for player: PlayerID) -> OrbitalElements {
        let golden = 2.399963229728653  // golden angle, rad
        return OrbitalElements(
            semiMajorAxisMeters: 6_371_000 + 400_000, eccentricity: 0, inclination: 51.6 * .pi / 180,
            rightAscensionOfAscendingNode: 0, argumentOfPeriapsis: 0,
            trueAnomaly: (Double(player) * golden).truncatingRemainder(dividingBy: 2 * .pi))
    }
}

/// The link of the engine's own gateway, which calls the engine in process. Frames reach the gateway
/// as direct calls from the tick thread, so there is nothing to resynchronize.
final class LocalEngineLink: EngineLink {
    let engine: TickEngine

    init(engine: TickEngine) { self.engine = engine }

    var tickRateHz: Double { engine.configuration.tickRateHz }
    var localEngine: TickEngine? { engine }
    func onFrame(_ handler: @escaping @Sendable (WorldFrame) -> Void) { engine.onFrame(handler) }
    func onResync(_ handler: @escaping @Sendable () -> Void) {}
    func send(_ command: LinkCommand, reply: @escaping @Sendable (LinkReply) -> Void) {
        EngineCommands.execute(command, engine: engine, reply: reply)
    }
    func readiness() -> (ready: Bool, reason: String) { (true, "ready") }
    func start() {}
    func stop() {}
}

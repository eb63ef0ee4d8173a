import Foundation

extension GatewayServer {
    /// Returns the player's first ship, creating one in a parking orbit if they have none (a new player,
    /// or one whose ship is missing from the snapshot the world was restored from). Runs on the tick
    /// thread and waits up to 10 s for it.
    func provisionShip(for player: PlayerRecord) throws -> (id: ShipID, name: String) {
        let name = "\(player.username)-1"
        let result = Mutex<Result<(ShipID, String), any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        try engine.enqueue(
            .mutate { world in
                result.withLock { slot in
                    slot = Result {
                        if let existing = world.ships(ownedBy: player.id).first, let ship = world.ship(existing) {
                            return (existing, ship.name)
                        }
                        let id = try world.addShip(
                            name: name, about: "Earth", elements: GatewayServer.parkingOrbit(for: player.id), owner: player.id)
                        // A new ship faces prograde, so a first burn raises the orbit without a slew.
                        if let ship = world.ship(id), let earth = world.bodyIndex(named: "Earth") {
                            try world.point(id, along: ship.velocity - world.bodyState(earth).velocity)
                        }
                        return (id, name)
                    }
                }
                done.signal()
            })
        guard done.wait(timeout: .now() + 10) == .success, let outcome = result.withLock({ $0 }) else {
            throw APIError.unavailable("the engine did not create the ship within 10 s; log in again to retry")
        }
        let (id, shipName) = try outcome.get()
        waitUntilPublished(id, timeoutSeconds: 5)
        return (id, shipName)
    }

    /// Waits until the broadcast frame contains `ship`, so the API returns it as soon as registration
    /// returns (frames follow the tick by up to one broadcast).
    private func waitUntilPublished(_ ship: ShipID, timeoutSeconds: Double) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while latestFrame.withLock({ $0?.ship(ship) }) == nil && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
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

    /// A ship as the HTTP API returns it, with its elements about its primary body.
    func shipJSON(_ ship: ShipSnapshot) -> [String: Any] {
        var json: [String: Any] = [
            "id": ship.id, "name": ship.name, "kind": ship.kind.rawValue, "owner": ship.owner as Any,
            "primary": ship.primary, "position_m": array(ship.position), "velocity_m_s": array(ship.velocity),
            "attitude": [ship.attitude.x, ship.attitude.y, ship.attitude.z, ship.attitude.w],
            "angular_rate_rad_s": array(ship.angularRate), "mode": ship.mode.rawValue, "throttle": ship.throttle,
            "thrust_n": ship.thrustNewtons, "rcs": array(ship.rcs), "dry_mass_kg": ship.dryMassKg, "fuel_kg": ship.fuelKg,
            "condition": SimulationReport.conditionNames(ship.condition),
        ]
        if let elements = elementsJSON(ship) { json["elements"] = elements }
        if let progress = latestFrame.withLock({ $0?.frame.maneuvers[ship.id] }) {
            var writer = JSONWriter()
            ManeuverEncoder.progress(progress, &writer)
            json["maneuver"] = try? JSONSerialization.jsonObject(with: Data(writer.bytes))
        }
        return json
    }

    private func elementsJSON(_ ship: ShipSnapshot) -> [String: Any]? {
        guard let body = catalog.bodies.first(where: { $0.name == ship.primary }),
            let state = latestFrame.withLock({ index in index?.bodyIndex[ship.primary].map { index!.frame.bodies[$0] } }),
            let el = try? TwoBody.elements(mu: body.gmM3PerS2, position: ship.position - state.position, velocity: ship.velocity - state.velocity)
        else { return nil }
        let degrees = 180 / Double.pi
        return [
            "body": ship.primary, "a_m": el.semiMajorAxisMeters, "e": el.eccentricity, "i_deg": el.inclination * degrees,
            "raan_deg": el.rightAscensionOfAscendingNode * degrees, "argp_deg": el.argumentOfPeriapsis * degrees,
            "true_anomaly_deg": el.trueAnomaly * degrees, "period_s": el.periodSeconds.isFinite ? el.periodSeconds : NSNull(),
            "periapsis_m": el.periapsisMeters, "apoapsis_m": el.apoapsisMeters.isFinite ? el.apoapsisMeters : NSNull(),
        ]
    }

    private func array(_ v: SIMD3<Double>) -> [Double] { [v.x, v.y, v.z] }

    /// Reads a file under the web root; directory paths serve index.html and paths with ".." are rejected.
    func staticFile(_ path: String) throws -> HTTPResponse {
        guard !path.contains(".."), !path.contains("\0") else { throw APIError.notFound("no file \(path.prefix(80))") }
        var relative = path
        if relative.hasSuffix("/") { relative += "index.html" }
        let url = URL(fileURLWithPath: configuration.webRoot).appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw APIError.notFound("no file \(path.prefix(80))") }
        let types = [
            "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
            "json": "application/json", "png": "image/png", "svg": "image/svg+xml", "ico": "image/x-icon",
        ]
        return HTTPResponse(status: 200, contentType: types[url.pathExtension] ?? "application/octet-stream", body: Array(data))
    }
}

import Synchronization

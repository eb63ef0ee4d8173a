import Foundation

extension GatewayServer {
    /// Returns the player's first ship, creating one in a parking orbit if they have none (a new player,
    /// or one whose ship is missing from the snapshot the world was restored from). Waits up to 10 s for
    /// the engine, then until the ship is in a published frame.
    func provisionShip(for player: PlayerRecord) throws -> (id: ShipID, name: String) {
        let payload = try awaitLink(.provisionShip(player: player.id, username: player.username))
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
            let id = (object["id"] as? NSNumber).map({ ShipID($0.uint64Value) }), let name = object["name"] as? String
        else {
            throw APIError(status: 500, code: "internal_error", message: "the engine's reply to provision a ship was malformed")
        }
        waitUntilPublished(id, timeoutSeconds: 5)
        return (id, name)
    }

    /// Sends a command to the engine, waits up to `timeoutSeconds` for its reply and returns the payload
    /// of a success. A failure becomes an HTTP error, 503 when the engine cannot be reached.
    func awaitLink(_ command: LinkCommand, timeoutSeconds: Double = 10) throws -> [UInt8] {
        let outcome = Mutex<LinkReply?>(nil)
        let done = DispatchSemaphore(value: 0)
        link.send(command) { reply in
            outcome.withLock { $0 = reply }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeoutSeconds) == .success, let reply = outcome.withLock({ $0 }) else {
            throw APIError(status: 503, code: "engine_unavailable", message: "the engine did not reply within \(Int(timeoutSeconds)) s; retry")
        }
        switch reply {
        case .ok(let payload): return payload
        case .failed(let code, let message):
            let status = switch code {
            case "not_found": 404
            case "rejected", "invalid_field": 422
            case "queue_full", "engine_unavailable", "engine_timeout": 503
            default: 400
            }
            throw APIError(status: status, code: code, message: message)
        }
    }

    /// Waits until the broadcast frame contains `ship`, so the API returns it as soon as registration
    /// returns (frames follow the tick by up to one broadcast).
    private func waitUntilPublished(_ ship: ShipID, timeoutSeconds: Double) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while latestFrame.withLock({ $0?.ship(ship) }) == nil && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
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

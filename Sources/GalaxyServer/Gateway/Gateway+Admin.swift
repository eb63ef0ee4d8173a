import CSodium
import Foundation

/// The operators' API under /api/v1/admin, behind the bearer token from `--admin-token`.
extension GatewayServer {
    func routeAdmin(_ request: HTTPRequest, _ path: [String]) throws -> HTTPResponse {
        // A gateway replica has no engine to pause or inspect; operators use the engine's own address.
        guard let engine = link.localEngine else {
            throw APIError(
                status: 501, code: "not_served_here", message: "the admin API is served by the engine process (galaxy serve), not by gateways")
        }
        try requireAdmin(request)
        switch (request.method, path.joined(separator: "/")) {
        case ("GET", "status"):
            return .json(200, adminStatus(engine))
        case ("POST", "pause"):
            try engine.pause()
            logger.info("admin paused the simulation", [("remote", request.remoteAddress)])
            return .empty(204)
        case ("POST", "resume"):
            try engine.resume()
            logger.info("admin resumed the simulation", [("remote", request.remoteAddress)])
            return .empty(204)
        case ("POST", "warp"):
            guard case .number(let warp)? = try jsonObject(request)["warp"] else {
                throw APIError.invalid("warp: missing or not a number")
            }
            do {
                try engine.setWarp(warp)
            } catch {
                throw APIError.invalid("warp: \(error)")
            }
            logger.info("admin set time warp", [("warp", warp), ("remote", request.remoteAddress)])
            return .empty(204)
        case ("POST", "kick"):
            return try kick(try jsonObject(request), remote: request.remoteAddress)
        case ("GET", "players"):
            return .json(200, ["players": onlinePlayers(matching: request.queryValue("search"))])
        case ("GET", let route) where route.hasPrefix("ships/") && path.count == 2:
            guard let id = ShipID(path[1]) else {
                throw APIError.invalid("ship id: expected a positive integer, got '\(path[1].prefix(40))'")
            }
            guard let ship = latestFrame.withLock({ $0?.ship(id) }) else { throw APIError.notFound("ship \(id) not found") }
            return .json(200, shipJSON(ship))
        case (_, "status"), (_, "pause"), (_, "resume"), (_, "warp"), (_, "kick"), (_, "players"):
            throw APIError(status: 405, code: "method_not_allowed", message: "\(request.method) is not allowed on /api/v1/admin/\(path.joined(separator: "/"))")
        default:
            throw APIError.notFound("no admin endpoint \(request.method) /api/v1/admin/\(path.joined(separator: "/"))")
        }
    }

    /// Compares the bearer token with the configured one in constant time.
    private func requireAdmin(_ request: HTTPRequest) throws {
        guard let expected = configuration.adminToken, !expected.isEmpty else {
            throw APIError.forbidden("the admin API is disabled; start the server with --admin-token")
        }
        let prefix = "Bearer "
        let presented = request.authorization.hasPrefix(prefix) ? String(request.authorization.dropFirst(prefix.count)) : ""
        let a = Array(expected.utf8), b = Array(presented.utf8)
        guard a.count == b.count, sodium_memcmp(a, b, a.count) == 0 else {
            logger.warning("admin request with a wrong token", [("remote", request.remoteAddress), ("path", request.path)])
            throw APIError(status: 401, code: "unauthorized", message: "missing or wrong admin token")
        }
    }

    /// Parses the body as a JSON object, strictly, so that `true` is never taken for the number 1.
    private func jsonObject(_ request: HTTPRequest) throws -> [String: JSONValue] {
        guard case .object(let object)? = request.body.withUnsafeBytes({ JSONValue.parse($0) }) else {
            throw APIError(status: 400, code: "invalid_json", message: "request body must be a JSON object")
        }
        return object
    }

    private func adminStatus(_ engine: TickEngine) -> [String: Any] {
        let s = engine.status
        let stats = transportStats()
        let ships = latestFrame.withLock { $0?.frame.ships.count } ?? 0
        return [
            "tick": s.tick, "game_time_s": s.gameTimeSeconds, "paused": s.paused, "requested_warp": s.requestedWarp,
            "effective_warp": s.effectiveWarp, "degraded": s.degraded, "ticks_behind": s.ticksBehind, "overruns": s.overruns,
            "skipped_ticks": s.skippedTicks, "last_tick_ms": s.lastTickSeconds * 1000, "actual_rate_hz": s.actualRateHz,
            "connections": stats.connections_active, "ships": ships,
            "broadcast_ms": broadcaster.stats.withLock { $0.lastDurationSeconds } * 1000,
            "broadcast_bytes": broadcaster.stats.withLock { $0.lastBytes },
        ]
    }

    /// Players with an open WebSocket, optionally filtered by a username substring, with their ships.
    private func onlinePlayers(matching search: String?) -> [[String: Any]] {
        let needle = search?.lowercased() ?? ""
        let online = sessions.withLock { all in Dictionary(grouping: all.values, by: { $0.player.id }) }
        return online.values.compactMap { group -> [String: Any]? in
            let player = group[0].player
            guard needle.isEmpty || player.username.lowercased().contains(needle) else { return nil }
            let ships = latestFrame.withLock { index in (index?.shipsByOwner[player.id] ?? []).map { index!.frame.ships[$0].id } }
            return ["id": player.id, "username": player.username, "connections": group.count, "ships": ships]
        }.sorted { ($0["id"] as? Int64 ?? 0) < ($1["id"] as? Int64 ?? 0) }
    }

    /// Closes every WebSocket of a player with 1008; their tokens stay valid.
    private func kick(_ body: [String: JSONValue], remote: String) throws -> HTTPResponse {
        guard case .number(let number)? = body["player_id"], number == number.rounded(), number > 0, number < 9e15 else {
            throw APIError.invalid("player_id: missing or not a positive integer")
        }
        let player = PlayerID(number)
        let connections = sessions.withLock { all in all.values.filter { $0.player.id == player }.map(\.connectionID) }
        guard !connections.isEmpty else { throw APIError.notFound("player \(player) has no open connection") }
        for connection in connections { close(connection, code: 1008, reason: "disconnected by an operator") }
        logger.info("admin kicked a player", [("player", player), ("connections", connections.count), ("remote", remote)])
        return .json(200, ["player_id": player, "closed_connections": connections.count])
    }
}

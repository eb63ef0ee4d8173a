import Foundation

extension GatewayServer {
    /// Handles a request from a transport thread by routing it on the worker queue.
    func handleHTTP(_ request: HTTPRequest) {
        requestQueue.async { [self] in
            let response: HTTPResponse
            do {
                response = try route(request)
            } catch let error as APIError {
                response = .error(error)
            } catch {
                logger.error("request failed", [("path", request.path), ("error", "\(error)")])
                response = .error(APIError(status: 500, code: "internal_error", message: "\(error)"))
            }
            respond(request.id, response)
        }
    }

    func route(_ request: HTTPRequest) throws -> HTTPResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        switch (request.method, segments.joined(separator: "/")) {
        case ("GET", "healthz"):
            return .text(200, "ok\n")
        case ("GET", "readyz"):
            let state = readiness()
            return .text(state.ready ? 200 : 503, state.reason + "\n")
        case ("GET", "metrics"):
            return .text(200, metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case _ where segments.count >= 3 && segments[0] == "api" && segments[1] == "v1" && segments[2] == "admin":
            return try routeAdmin(request, Array(segments.dropFirst(3)))
        case _ where segments.count >= 3 && segments[0] == "api" && segments[1] == "v1":
            return try routeAPI(request, Array(segments.dropFirst(2)))
        case ("GET", _):
            return try staticFile(request.path)
        default:
            throw APIError(status: 405, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path)")
        }
    }

    private func routeAPI(_ request: HTTPRequest, _ path: [String]) throws -> HTTPResponse {
        var route = path.joined(separator: "/")
        if path.count == 2 && path[0] == "ships" { route = "ships/{id}" }
        if path.count == 3 && path[0] == "ships" && path[2] == "maneuver" { route = "ships/{id}/maneuver" }
        switch (request.method, route) {
        case ("POST", "register"): return try register(request)
        case ("POST", "login"): return try login(request)
        case ("POST", "logout"):
            let (_, token) = try accounts.authenticate(header: request.authorization)
            try accounts.logout(token: token)
            return .empty(204)
        case ("GET", "me"):
            let (player, _) = try accounts.authenticate(header: request.authorization)
            let shipIDs = latestFrame.withLock { index in
                (index?.shipsByOwner[player.id] ?? []).map { index!.frame.ships[$0].id }
            }
            return .json(200, ["player": playerJSON(player), "ships": shipIDs])
        case ("DELETE", "me"): return try deleteAccount(request)
        case ("GET", "ships"):
            let (player, _) = try accounts.authenticate(header: request.authorization)
            let ships = latestFrame.withLock { index in
                (index?.shipsByOwner[player.id] ?? []).map { index!.frame.ships[$0] }
            }
            return .json(200, ["ships": ships.map(shipJSON)])
        case ("GET", "ships/{id}"):
            let (player, _) = try accounts.authenticate(header: request.authorization)
            let idText = path[1]
            guard let id = ShipID(idText) else { throw APIError.invalid("ship id: expected a positive integer, got '\(idText.prefix(40))'") }
            guard let ship = latestFrame.withLock({ $0?.ship(id) }) else { throw APIError.notFound("ship \(id) not found") }
            guard ship.owner == player.id else { throw APIError.forbidden("ship \(id) belongs to another player") }
            return .json(200, shipJSON(ship))
        case ("POST", "ships/{id}/maneuver"), ("DELETE", "ships/{id}/maneuver"):
            return try maneuverRequest(request, shipText: path[1])
        case (_, "register"), (_, "login"), (_, "logout"), (_, "me"), (_, "ships"), (_, "ships/{id}"),
            (_, "ships/{id}/maneuver"):
            throw APIError(
                status: 405, code: "method_not_allowed", message: "\(request.method) is not allowed on /api/v1/\(route)")
        default:
            throw APIError.notFound("no API endpoint \(request.method) /api/v1/\(path.joined(separator: "/"))")
        }
    }

    private func credentials(_ request: HTTPRequest) throws -> (String, String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            throw APIError(status: 400, code: "invalid_json", message: "request body must be a JSON object")
        }
        return try Accounts.validate(username: object["username"], password: object["password"])
    }

    private func register(_ request: HTTPRequest) throws -> HTTPResponse {
        let (username, password) = try credentials(request)
        let (player, token, expiresAt) = try accounts.register(username: username, password: password)
        let ship = try provisionShip(for: player)
        return .json(
            201,
            [
                "player": playerJSON(player), "ship": ["id": ship.id, "name": ship.name], "token": token,
                "expires_at": Int(expiresAt.timeIntervalSince1970),
            ])
    }

    private func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let (username, password) = try credentials(request)
        let (player, token, expiresAt) = try accounts.login(username: username, password: password)
        _ = try provisionShip(for: player)
        return .json(200, ["player": playerJSON(player), "token": token, "expires_at": Int(expiresAt.timeIntervalSince1970)])
    }

    private func deleteAccount(_ request: HTTPRequest) throws -> HTTPResponse {
        let (player, _) = try accounts.authenticate(header: request.authorization)
        try accounts.delete(player: player)
        link.send(.removeShips(owner: player.id)) { _ in }
        let connections = sessions.withLock { all in all.values.filter { $0.player.id == player.id }.map(\.connectionID) }
        for connection in connections { close(connection, code: 1008, reason: "account deleted") }
        return .empty(204)
    }

    func playerJSON(_ player: PlayerRecord) -> [String: Any] { ["id": player.id, "username": player.username] }
}

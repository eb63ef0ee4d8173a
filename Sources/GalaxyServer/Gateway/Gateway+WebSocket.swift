import CGateway
import Foundation

extension GatewayServer {
    static let defaultViewRadiusMeters = 1_000_000.0

    /// Upgrade filter on a transport thread: 0 accepts, an HTTP status refuses.
    func handleOpen(_ connection: UInt64, path: String, query: String, remote: String) -> Int32 {
        guard path == "/ws" else { return 404 }
        let (arguments, repeated) = GatewayServer.queryArguments(query)
        guard let token = arguments["token"], !token.isEmpty else { return 401 }
        // An unknown or repeated encoding is rejected rather than ignored, so a client never misreads its frames.
        guard !repeated.contains("encoding"),
            let encoding = StateEncoding(rawValue: arguments["encoding"] ?? StateEncoding.json.rawValue)
        else { return 400 }
        let tokenHash = Credentials.tokenHash(token)
        let player: PlayerRecord
        switch accounts.upgradeVerdict(tokenHash: tokenHash) {
        case .player(let found): player = found
        case .unknown: return 401
        case .unavailable:
            logger.warning("store unreachable; rejecting WebSocket", [("connection", connection)])
            return 503
        case nil:
            // No lookup has run for this token, so start one and let the client retry: the store is
            // never queried on a transport thread.
            lookUpToken(tokenHash, then: {})
            return Int32(GW_UPGRADE_RETRY)
        }
        var session = ClientSession(connectionID: connection, player: player)
        session.encoding = encoding
        session.tokenHash = tokenHash
        let index = latestFrame.withLock { $0 }
        if let first = index?.shipsByOwner[player.id]?.first.map({ index!.frame.ships[$0].id }) {
            session.view = ViewRequest(focus: .ship(first), radiusMeters: GatewayServer.defaultViewRadiusMeters)
        }
        // The welcome is queued before the session joins the broadcast, so no state frame can precede it.
        send(connection, welcome(session, index: index))
        sessions.withLock { $0[connection] = session }
        logger.debug("client connected", [("connection", connection), ("player", player.id), ("remote", remote)])
        return 0
    }

    /// Handles a new connection whose request line is `GET /ws?QUERY`: looks its token up on the token
    /// queue, then lets the transport hand the connection to a service thread, where `handleOpen` finds
    /// the result in memory (Accounts+Upgrade.swift).
    func handleGreeting(_ ticket: UInt64, query: String) {
        guard let server = transport else { return }
        let box = TransportBox(server: server)
        guard let token = GatewayServer.queryArguments(query).arguments["token"], !token.isEmpty else {
            return gw_greeting_done(box.server, ticket)
        }
        lookUpToken(Credentials.tokenHash(token)) { gw_greeting_done(box.server, ticket) }
    }

    /// Queues a store lookup of a token and then runs `then`, at once when the gateway has stopped or
    /// `maxPendingTokenLookups` lookups are already waiting.
    func lookUpToken(_ tokenHash: Data, then: @escaping @Sendable () -> Void) {
        let pending = pendingTokenLookups.add(1, ordering: .relaxed).newValue
        guard pending <= GatewayServer.maxPendingTokenLookups, !stopped.load(ordering: .acquiring) else {
            pendingTokenLookups.subtract(1, ordering: .relaxed)
            return then()
        }
        // Captures self, so that the transport outlives every queued lookup that calls back into it.
        tokenQueue.async { [self] in
            if !stopped.load(ordering: .acquiring) { accounts.prefetch(tokenHash: tokenHash) }
            pendingTokenLookups.subtract(1, ordering: .relaxed)
            then()
        }
    }

    /// Decodes `name=value` pairs separated by '&'; a name without '=' has the empty value. The first of
    /// a repeated name wins, and `repeated` lists the names given more than once.
    static func queryArguments(_ query: String) -> (arguments: [String: String], repeated: Set<String>) {
        var arguments: [String: String] = [:]
        var repeated: Set<String> = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).removingPercentEncoding,
                let value = parts.count == 2 ? String(parts[1]).removingPercentEncoding : ""
            else { continue }
            guard arguments[name] == nil else {
                repeated.insert(name)
                continue
            }
            arguments[name] = value
        }
        return (arguments, repeated)
    }

    func handleClosed(_ connection: UInt64) {
        let session = sessions.withLock { $0.removeValue(forKey: connection) }
        if let session { logger.debug("client disconnected", [("connection", connection), ("player", session.player.id)]) }
    }

    /// Takes a complete client message on a transport thread and hands it to the message queue, so
    /// that JSON parsing never holds up sending. Applies the per-client rate limit here, and a bound on
    /// the queue, so a flood cannot grow memory.
    func receiveMessage(_ connection: UInt64, _ bytes: UnsafeRawBufferPointer, binary: Bool) {
        let admitted = sessions.withLock { $0[connection]?.admitMessage() }
        guard let admitted else { return }
        guard queuedMessages.add(1, ordering: .relaxed).newValue <= GatewayServer.maxQueuedMessages else {
            queuedMessages.subtract(1, ordering: .relaxed)
            return send(connection, StateEncoder.error(seq: nil, code: "rate_limited", message: "the server is busy; slow down"))
        }
        let copy = Array(bytes)
        messageQueue.async { [self] in
            queuedMessages.subtract(1, ordering: .relaxed)
            copy.withUnsafeBytes { handleMessage(connection, $0, binary: binary, admitted: admitted) }
        }
    }

    /// Handles a complete client message on the message queue: validates it and queues steering to the engine.
    func handleMessage(_ connection: UInt64, _ bytes: UnsafeRawBufferPointer, binary: Bool, admitted: Bool) {
        guard let session = sessions.withLock({ $0[connection] }) else { return }
        guard !binary else {
            return send(connection, StateEncoder.error(seq: nil, code: "binary_not_supported", message: "binary frames are not accepted; send JSON text"))
        }
        let json: JSONValue
        do throws(JSONSyntaxError) {
            json = try JSONParser.parse(bytes)
        } catch {
            return send(connection, StateEncoder.error(seq: nil, code: "invalid_json", message: "message is not valid JSON: \(error)"))
        }
        let seq = ClientMessageParser.sequence(of: json)
        guard admitted else {
            return send(
                connection,
                StateEncoder.error(seq: seq, code: "rate_limited", message: "more than \(Int(ClientSession.messagesPerSecond)) messages per second; slow down"))
        }
        do throws(ProtocolError) {
            let (seq, message) = try ClientMessageParser.parse(json)
            switch message {
            case .ping: send(connection, StateEncoder.pong(seq: seq))
            case .view(let view): try setView(view, connection: connection, seq: seq)
            case .steer(let command): try forward(message, json: json, ship: command.shipID, session: session, seq: seq)
            case .maneuver(let ship, _), .cancelManeuver(let ship):
                try forward(message, json: json, ship: ship, session: session, seq: seq)
            }
        } catch {
            send(connection, StateEncoder.error(seq: seq, code: error.code, message: error.message))
        }
    }

    private func setView(_ view: ViewRequest, connection: UInt64, seq: Int64) throws(ProtocolError) {
        switch view.focus {
        case .body(let name):
            guard catalog.bodies.contains(where: { $0.name == name }) else {
                throw ProtocolError(code: "not_found", message: "focus.body: body '\(name.prefix(40))' not found")
            }
        case .ship(let id):
            guard latestFrame.withLock({ $0?.ship(id) }) != nil else {
                throw ProtocolError(code: "not_found", message: "focus.ship: ship \(id) not found")
            }
        }
        // NOTE: a broadcast that copied the sessions before this line still encodes the old view, so
        // one frame with it can follow the ack, as docs/protocol.md documents.
        sessions.withLock { $0[connection]?.view = view }
        send(connection, StateEncoder.ack(seq: seq))
    }

    /// Rejects a ship that is unknown or belongs to someone else, as of the latest frame.
    func requireOwnership(_ shipID: ShipID, player: PlayerID) throws(ProtocolError) {
        guard let ship = latestFrame.withLock({ $0?.ship(shipID) }) else {
            throw ProtocolError(code: "not_found", message: "ship_id: ship \(shipID) not found")
        }
        guard ship.owner == player else {
            throw ProtocolError(code: "forbidden", message: "ship_id: ship \(shipID) belongs to another player")
        }
    }

    /// Sends a command for one of the player's ships to the engine; the reply becomes the ack or error.
    private func forward(_ message: ClientMessage, json: JSONValue, ship: ShipID, session: ClientSession, seq: Int64) throws(ProtocolError) {
        try requireOwnership(ship, player: session.player.id)
        let connection = session.connectionID
        link.send(.client(message, json: json)) { [weak self] reply in
            switch reply {
            case .ok: self?.send(connection, StateEncoder.ack(seq: seq))
            case .failed(let code, let text): self?.send(connection, StateEncoder.error(seq: seq, code: code, message: text))
            }
        }
    }

    private func welcome(_ session: ClientSession, index: FrameIndex?) -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.raw("{\"type\":\"welcome\",\"player\":{\"id\":")
        w.number(session.player.id)
        w.raw(",\"username\":")
        w.string(session.player.username)
        w.raw("},\"ships\":[")
        let ships = (index?.shipsByOwner[session.player.id] ?? []).map { index!.frame.ships[$0].id }
        w.raw(ships.map(String.init).joined(separator: ","))
        w.raw("],\"bodies\":[")
        for (k, body) in catalog.bodies.enumerated() {
            if k > 0 { w.raw(",") }
            w.raw("{\"name\":")
            w.string(body.name)
            w.raw(",\"parent\":")
            w.optionalString(body.parent)
            w.raw(",\"gm_m3_s2\":")
            w.number(body.gmM3PerS2)
            w.raw(",\"radius_m\":")
            w.number(body.radiusMeters)
            w.raw("}")
        }
        w.raw("],\"tick_rate_hz\":")
        w.number(link.tickRateHz)
        w.raw(",\"tick\":")
        w.number(index?.frame.tick ?? 0)
        w.raw(",\"time_s\":")
        w.number(index?.frame.gameTimeSeconds ?? 0)
        w.raw(",\"epoch\":{\"iso_tdb\":")
        w.string(catalog.epoch.isoTDB)
        w.raw(",\"jd_tdb\":")
        w.number(catalog.epoch.julianDateTDB)
        w.raw("},\"view\":")
        if let view = session.view, case .ship(let id) = view.focus {
            w.raw("{\"focus\":{\"ship\":\(id)},\"radius_m\":")
            w.number(view.radiusMeters)
            w.raw("}")
        } else {
            w.raw("null")
        }
        w.raw("}")
        return w.bytes
    }
}

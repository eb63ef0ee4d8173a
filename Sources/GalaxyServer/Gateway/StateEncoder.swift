/// Writes the server-to-client messages of docs/protocol.md.
enum StateEncoder {
    /// Returns the frame indices of the ships visible to a client: its own, then others inside its view.
    static func visibleShips(_ index: FrameIndex, for session: ClientSession) -> [Int] {
        var visible: [Int] = index.shipsByOwner[session.player.id] ?? []
        if let view = session.view, let center = index.position(of: view.focus) {
            let r2 = view.radiusMeters * view.radiusMeters
            for (i, ship) in index.frame.ships.enumerated() where ship.owner != session.player.id {
                let d = ship.position - center
                if (d * d).sum() <= r2 { visible.append(i) }
            }
        }
        return visible
    }

    /// Encodes the state message for one client: its own ships in full, the other `visible` ships from
    /// `fragments`, bodies, and the ships that left its view. Updates the session's delta bookkeeping.
    static func state(
        _ index: FrameIndex, visible: [Int], fragments: ShipFragments, for session: inout ClientSession, forceFull: Bool
    ) -> [UInt8] {
        let frame = index.frame
        let full = forceFull || session.framesSinceFull >= ClientSession.fullFrameInterval
        var writer = JSONWriter(capacity: 512 + index.encodedBodies.count + visible.count * 300)
        writer.raw("{\"type\":\"state\",\"tick\":")
        writer.number(frame.tick)
        writer.member("server_time_ms", index.publishedAtMilliseconds)
        writer.member("time_s", frame.gameTimeSeconds)
        writer.member("warp", frame.status.effectiveWarp)
        writer.raw(",\"paused\":\(frame.status.paused),\"degraded\":\(frame.status.degraded),\"full\":\(full),\"bodies\":")
        writer.raw(index.encodedBodies)
        writer.raw(",\"ships\":[")
        var nowKnown = Set<ShipID>()
        nowKnown.reserveCapacity(visible.count)
        for (k, i) in visible.enumerated() {
            let ship = frame.ships[i]
            if k > 0 { writer.raw(",") }
            let isNew = full || !session.knownShips.contains(ship.id)
            if ship.owner == session.player.id {
                ownShip(ship, &writer, includeStatic: isNew, maneuver: frame.maneuvers[ship.id])
            } else {
                writer.raw(isNew ? fragments.withStatic[i] : fragments.dynamic[i])
            }
            nowKnown.insert(ship.id)
        }
        writer.raw("],\"removed\":[")
        var first = true
        for id in session.knownShips where !nowKnown.contains(id) {
            if !first { writer.raw(",") }
            writer.number(id)
            first = false
        }
        writer.raw("]}")
        session.knownShips = nowKnown
        session.framesSinceFull = full ? 1 : session.framesSinceFull + 1
        return writer.bytes
    }

    private static func common(_ ship: ShipSnapshot, _ w: inout JSONWriter, includeStatic: Bool) {
        w.raw("{\"id\":")
        w.number(ship.id)
        if includeStatic {
            w.member("name", ship.name)
            w.member("kind", ship.kind.rawValue)
            w.raw(",\"owner\":")
            if let owner = ship.owner { w.number(owner) } else { w.raw("null") }
        }
        w.member("p", ship.position)
        w.member("v", ship.velocity)
        w.raw(",\"q\":")
        w.numbers(ship.attitude.x, ship.attitude.y, ship.attitude.z, ship.attitude.w)
    }

    /// Encodes a ship as clients other than its owner see it.
    static func publicShip(_ ship: ShipSnapshot, includeStatic: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        common(ship, &w, includeStatic: includeStatic)
        w.raw("}")
        return w.bytes
    }

    private static func ownShip(_ ship: ShipSnapshot, _ w: inout JSONWriter, includeStatic: Bool, maneuver: ManeuverProgress?) {
        common(ship, &w, includeStatic: includeStatic)
        w.member("w", ship.angularRate)
        w.member("mode", ship.mode.rawValue)
        w.member("throttle", ship.throttle)
        w.member("thrust_n", ship.thrustNewtons)
        w.member("rcs", ship.rcs)
        w.member("fuel_kg", ship.fuelKg)
        w.member("dry_mass_kg", ship.dryMassKg)
        w.member("primary", ship.primary)
        w.raw(",\"condition\":[")
        w.raw(SimulationReport.conditionNames(ship.condition).map { "\"\($0)\"" }.joined(separator: ","))
        w.raw("],\"maneuver\":")
        if let maneuver { ManeuverEncoder.progress(maneuver, &w) } else { w.raw("null") }
        w.raw("}")
    }

    static func event(_ event: ShipEvent) -> [UInt8] {
        var w = JSONWriter(capacity: 160)
        w.raw("{\"type\":\"event\",\"event\":")
        w.string(event.kind.rawValue)
        w.member("ship_id", event.shipID)
        w.member("tick", event.tick)
        w.member("time_s", event.gameTimeSeconds)
        w.raw(",\"body\":")
        w.optionalString(event.body)
        w.raw("}")
        return w.bytes
    }

    static func ack(seq: Int64) -> [UInt8] { Array("{\"type\":\"ack\",\"seq\":\(seq)}".utf8) }
    static func pong(seq: Int64) -> [UInt8] { Array("{\"type\":\"pong\",\"seq\":\(seq)}".utf8) }

    static func error(seq: Int64?, code: String, message: String) -> [UInt8] {
        var w = JSONWriter(capacity: 96 + message.utf8.count)
        w.raw("{\"type\":\"error\",\"seq\":")
        if let seq { w.number(seq) } else { w.raw("null") }
        w.member("code", code)
        w.member("message", message)
        w.raw("}")
        return w.bytes
    }
}

/// Reads a maneuver request (the `maneuver` WebSocket message and the body of
/// `POST /api/v1/ships/{id}/maneuver`):
///
/// - `{"kind": "transfer", "body": "Earth", "target": {"a_m": 8e6, "e": 0, "i_deg": 10, "raan_deg": 0, "argp_deg": 0}}`
/// - `{"kind": "match_orbit", "target_ship": 7}`
/// - `{"kind": "rendezvous", "target_ship": 7, "standoff_m": 100, "relative_speed_m_s": 0.1}`
enum ManeuverRequestParser {
    private static let fieldsByKind: [String: Set<String>] = [
        "transfer": ["body", "target"], "match_orbit": ["target_ship"],
        "rendezvous": ["target_ship", "standoff_m", "relative_speed_m_s"],
    ]
    private static let envelope: Set<String> = ["type", "seq", "ship_id", "kind"]

    static func parse(_ fields: [String: JSONValue], shipID known: ShipID? = nil) throws(ProtocolError) -> (ShipID, ManeuverGoal) {
        let ship: ShipID
        if let known {
            ship = known
        } else {
            guard let shipValue = fields["ship_id"] else { throw .missing("ship_id") }
            ship = ShipID(try ClientMessageParser.positiveInteger(shipValue, field: "ship_id"))
        }
        guard let kindValue = fields["kind"] else { throw .missing("kind") }
        guard case .string(let kind) = kindValue, let allowed = fieldsByKind[kind] else {
            throw .field("kind", "expected transfer, match_orbit or rendezvous")
        }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) && !envelope.contains($0) }) {
            throw .field(unknown, "unknown field for a \(kind) maneuver")
        }
        switch kind {
        case "transfer": return (ship, try transfer(fields))
        case "match_orbit": return (ship, .matchOrbit(target: try targetShip(fields)))
        default: return (ship, try rendezvous(fields))
        }
    }

    private static func transfer(_ fields: [String: JSONValue]) throws(ProtocolError) -> ManeuverGoal {
        guard let bodyValue = fields["body"] else { throw .missing("body") }
        guard case .string(let body) = bodyValue else { throw .field("body", "expected a string, got \(bodyValue.typeName)") }
        guard case .object(let target)? = fields["target"] else { throw .missing("target") }
        func value(_ name: String, required: Bool = true) throws(ProtocolError) -> Double? {
            guard let raw = target[name] else {
                if required { throw .missing("target.\(name)") }
                return nil
            }
            return try ClientMessageParser.number(raw, field: "target.\(name)")
        }
        let a = try value("a_m")!
        let e = try value("e")!
        let i = try value("i_deg")!
        guard a > 0 else { throw .field("target.a_m", "must be > 0 m, got \(a)") }
        guard e >= 0, e < 1 else { throw .field("target.e", "must be within [0, 1), got \(e)") }
        guard (0...180).contains(i) else { throw .field("target.i_deg", "must be within [0, 180] degrees, got \(i)") }
        let degrees = Double.pi / 180
        let goal = QLawTarget(
            semiMajorAxisMeters: a, eccentricity: e, inclination: i * degrees,
            rightAscensionOfAscendingNode: (try value("raan_deg", required: false) ?? 0) * degrees,
            argumentOfPeriapsis: (try value("argp_deg", required: false) ?? 0) * degrees)
        return .transfer(body: body, target: goal)
    }

    private static func targetShip(_ fields: [String: JSONValue]) throws(ProtocolError) -> ShipID {
        guard let value = fields["target_ship"] else { throw .missing("target_ship") }
        return ShipID(try ClientMessageParser.positiveInteger(value, field: "target_ship"))
    }

    private static func rendezvous(_ fields: [String: JSONValue]) throws(ProtocolError) -> ManeuverGoal {
        let target = try targetShip(fields)
        var standoff = 100.0
        var speed = 0.1
        if let raw = fields["standoff_m"] {
            standoff = try ClientMessageParser.number(raw, field: "standoff_m")
            guard standoff > 0, standoff <= 100_000 else { throw .field("standoff_m", "must be within (0, 100000] m, got \(standoff)") }
        }
        if let raw = fields["relative_speed_m_s"] {
            speed = try ClientMessageParser.number(raw, field: "relative_speed_m_s")
            guard speed > 0, speed <= 10 else { throw .field("relative_speed_m_s", "must be within (0, 10] m/s, got \(speed)") }
        }
        return .rendezvous(target: target, standoffMeters: standoff, relativeSpeedMetersPerSecond: speed)
    }
}

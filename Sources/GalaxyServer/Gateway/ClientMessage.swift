/// A message from a WebSocket client, validated.
enum ClientMessage: Equatable {
    case steer(SteeringCommand)
    case view(ViewRequest)
    case maneuver(ShipID, ManeuverGoal)
    case cancelManeuver(ShipID)
    case ping
}

/// A client's view besides its own ships: everything within `radiusMeters` of a focus.
struct ViewRequest: Equatable, Sendable {
    enum Focus: Equatable, Sendable {
        case body(String)
        case ship(ShipID)
    }

    var focus: Focus
    var radiusMeters: Double

    static let maximumRadiusMeters = 1e13
}

/// A rejected message: the protocol error code, the field and what was wrong.
struct ProtocolError: Error, Equatable {
    var code: String
    var message: String

    static func field(_ name: String, _ reason: String) -> ProtocolError {
        ProtocolError(code: "invalid_field", message: "\(name): \(reason)")
    }
    static func missing(_ name: String) -> ProtocolError {
        ProtocolError(code: "missing_field", message: "\(name): required")
    }
}

/// Reads the client protocol of docs/protocol.md from parsed JSON.
struct ClientMessageParser {
    private static let steerFields: Set<String> = [
        "type", "seq", "ship_id", "attitude_mode", "direction", "target", "hold_attitude", "rotation_rate", "throttle", "rcs",
    ]

    /// Returns the `seq` of a message if it is a well-formed integer, for echoing in errors.
    static func sequence(of value: JSONValue) -> Int64? {
        guard case .object(let fields) = value, case .number(let n)? = fields["seq"], n == n.rounded(), abs(n) < 9e15 else {
            return nil
        }
        return Int64(n)
    }

    static func parse(_ value: JSONValue) throws(ProtocolError) -> (seq: Int64, message: ClientMessage) {
        guard case .object(let fields) = value else {
            throw ProtocolError(code: "invalid_json", message: "message must be a JSON object, got \(value.typeName)")
        }
        guard let typeValue = fields["type"] else { throw .missing("type") }
        guard case .string(let type) = typeValue else { throw .field("type", "expected a string, got \(typeValue.typeName)") }
        guard let seqValue = fields["seq"] else { throw .missing("seq") }
        let seq = try integer(seqValue, field: "seq")
        switch type {
        case "steer": return (seq, .steer(try steering(fields)))
        case "view": return (seq, .view(try view(fields)))
        case "maneuver":
            let (ship, goal) = try ManeuverRequestParser.parse(fields)
            return (seq, .maneuver(ship, goal))
        case "cancel_maneuver":
            guard let shipValue = fields["ship_id"] else { throw .missing("ship_id") }
            return (seq, .cancelManeuver(ShipID(try positiveInteger(shipValue, field: "ship_id"))))
        case "ping": return (seq, .ping)
        default:
            throw ProtocolError(
                code: "unknown_type",
                message: "type: unknown message type '\(type.prefix(40))'; expected steer, view, maneuver, cancel_maneuver or ping")
        }
    }

    private static func steering(_ fields: [String: JSONValue]) throws(ProtocolError) -> SteeringCommand {
        if let unknown = fields.keys.sorted().first(where: { !steerFields.contains($0) }) {
            throw .field(unknown, "unknown field for steer")
        }
        guard let shipValue = fields["ship_id"] else { throw .missing("ship_id") }
        var command = SteeringCommand(shipID: ShipID(try positiveInteger(shipValue, field: "ship_id")))
        if let value = fields["attitude_mode"] {
            guard case .string(let name) = value else { throw .field("attitude_mode", "expected a string, got \(value.typeName)") }
            guard let mode = AttitudeMode(rawValue: name) else {
                throw .field("attitude_mode", "unknown mode '\(name.prefix(40))'; expected one of \(AttitudeMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            command.attitudeMode = mode
        }
        if let value = fields["direction"] { command.direction = try vector(value, field: "direction") }
        if let value = fields["rotation_rate"] { command.rotationRate = try vector(value, field: "rotation_rate") }
        if let value = fields["rcs"] { command.rcs = try vector(value, field: "rcs") }
        if let value = fields["throttle"] { command.throttle = try number(value, field: "throttle") }
        if let value = fields["hold_attitude"] {
            guard case .bool(let hold) = value else { throw .field("hold_attitude", "expected a boolean, got \(value.typeName)") }
            command.holdAttitude = hold
        }
        if let value = fields["target"] { command.target = try target(value) }
        return command
    }

    private static func view(_ fields: [String: JSONValue]) throws(ProtocolError) -> ViewRequest {
        guard let focusValue = fields["focus"] else { throw .missing("focus") }
        guard let radiusValue = fields["radius_m"] else { throw .missing("radius_m") }
        let radius = try number(radiusValue, field: "radius_m")
        guard radius > 0, radius <= ViewRequest.maximumRadiusMeters else {
            throw .field("radius_m", "must be within (0, \(ViewRequest.maximumRadiusMeters)] m, got \(radius)")
        }
        let focus: ViewRequest.Focus
        switch try target(focusValue, field: "focus") {
        case .body(let name): focus = .body(name)
        case .ship(let id): focus = .ship(id)
        }
        return ViewRequest(focus: focus, radiusMeters: radius)
    }

    private static func target(_ value: JSONValue, field: String = "target") throws(ProtocolError) -> AttitudeTarget {
        guard case .object(let fields) = value, fields.count == 1 else {
            throw .field(field, "expected {\"body\": NAME} or {\"ship\": ID}")
        }
        if let body = fields["body"] {
            guard case .string(let name) = body else { throw .field("\(field).body", "expected a string, got \(body.typeName)") }
            return .body(name)
        }
        if let ship = fields["ship"] { return .ship(ShipID(try positiveInteger(ship, field: "\(field).ship"))) }
        throw .field(field, "expected {\"body\": NAME} or {\"ship\": ID}")
    }

    static func number(_ value: JSONValue, field: String) throws(ProtocolError) -> Double {
        guard case .number(let n) = value else { throw .field(field, "expected a number, got \(value.typeName)") }
        guard n.isFinite else { throw .field(field, "must be finite, got \(n)") }
        return n
    }

    static func integer(_ value: JSONValue, field: String) throws(ProtocolError) -> Int64 {
        let n = try number(value, field: field)
        guard n == n.rounded(), abs(n) < 9e15 else { throw .field(field, "expected an integer, got \(n)") }
        return Int64(n)
    }

    static func positiveInteger(_ value: JSONValue, field: String) throws(ProtocolError) -> Int64 {
        let n = try integer(value, field: field)
        guard n > 0 else { throw .field(field, "must be a positive integer, got \(n)") }
        return n
    }

    private static func vector(_ value: JSONValue, field: String) throws(ProtocolError) -> SIMD3<Double> {
        guard case .array(let items) = value, items.count == 3 else {
            throw .field(field, "expected an array of 3 numbers, got \(value.typeName)")
        }
        var components: [Double] = []
        for (k, item) in items.enumerated() { components.append(try number(item, field: "\(field)[\(k)]")) }
        return SIMD3(components[0], components[1], components[2])
    }
}

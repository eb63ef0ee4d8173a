import Foundation

/// Names and message forms shared by the engine and gateway replicas.
///
/// - `galaxy:frames` (pub/sub): every tick's frame, `FrameCodec` binary.
/// - `galaxy:commands` (stream): entries with fields `gw` (gateway id), `req` (request number on that
///   gateway) and `cmd` (JSON, `encode(_:)`), trimmed to about `streamMaxLength` entries.
/// - `galaxy:replies:<gateway id>` (pub/sub): the engine's replies, `encode(reply:request:)` binary.
enum RedisWire {
    static let framesChannel = "galaxy:frames"
    static let commandStream = "galaxy:commands"
    static let streamMaxLength = 100_000
    /// Commands older than this when the engine reads them are dropped: their gateway gave up waiting.
    static let commandLifetimeSeconds = 10.0

    static func repliesChannel(_ gateway: String) -> String { "galaxy:replies:\(gateway)" }

    static func encode(_ command: LinkCommand) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        switch command {
        case .client(_, let json):
            w.raw("{\"op\":\"client\",\"message\":")
            write(json, &w)
        case .provisionShip(let player, let username):
            w.raw("{\"op\":\"provision_ship\",\"player\":")
            w.number(player)
            w.raw(",\"username\":")
            w.string(username)
        case .removeShips(let owner):
            w.raw("{\"op\":\"remove_ships\",\"player\":")
            w.number(owner)
        }
        w.raw("}")
        return w.bytes
    }

    /// Reads a command; a client message is validated again with the protocol's own parser, so the engine
    /// never trusts a malformed entry in the stream.
    static func decodeCommand(_ bytes: [UInt8]) throws(ProtocolError) -> LinkCommand {
        guard case .object(let fields)? = bytes.withUnsafeBytes({ JSONValue.parse($0) }),
            case .string(let op)? = fields["op"]
        else { throw ProtocolError(code: "invalid_command", message: "command is not a JSON object with an op") }
        switch op {
        case "client":
            guard let json = fields["message"] else { throw .missing("message") }
            let message = try ClientMessageParser.parse(json).message
            switch message {
            case .steer, .maneuver, .cancelManeuver: return .client(message, json: json)
            default: throw ProtocolError(code: "invalid_command", message: "message type is not an engine command")
            }
        case "provision_ship":
            guard let player = playerID(fields["player"]), case .string(let name)? = fields["username"] else {
                throw ProtocolError(code: "invalid_command", message: "provision_ship needs player and username")
            }
            return .provisionShip(player: player, username: name)
        case "remove_ships":
            guard let player = playerID(fields["player"]) else {
                throw ProtocolError(code: "invalid_command", message: "remove_ships needs player")
            }
            return .removeShips(owner: player)
        default:
            throw ProtocolError(code: "invalid_command", message: "unknown op '\(op.prefix(40))'")
        }
    }

    static func encode(reply: LinkReply, request: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u64(request)
        switch reply {
        case .ok(let payload):
            w.u8(1)
            w.string(String(decoding: payload, as: UTF8.self))
        case .failed(let code, let message):
            w.u8(0)
            w.string(code)
            w.string(message)
        }
        return w.bytes
    }

    static func decodeReply(_ bytes: [UInt8]) throws(FrameDecodingError) -> (request: UInt64, reply: LinkReply) {
        var r = ByteReader(bytes)
        let request = try r.u64()
        let reply: LinkReply = try r.u8() == 1 ? .ok(payload: Array(try r.string().utf8)) : .failed(code: try r.string(), message: try r.string())
        return (request, reply)
    }

    /// Milliseconds since 1970 in a stream entry id ("1733330000000-0").
    static func entryMilliseconds(_ id: String) -> Double? { id.split(separator: "-").first.flatMap { Double($0) } }

    private static func playerID(_ value: JSONValue?) -> PlayerID? {
        guard case .number(let n)? = value, n == n.rounded(), n > 0, n < 9e15 else { return nil }
        return PlayerID(n)
    }

    private static func write(_ value: JSONValue, _ w: inout JSONWriter) {
        switch value {
        case .null: w.raw("null")
        case .bool(let b): w.raw(b ? "true" : "false")
        case .number(let n): w.number(n)
        case .string(let s): w.string(s)
        case .array(let items):
            w.raw("[")
            for (k, item) in items.enumerated() {
                if k > 0 { w.raw(",") }
                write(item, &w)
            }
            w.raw("]")
        case .object(let fields):
            w.raw("{")
            for (k, (key, item)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if k > 0 { w.raw(",") }
                w.string(key)
                w.raw(":")
                write(item, &w)
            }
            w.raw("}")
        }
    }
}

/// Exponential reconnect delays, 0.1 s doubling to 5 s, each spread ±20 % so that replicas that lost
/// Redis together do not all knock at the same instant.
struct ReconnectBackoff {
    var initialSeconds = 0.1
    var maximumSeconds = 5.0
    private(set) var failures = 0
    private(set) var nextAttempt = Date.distantPast

    var ready: Bool { Date() >= nextAttempt }

    mutating func failed() {
        let base = min(maximumSeconds, initialSeconds * pow(2, Double(min(failures, 20))))
        failures += 1
        nextAttempt = Date().addingTimeInterval(base * Double.random(in: 0.8...1.2))
    }

    mutating func succeeded() {
        failures = 0
        nextAttempt = .distantPast
    }
}

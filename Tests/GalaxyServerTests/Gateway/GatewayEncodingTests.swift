import Foundation
import Testing

@testable import GalaxyServer

/// A plain encoder of the state message, written from the protocol's rules without the broadcaster's
/// shared fragments, runs or buffers. It checks that those produce the same bytes. Element order follows
/// the broadcaster: own ships, then other ships in runs that are copied, then runs that are shared (at
/// least `FrameMessageBuilder.sharedRunMinimumBytes` long).
struct ReferenceStateEncoder {
    struct Client {
        var player: PlayerID
        var view: ViewRequest?
        var known: [ShipID] = []
        var framesSinceFull = Int.max
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : value.description
    }

    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\u" + String(format: "%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func array(_ values: [Double]) -> String { "[" + values.map(number).joined(separator: ",") + "]" }

    static func vector(_ v: SIMD3<Double>) -> String { array([v.x, v.y, v.z]) }

    static func common(_ ship: ShipSnapshot, includeStatic: Bool) -> String {
        var out = "{\"id\":\(ship.id)"
        if includeStatic {
            out += ",\"name\":" + string(ship.name) + ",\"kind\":" + string(ship.kind.rawValue)
            out += ",\"owner\":" + (ship.owner.map { String($0) } ?? "null")
        }
        let q = ship.attitude
        out += ",\"p\":" + vector(ship.position) + ",\"v\":" + vector(ship.velocity) + ",\"q\":" + array([q.x, q.y, q.z, q.w])
        return out
    }

    static func publicShip(_ ship: ShipSnapshot, includeStatic: Bool) -> String { common(ship, includeStatic: includeStatic) + "}" }

    static func ownShip(_ ship: ShipSnapshot, includeStatic: Bool) -> String {
        var out = common(ship, includeStatic: includeStatic)
        out += ",\"w\":" + vector(ship.angularRate) + ",\"mode\":" + string(ship.mode.rawValue)
        out += ",\"throttle\":" + number(ship.throttle) + ",\"thrust_n\":" + number(ship.thrustNewtons)
        out += ",\"rcs\":" + vector(ship.rcs) + ",\"fuel_kg\":" + number(ship.fuelKg) + ",\"dry_mass_kg\":" + number(ship.dryMassKg)
        out += ",\"primary\":" + string(ship.primary)
        out += ",\"condition\":[" + SimulationReport.conditionNames(ship.condition).map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return out + ",\"maneuver\":null}"
    }

    static func header(_ frame: WorldFrame, full: Bool) -> String {
        var out = "{\"type\":\"state\",\"tick\":\(frame.tick),\"server_time_ms\":" + number(frame.wallClockMilliseconds)
        out += ",\"time_s\":" + number(frame.gameTimeSeconds) + ",\"warp\":" + number(frame.status.effectiveWarp)
        out += ",\"paused\":\(frame.status.paused),\"degraded\":\(frame.status.degraded),\"full\":\(full),\"bodies\":["
        out += frame.bodies.map { array([$0.position.x, $0.position.y, $0.position.z, $0.velocity.x, $0.velocity.y, $0.velocity.z]) }
            .joined(separator: ",")
        return out + "],\"ships\":["
    }

    /// Ships in ascending id order, so that positions in this list are ranks.
    static func ranked(_ frame: WorldFrame) -> [ShipSnapshot] { frame.ships.sorted { $0.id < $1.id } }

    static func visible(_ ships: [ShipSnapshot], frame: WorldFrame, for client: Client) -> [Int] {
        var center: SIMD3<Double>?
        switch client.view?.focus {
        case .body(let name): center = frame.bodies.first { $0.name == name }?.position
        case .ship(let id): center = ships.first { $0.id == id }?.position
        case nil: center = nil
        }
        let radius = client.view?.radiusMeters ?? 0
        return ships.indices.filter { rank in
            if ships[rank].owner == client.player { return true }
            guard let center else { return false }
            let d = ships[rank].position - center
            return (d * d).sum() <= radius * radius
        }
    }

    /// Returns every client's message for `frame` and advances their delta state.
    static func messages(_ frame: WorldFrame, clients: inout [Client], forceFull: Bool) -> [String] {
        let ships = ranked(frame)
        let views = clients.map { visible(ships, frame: frame, for: $0) }
        var needed = Set<Int>()
        for view in views { needed.formUnion(view) }
        return clients.indices.map { k in
            let client = clients[k]
            let full = forceFull || client.framesSinceFull >= ClientSession.fullFrameInterval
            var own: [String] = []
            var runs: [[String]] = []
            var previous: (rank: Int, isNew: Bool)?
            for rank in views[k] {
                let ship = ships[rank]
                let isNew = full || !client.known.contains(ship.id)
                if ship.owner == client.player {
                    own.append(ownShip(ship, includeStatic: isNew))
                    previous = nil
                    continue
                }
                let adjacent = previous.map { p in p.isNew == isNew && !(p.rank + 1..<rank).contains { needed.contains($0) } } ?? false
                if adjacent { runs[runs.count - 1].append(publicShip(ship, includeStatic: isNew)) } else { runs.append([publicShip(ship, includeStatic: isNew)]) }
                previous = (rank, isNew)
            }
            // A run's length counts the comma before each of its ships.
            let isShared = { (run: [String]) in run.reduce(0) { $0 + 1 + $1.utf8.count } >= FrameMessageBuilder.sharedRunMinimumBytes }
            let elements = own + runs.filter { !isShared($0) }.flatMap { $0 } + runs.filter(isShared).flatMap { $0 }
            let ids = views[k].map { ships[$0].id }
            let removed = client.known.filter { !ids.contains($0) }
            clients[k].known = ids
            clients[k].framesSinceFull = full ? 1 : client.framesSinceFull + 1
            return header(frame, full: full) + elements.joined(separator: ",") + "],\"removed\":["
                + removed.map { String($0) }.joined(separator: ",") + "]}"
        }
    }
}

@Suite struct GatewayEncodingTests {
    static func ship(_ id: ShipID, owner: PlayerID?, position: SIMD3<Double>, frame: Int) -> ShipSnapshot {
        let t = Double(frame)
        let names = ["plain", "quote \"q\"", "back\\slash", "tab\tnew\nline", "bell\u{7}", "ünïcode ✓"]
        return ShipSnapshot(
            id: id, name: names[Int(id) % names.count] + "-\(id)", kind: .ship, owner: owner, position: position,
            velocity: SIMD3(7_500.125 + Double(id) / 7, -3.0 * t, 0.1 / (1 + t)), attitude: SIMD4(0.5, -0.5, 0.5, 0.5) / (1 + t / 1e3),
            angularRate: SIMD3(0, 0, 1e-3 * t), dryMassKg: 1_000, fuelKg: 500 - t / 3, throttle: t.truncatingRemainder(dividingBy: 3) / 2,
            thrustNewtons: 0, rcs: .zero, mode: .hold, primary: "Earth", condition: frame % 7 == 3 ? [.outOfFuel] : [])
    }

    /// Returns frame `n` of about 150 ships drifting along x past Earth at the origin. Some enter and leave
    /// the small views, a few are deleted and created, and the order in the frame is sometimes not by id.
    static func frame(_ n: Int) -> WorldFrame {
        var ships: [ShipSnapshot] = []
        for id in ShipID(1)...150 {
            if (id + ShipID(n)) % 37 == 0 { continue }
            let owner: PlayerID? = id % 25 == 0 ? PlayerID(7 + id / 25) : (id % 3 == 0 ? nil : 1_000 + PlayerID(id))
            let x = (Double(id) * 97.3 + Double(n) * 41.7).truncatingRemainder(dividingBy: 9_000) - 4_500
            ships.append(ship(id, owner: owner, position: SIMD3(x, Double(id % 5) * 10.5, 0), frame: n))
        }
        if n % 4 == 1 { ships.reverse() }
        var frame = WorldFrame(
            tick: UInt64(100 + n), gameTimeSeconds: 100.25 + Double(n), bodies: [WorldFrame.Body(name: "Earth", position: .zero, velocity: SIMD3(0.5, -1e-3, 29_780.25))],
            ships: ships, events: [], maneuvers: [:], maneuverEvents: [], status: EngineStatus())
        frame.wallClockMilliseconds = 1_796_400_000_123 + Double(n) * 1_000
        return frame
    }

    @Test func matchesReferenceAcrossFrames() throws {
        let views: [(player: PlayerID, view: ViewRequest?)] = [
            (7, ViewRequest(focus: .body("Earth"), radiusMeters: 1_500)),
            (7, ViewRequest(focus: .body("Earth"), radiusMeters: 1e13)),
            (8, ViewRequest(focus: .ship(50), radiusMeters: 2_000)),
            (9, nil),
            (10, ViewRequest(focus: .body("Earth"), radiusMeters: 1e13)),
            (11, ViewRequest(focus: .ship(9_999), radiusMeters: 1e6)),
            (12, ViewRequest(focus: .body("Earth"), radiusMeters: 3_000)),
        ]
        var sessions = views.enumerated().map { k, entry in
            var session = StateFixture.client(UInt64(k + 1), player: entry.player, radiusMeters: nil)
            session.view = entry.view
            return session
        }
        var reference = views.map { ReferenceStateEncoder.Client(player: $0.player, view: $0.view) }
        for n in 0..<(ClientSession.fullFrameInterval + 5) {
            let frame = GatewayEncodingTests.frame(n)
            let forceFull = n == 12
            let expected = ReferenceStateEncoder.messages(frame, clients: &reference, forceFull: forceFull)
            let index = FrameIndex(frame: frame)
            let visible = sessions.map { StateEncoder.visibleShips(index, for: $0) }
            var needed = [Bool](repeating: false, count: frame.ships.count)
            for view in visible { for rank in view { needed[rank] = true } }
            let fragments = FrameFragments(index: index, needed: needed, workers: 2)
            for k in sessions.indices {
                let message = StateEncoder.state(index, visible: visible[k], fragments: fragments, for: &sessions[k], forceFull: forceFull)
                let bytes = message.joined(fragments)
                #expect(bytes.count == message.count, "frame \(n), client \(k)")
                #expect(String(decoding: bytes, as: UTF8.self) == expected[k], "frame \(n), client \(k)")
                #expect(sessions[k].knownShips == reference[k].known, "frame \(n), client \(k)")
                #expect(sessions[k].framesSinceFull == reference[k].framesSinceFull, "frame \(n), client \(k)")
            }
        }
    }

    @Test func messagesUseSharedRuns() {
        var sessions = [StateFixture.client(1, player: 10, radiusMeters: 1e13)]
        let frame = GatewayEncodingTests.frame(0)
        let index = FrameIndex(frame: frame)
        let visible = StateEncoder.visibleShips(index, for: sessions[0])
        let fragments = FrameFragments(index: index, needed: [Bool](repeating: true, count: frame.ships.count), workers: 2)
        let message = StateEncoder.state(index, visible: visible, fragments: fragments, for: &sessions[0], forceFull: false)
        #expect(!message.runs.isEmpty, "a view of every ship refers to the shared fragments")
    }

    @Test func numbersMatchDescription() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 1e15, -1e15, 1e15 - 1, 1e16, 5e-324, 1e-5, 123_456.789, .greatestFiniteMagnitude, .nan, .infinity]
        for _ in 0..<20_000 {
            values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator)))
            values.append(Double.random(in: -1e12...1e12, using: &generator))
            values.append(Double(Int64.random(in: -1_000_000...1_000_000, using: &generator)))
        }
        for value in values {
            var writer = JSONWriter(capacity: 32)
            writer.number(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == ReferenceStateEncoder.number(value), "\(value)")
        }
    }

    @Test func integersMatchString() {
        for value in [Int64.min, -1, 0, 9, 10, 1_796_400_000_123, .max] {
            var writer = JSONWriter(capacity: 32)
            writer.number(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
        }
        var writer = JSONWriter(capacity: 32)
        writer.number(UInt64.max)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(UInt64.max))
    }

    @Test func stringsEscapeLikeReference() {
        for text in ["", "plain", "quote \"q\"", "back\\slash", "tab\tnew\nline\r", "\u{0}\u{1f}\u{7f}", "ünïcode ✓ 🚀", "e\u{301}"] {
            var writer = JSONWriter(capacity: 32)
            writer.string(text)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == ReferenceStateEncoder.string(text), "\(text.debugDescription)")
        }
    }

    @Test func boxViewWithoutOutliers() {
        let positions = (0..<500).map { SIMD3(Double($0) * 1.5e5, -Double($0) * 7e4, 3e3) }
        let grid = FrameGrid(positions: positions)
        #expect(grid.ranks(within: 1e13, of: .zero) == Array(positions.indices))
        // Radii about the distance of the farthest ship, where the box test and the per-ship test meet.
        let farthest = ((positions[499] * positions[499]).sum()).squareRoot()
        for radius in [farthest.nextDown, farthest, farthest.nextUp, farthest * (1 - 1e-12)] {
            let expected = positions.indices.filter { (positions[$0] * positions[$0]).sum() <= radius * radius }
            #expect(grid.ranks(within: radius, of: .zero) == expected, "radius \(radius) m")
        }
    }

    @Test func ownersOfUnsortedFrame() {
        var fixture = StateFixture()
        fixture.ships = [StateFixture.ship(5, owner: 1, x: 0), StateFixture.ship(2, owner: 3, x: 0), StateFixture.ship(9, owner: 1, x: 0)]
        let index = FrameIndex(frame: fixture.frame)
        #expect(index.shipsByOwner[1] == [0, 2])
        #expect(index.shipsByOwner[3] == [1])
        #expect(index.shipsByOwner[2] == nil)
        #expect(index.ranksByOwner[3] == [0])
        #expect(index.ship(9)?.id == 9)
        #expect(index.ship(4) == nil)
    }
}

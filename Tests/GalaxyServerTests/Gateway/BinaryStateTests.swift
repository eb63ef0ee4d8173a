import Foundation
import Testing

@testable import GalaxyServer

/// Binary state messages against the JSON ones, over the frames of `GatewayEncodingTests.frame`. These
/// include a forced full frame and the periodic one. A binary client and a text client with the same
/// view must receive the same ships, static fields, removals and motion.
@Suite struct BinaryStateTests {
    struct Decoded {
        var head: [String: Any]
        /// Position, velocity (as sent, f64) and attitude (f32) by ship id.
        var records: [UInt64: (p: [Double], v: [Double], q: [Float])]
    }

    static func decode(_ bytes: [UInt8]) throws -> Decoded {
        func u32(_ at: Int) -> Int { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | Int($1) } }
        func u64(_ at: Int) -> UInt64 { bytes[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        let jsonBytes = u32(0)
        let head = try JSONSerialization.jsonObject(with: Data(bytes[4..<4 + jsonBytes])) as! [String: Any]
        let count = u32(4 + jsonBytes)
        let start = 8 + jsonBytes
        #expect(start % 8 == 0, "records start on an 8-byte boundary")
        #expect(bytes.count == start + count * ShipRecords.recordBytes)
        var records: [UInt64: (p: [Double], v: [Double], q: [Float])] = [:]
        for k in 0..<count {
            let at = start + k * ShipRecords.recordBytes
            let p = (0..<3).map { Double(bitPattern: u64(at + 8 + 8 * $0)) }
            let v = (0..<3).map { Double(bitPattern: u64(at + 32 + 8 * $0)) }
            let q = (0..<4).map { Float(bitPattern: UInt32(u32(at + 56 + 4 * $0))) }
            records[u64(at)] = (p, v, q)
        }
        return Decoded(head: head, records: records)
    }

    @Test func matchesTextAcrossFrames() throws {
        let views: [(player: PlayerID, view: ViewRequest?)] = [
            (7, ViewRequest(focus: .body("Earth"), radiusMeters: 1_500)),
            (8, ViewRequest(focus: .ship(50), radiusMeters: 2_000)),
            (9, nil),
            (10, ViewRequest(focus: .body("Earth"), radiusMeters: 1e13)),
        ]
        func sessions() -> [ClientSession] {
            views.enumerated().map { k, entry in
                var session = StateFixture.client(UInt64(k + 1), player: entry.player, radiusMeters: nil)
                session.view = entry.view
                return session
            }
        }
        var (text, binary) = (sessions(), sessions())
        var sharedRuns = 0
        for n in 0..<(ClientSession.fullFrameInterval + 5) {
            let frame = GatewayEncodingTests.frame(n)
            let forceFull = n == 12
            let index = FrameIndex(frame: frame)
            let records = ShipRecords(index: index, needed: [Bool](repeating: true, count: frame.ships.count))
            let fragments = FrameFragments(index: index, needed: [Bool](repeating: true, count: frame.ships.count), workers: 2)
            for k in views.indices {
                let visible = StateEncoder.visibleShips(index, for: text[k])
                let json = StateEncoder.state(index, visible: visible, fragments: fragments, for: &text[k], forceFull: forceFull)
                let message = StateEncoder.binaryState(
                    index, visible: visible, fragments: fragments, records: records, for: &binary[k], forceFull: forceFull)
                sharedRuns += message.runs.count
                let expected = try JSONSerialization.jsonObject(with: Data(json.joined(fragments))) as! [String: Any]
                let decoded = try BinaryStateTests.decode(message.joined(records))
                try BinaryStateTests.compare(decoded, expected, index: index, context: "frame \(n), client \(k)")
                #expect(binary[k].knownShips == text[k].knownShips)
            }
        }
        #expect(sharedRuns > 0, "the view of every ship refers to the shared records")
    }

    static func compare(_ decoded: Decoded, _ expected: [String: Any], index: FrameIndex, context: String) throws {
        let head = decoded.head

        for key in ["type", "tick", "server_time_ms", "time_s", "full", "removed"] {
            #expect(String(describing: head[key]!) == String(describing: expected[key]!), "\(key), \(context)")
        }
        #expect((head["bodies"] as! [[Double]]) == (expected["bodies"] as! [[Double]]), "\(context)")
        let ships = expected["ships"] as! [[String: Any]]
        // Only the owner's copy of a ship has its private members.
        let isOwn = { (ship: [String: Any]) in ship["fuel_kg"] != nil }
        let own = ships.filter(isOwn)
        let others = ships.filter { !isOwn($0) }

        #expect(NSArray(array: head["ships"] as! [[String: Any]]) == NSArray(array: own), "own ships, \(context)")
        #expect(Set(decoded.records.keys) == Set(others.map { UInt64($0["id"] as! Int) }), "other ships, \(context)")
        var statics: [UInt64: [String: Any]] = [:]
        for entry in head["static"] as! [[String: Any]] { statics[UInt64(entry["id"] as! Int)] = entry }

        for ship in others {
            let id = UInt64(ship["id"] as! Int)
            guard let record = decoded.records[id] else { continue }
            // Against the frame itself, since Foundation's JSON parser can miss a double's last bit.
            let snapshot = try #require(index.ship(id))
            #expect(record.p == [snapshot.position.x, snapshot.position.y, snapshot.position.z], "ship \(id), \(context)")
            #expect(record.v == [snapshot.velocity.x, snapshot.velocity.y, snapshot.velocity.z], "ship \(id), \(context)")
            #expect(record.q == (0..<4).map { Float(snapshot.attitude[$0]) }, "ship \(id), \(context)")
            if ship["name"] != nil {
                let entry = try #require(statics[id], "static fields of ship \(id), \(context)")
                for key in ["name", "kind", "owner"] {
                    #expect(String(describing: entry[key]!) == String(describing: ship[key]!), "\(key) of ship \(id), \(context)")
                }
            }
        }
        #expect(statics.count == others.filter { $0["name"] != nil }.count, "static entries, \(context)")
    }
}

import Foundation
import Testing

@testable import GalaxyServer

/// Builds frames and clients for the state encoder without an engine or a transport.
struct StateFixture {
    var ships: [ShipSnapshot] = []
    var tick: UInt64 = 1

    static func ship(_ id: ShipID, owner: PlayerID?, x: Double) -> ShipSnapshot {
        ShipSnapshot(
            id: id, name: "ship-\(id)", kind: .ship, owner: owner, position: SIMD3(x, 0, 0), velocity: SIMD3(0, 7_500, 0),
            attitude: SIMD4(0, 0, 0, 1), angularRate: .zero, dryMassKg: 1_000, fuelKg: 500, throttle: 0, thrustNewtons: 0,
            rcs: .zero, mode: .hold, primary: "Earth", condition: [])
    }

    static func client(_ connection: UInt64, player: PlayerID, radiusMeters: Double?) -> ClientSession {
        let record = PlayerRecord(id: player, username: "player\(player)", passwordHash: "", createdAt: Date())
        var session = ClientSession(connectionID: connection, player: record)
        if let radiusMeters { session.view = ViewRequest(focus: .body("Earth"), radiusMeters: radiusMeters) }
        return session
    }

    var frame: WorldFrame {
        WorldFrame(
            tick: tick, gameTimeSeconds: Double(tick), bodies: [WorldFrame.Body(name: "Earth", position: .zero, velocity: .zero)],
            ships: ships, events: [], maneuvers: [:], maneuverEvents: [], status: EngineStatus())
    }

    /// Encodes one frame for every client as the broadcaster does, and returns the messages, parsed,
    /// with how many shared runs each referred to.
    mutating func encode(_ clients: inout [ClientSession], forceFull: Bool = false) throws -> [(json: [String: Any], runs: Int)] {
        let index = FrameIndex(frame: frame)
        tick += 1
        let views = clients.map { StateEncoder.visibleShips(index, for: $0) }
        var needed = [Bool](repeating: false, count: ships.count)
        for view in views { for rank in view { needed[rank] = true } }
        let fragments = FrameFragments(index: index, needed: needed, workers: 2)
        return try clients.indices.map { k in
            let message = StateEncoder.state(index, visible: views[k], fragments: fragments, for: &clients[k], forceFull: forceFull)
            let bytes = message.joined(fragments)
            #expect(bytes.count == message.count)
            let json = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
            return (try #require(json), message.runs.count)
        }
    }
}

private func ships(_ json: [String: Any]) -> [ShipID: [String: Any]] {
    let list = json["ships"] as? [[String: Any]] ?? []
    return Dictionary(list.map { (($0["id"] as? NSNumber)?.uint64Value ?? 0, $0) }, uniquingKeysWith: { first, _ in first })
}

private func removed(_ json: [String: Any]) -> [ShipID] {
    (json["removed"] as? [NSNumber] ?? []).map(\.uint64Value)
}

@Suite struct GatewayStateTests {
    @Test func shipLeavingViewIsRemoved() throws {
        var fixture = StateFixture(ships: [StateFixture.ship(1, owner: 7, x: 10), StateFixture.ship(2, owner: nil, x: 100)])
        var clients = [StateFixture.client(1, player: 7, radiusMeters: 1_000)]
        _ = try fixture.encode(&clients)
        fixture.ships[1].position.x = 5_000
        let delta = try fixture.encode(&clients)[0].json
        #expect(delta["full"] as? Bool == false)
        #expect(removed(delta) == [2])
        #expect(ships(delta)[2] == nil)
        #expect(clients[0].knownShips == [1])
        let next = try fixture.encode(&clients)[0].json
        #expect(removed(next).isEmpty)
    }

    @Test func deletedShipIsRemoved() throws {
        var fixture = StateFixture(ships: [StateFixture.ship(1, owner: 7, x: 10), StateFixture.ship(2, owner: nil, x: 100)])
        var clients = [StateFixture.client(1, player: 7, radiusMeters: 1_000)]
        _ = try fixture.encode(&clients)
        fixture.ships.removeLast()
        #expect(removed(try fixture.encode(&clients)[0].json) == [2])
    }

    @Test func newShipCarriesStaticFields() throws {
        var fixture = StateFixture(ships: [StateFixture.ship(1, owner: 7, x: 10), StateFixture.ship(3, owner: 8, x: 100)])
        var clients = [StateFixture.client(1, player: 7, radiusMeters: 1_000)]
        let first = ships(try fixture.encode(&clients)[0].json)
        #expect(first[3]?["name"] as? String == "ship-3")
        fixture.ships.insert(StateFixture.ship(2, owner: nil, x: 200), at: 1)
        let delta = try fixture.encode(&clients)[0].json
        let listed = ships(delta)
        #expect(delta["full"] as? Bool == false)
        #expect(listed[2]?["name"] as? String == "ship-2")
        #expect(listed[2]?["kind"] as? String == "ship")
        #expect(listed[2]?.keys.contains("owner") == true)
        #expect(listed[3]?["name"] == nil, "a known ship repeats only its dynamic fields")
        #expect(listed[3]?["p"] != nil)
        #expect(clients[0].knownShips == [1, 2, 3])
    }

    @Test func ownShipHasPrivateFields() throws {
        var fixture = StateFixture(ships: [StateFixture.ship(1, owner: nil, x: 0), StateFixture.ship(2, owner: 7, x: 9e9)])
        var clients = [StateFixture.client(1, player: 7, radiusMeters: 1_000), StateFixture.client(2, player: 8, radiusMeters: 1e13)]
        for _ in 0..<3 {
            let messages = try fixture.encode(&clients)
            let own = ships(messages[0].json)
            #expect(own[2]?["fuel_kg"] as? Double == 500, "own ship outside the view is still sent in full")
            #expect(own[2]?["mode"] as? String == "hold")
            #expect(own[1]?["fuel_kg"] == nil)
            let other = ships(messages[1].json)
            #expect(other[2]?["fuel_kg"] == nil, "another player's ship has no private fields")
            #expect(other[2]?["p"] != nil)
        }
    }

    @Test func fullFrameEveryInterval() throws {
        var fixture = StateFixture(ships: [StateFixture.ship(1, owner: 7, x: 10), StateFixture.ship(2, owner: nil, x: 100)])
        var clients = [StateFixture.client(1, player: 7, radiusMeters: 1_000)]
        var fullFrames: [Int] = []
        for frame in 0..<(2 * ClientSession.fullFrameInterval + 1) {
            if try fixture.encode(&clients)[0].json["full"] as? Bool == true { fullFrames.append(frame) }
        }
        #expect(fullFrames == [0, ClientSession.fullFrameInterval, 2 * ClientSession.fullFrameInterval])
    }

    @Test func forcedFullFrameRepeatsStaticFields() throws {
        var fixture = StateFixture(ships: [StateFixture.ship(1, owner: 7, x: 10), StateFixture.ship(2, owner: nil, x: 100)])
        var clients = [StateFixture.client(1, player: 7, radiusMeters: 1_000)]
        _ = try fixture.encode(&clients)
        let forced = try fixture.encode(&clients, forceFull: true)[0].json
        #expect(forced["full"] as? Bool == true)
        #expect(ships(forced)[2]?["name"] as? String == "ship-2")
        #expect(ships(forced)[1]?["name"] as? String == "ship-1")
    }

    @Test func largeViewsShareRunsAndStayValid() throws {
        // 400 ships of about 150 bytes each: runs between a client's own ships exceed the sharing threshold.
        var fixture = StateFixture()
        for id in 1...400 { fixture.ships.append(StateFixture.ship(ShipID(id), owner: id % 100 == 0 ? PlayerID(id) : nil, x: Double(id))) }
        var clients = [
            StateFixture.client(1, player: 100, radiusMeters: 1e13), StateFixture.client(2, player: 200, radiusMeters: 1e13),
            StateFixture.client(3, player: 999, radiusMeters: 1e13),
        ]
        for _ in 0..<3 {
            let messages = try fixture.encode(&clients)
            for (k, message) in messages.enumerated() {
                let listed = message.json["ships"] as? [[String: Any]] ?? []
                #expect(listed.count == 400, "client \(k) lists every ship once")
                #expect(Set(listed.compactMap { ($0["id"] as? NSNumber)?.intValue }).count == 400)
                #expect(message.runs >= 1, "client \(k) refers to shared runs")
            }
            #expect(ships(messages[0].json)[100]?["fuel_kg"] != nil)
            #expect(ships(messages[0].json)[200]?["fuel_kg"] == nil)
            #expect(ships(messages[2].json)[100]?["fuel_kg"] == nil)
        }
    }

    @Test func containsSortedFindsMembers() {
        let sorted = [1, 4, 9, 12]
        for value in sorted { #expect(StateEncoder.containsSorted(sorted, value), "\(value)") }
        for value in [0, 2, 10, 13] { #expect(!StateEncoder.containsSorted(sorted, value), "\(value)") }
        #expect(!StateEncoder.containsSorted([], 1))
    }

    @Test func ownShipOutsideViewIsVisible() {
        var fixture = StateFixture()
        fixture.ships = [StateFixture.ship(1, owner: nil, x: 0), StateFixture.ship(2, owner: 7, x: 9e9), StateFixture.ship(3, owner: 7, x: 10)]
        let index = FrameIndex(frame: fixture.frame)
        let client = StateFixture.client(1, player: 7, radiusMeters: 1_000)
        #expect(StateEncoder.visibleShips(index, for: client) == [0, 1, 2])
    }

    @Test func mergeUniqueSortsAndDeduplicates() {
        #expect(StateEncoder.mergeUnique([1, 4, 9], [0, 4, 5, 10]) == [0, 1, 4, 5, 9, 10])
        #expect(StateEncoder.mergeUnique([], [2, 3]) == [2, 3])
        #expect(StateEncoder.mergeUnique([2, 3], []) == [2, 3])
    }
}

@Suite struct GatewayFrameGridTests {
    @Test func gridMatchesFullScan() {
        var generator = SystemRandomNumberGenerator()
        var positions = (0..<3_000).map { _ in
            SIMD3(Double.random(in: -2e7...2e7, using: &generator), Double.random(in: -2e7...2e7, using: &generator),
                  Double.random(in: -1e6...1e6, using: &generator))
        }
        positions.append(SIMD3(.nan, 0, 0))
        positions.append(SIMD3(1e30, 0, 0))
        let grid = FrameGrid(positions: positions)
        for radius in [0.0, 5e5, 1e6, 3.3e6, 2e7, 1e13] {
            for center in [SIMD3<Double>.zero, SIMD3(1.5e6, -2.5e6, 0), positions[17]] {
                let expected = positions.indices.filter {
                    let d = positions[$0] - center
                    return (d * d).sum() <= radius * radius
                }
                #expect(grid.ranks(within: radius, of: center) == expected, "radius \(radius) m about \(center)")
            }
        }
    }

    @Test func shipOrderFollowsIDs() {
        var fixture = StateFixture()
        fixture.ships = [StateFixture.ship(5, owner: 1, x: 0), StateFixture.ship(2, owner: nil, x: 0), StateFixture.ship(9, owner: 1, x: 0)]
        let index = FrameIndex(frame: fixture.frame)
        #expect(index.idAtRank == [2, 5, 9])
        #expect(index.shipAtRank == [1, 0, 2])
        #expect(index.ranksByOwner[1] == [1, 2])
    }
}

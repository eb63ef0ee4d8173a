import Dispatch
import Foundation

/// Lookups over one published frame shared by every client's encoding: ships by id and by owner, the
/// ships in ascending id order with a spatial grid over them, and the bodies' part of the state message,
/// encoded once.
///
/// A ship's rank is its position in ascending id order. Per-client work (views, deltas, the shared
/// fragments) runs over ranks, so that lists of ranks sorted ascending are also sorted by ship id.
struct FrameIndex: Sendable {
    let frame: WorldFrame
    /// Wall-clock time the frame's tick ended on the engine, Unix milliseconds (clients' `server_time_ms`,
    /// so their latency figures include the trip through Redis on a replica).
    let publishedAtMilliseconds: Double
    let shipIndex: [ShipID: Int]
    let shipsByOwner: [PlayerID: [Int]]
    let bodyIndex: [String: Int]
    let encodedBodies: [UInt8]
    /// Frame index (into `frame.ships`) of the ship at each rank.
    let shipAtRank: [Int]
    /// Id and owner of the ship at each rank, so that per-client loops need not copy whole snapshots.
    let idAtRank: [ShipID]
    let ownerAtRank: [PlayerID?]
    /// Ranks of each player's ships, ascending.
    let ranksByOwner: [PlayerID: [Int]]
    let grid: FrameGrid
    /// The start of every client's state message, for full and for delta frames.
    private var fullHead: [UInt8] = []
    private var deltaHead: [UInt8] = []

    init(frame: WorldFrame) {
        self.frame = frame
        publishedAtMilliseconds = frame.wallClockMilliseconds
        var index: [ShipID: Int] = [:]
        var owners: [PlayerID: [Int]] = [:]
        index.reserveCapacity(frame.ships.count)
        for (i, ship) in frame.ships.enumerated() {
            index[ship.id] = i
            if let owner = ship.owner { owners[owner, default: []].append(i) }
        }
        shipIndex = index
        shipsByOwner = owners
        bodyIndex = Dictionary(uniqueKeysWithValues: frame.bodies.enumerated().map { ($1.name, $0) })
        encodedBodies = FrameIndex.encodeBodies(frame.bodies)
        let ships = frame.ships
        let order = FrameIndex.idOrder(ships)
        shipAtRank = order
        idAtRank = order.map { ships[$0].id }
        ownerAtRank = order.map { ships[$0].owner }
        var rankOwners: [PlayerID: [Int]] = [:]
        for (rank, i) in order.enumerated() {
            if let owner = ships[i].owner { rankOwners[owner, default: []].append(rank) }
        }
        ranksByOwner = rankOwners
        grid = FrameGrid(positions: order.map { ships[$0].position })
        var full = JSONWriter(capacity: encodedBodies.count + 256)
        StateEncoder.writeHeader(self, full: true, &full)
        var delta = JSONWriter(capacity: encodedBodies.count + 256)
        StateEncoder.writeHeader(self, full: false, &delta)
        (fullHead, deltaHead) = (full.bytes, delta.bytes)
    }

    /// Returns the start of a state message up to and including `"ships":[`.
    func stateHead(full: Bool) -> [UInt8] { full ? fullHead : deltaHead }

    func ship(_ id: ShipID) -> ShipSnapshot? { shipIndex[id].map { frame.ships[$0] } }

    func ship(atRank rank: Int) -> ShipSnapshot { frame.ships[shipAtRank[rank]] }

    /// Position of a view's focus at this frame (m, ICRF barycentric).
    func position(of focus: ViewRequest.Focus) -> SIMD3<Double>? {
        switch focus {
        case .body(let name): return bodyIndex[name].map { frame.bodies[$0].position }
        case .ship(let id): return ship(id)?.position
        }
    }

    /// Frame indices of the ships in ascending id order. The engine usually publishes ships in that
    /// order already, which is checked before sorting.
    private static func idOrder(_ ships: [ShipSnapshot]) -> [Int] {
        let identity = Array(ships.indices)
        let sorted = zip(ships, ships.dropFirst()).allSatisfy { $0.id < $1.id }
        return sorted ? identity : identity.sorted { ships[$0].id < ships[$1].id }
    }

    private static func encodeBodies(_ bodies: [WorldFrame.Body]) -> [UInt8] {
        var writer = JSONWriter(capacity: bodies.count * 140)
        writer.raw("[")
        for (k, body) in bodies.enumerated() {
            if k > 0 { writer.raw(",") }
            let (p, v) = (body.position, body.velocity)
            writer.numbers(p.x, p.y, p.z, v.x, v.y, v.z)
        }
        writer.raw("]")
        return writer.bytes
    }
}

/// A value the code vouches for across threads: each slice writes disjoint elements.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

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
    /// Frame indices (into `frame.ships`) of each player's ships, ascending.
    let shipsByOwner: OwnerIndex
    let bodyIndex: [String: Int]
    let encodedBodies: [UInt8]
    /// Frame index of the ship at each rank.
    let shipAtRank: [Int]
    /// Id of the ship at each rank, ascending, so that per-client loops need not copy whole snapshots.
    let idAtRank: [ShipID]
    /// Ranks of each player's ships, ascending.
    let ranksByOwner: OwnerIndex
    let grid: FrameGrid
    /// The start of every client's state message, for full and for delta frames.
    private var fullHead: [UInt8] = []
    private var deltaHead: [UInt8] = []

    init(frame: WorldFrame) {
        self.frame = frame
        publishedAtMilliseconds = frame.wallClockMilliseconds
        bodyIndex = Dictionary(uniqueKeysWithValues: frame.bodies.enumerated().map { ($1.name, $0) })
        encodedBodies = FrameIndex.encodeBodies(frame.bodies)
        let ships = frame.ships
        let order = FrameIndex.idOrder(ships)
        let inIDOrder = order.elementsEqual(ships.indices)
        shipAtRank = order
        idAtRank = order.map { ships[$0].id }
        var rankOwners: [(owner: PlayerID, value: Int)] = []
        rankOwners.reserveCapacity(ships.count)
        for (rank, i) in order.enumerated() {
            if let owner = ships[i].owner { rankOwners.append((owner, rank)) }
        }
        ranksByOwner = OwnerIndex(rankOwners)
        if inIDOrder {
            // Ranks are frame indices.
            shipsByOwner = ranksByOwner
        } else {
            shipsByOwner = OwnerIndex(ships.indices.compactMap { i in ships[i].owner.map { ($0, i) } })
        }
        grid = FrameGrid(positions: order.map { ships[$0].position })
        var full = JSONWriter(capacity: encodedBodies.count + 256)
        StateEncoder.writeHeader(self, full: true, &full)
        var delta = JSONWriter(capacity: encodedBodies.count + 256)
        StateEncoder.writeHeader(self, full: false, &delta)
        (fullHead, deltaHead) = (full.bytes, delta.bytes)
    }

    /// Returns the start of a state message up to and including `"ships":[`.
    func stateHead(full: Bool) -> [UInt8] { full ? fullHead : deltaHead }

    /// Returns the ship with `id` (a binary search over the ranks).
    func ship(_ id: ShipID) -> ShipSnapshot? {
        var (low, high) = (0, idAtRank.count)
        while low < high {
            let middle = (low + high) / 2
            if idAtRank[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low < idAtRank.count && idAtRank[low] == id ? ship(atRank: low) : nil
    }

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
        let sorted = ships.indices.dropFirst().allSatisfy { ships[$0 - 1].id < ships[$0].id }
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

/// Lists of indices (ranks or frame indices) grouped by owner, kept as one array sorted by owner, so
/// that a frame with many owners builds it with one sort instead of an array per owner.
struct OwnerIndex: Sendable {
    /// The owner of each entry of `values`, ascending.
    private let owners: [PlayerID]
    /// Ascending within each owner.
    private let values: [Int]

    /// `entries` must list each owner's values in ascending order.
    init(_ entries: [(owner: PlayerID, value: Int)]) {
        var entries = entries
        if !zip(entries, entries.dropFirst()).allSatisfy({ $0.owner <= $1.owner }) {
            entries.sort { $0.owner != $1.owner ? $0.owner < $1.owner : $0.value < $1.value }
        }
        owners = entries.map(\.owner)
        values = entries.map(\.value)
    }

    /// The values of `owner` as an array, or nil when it has none.
    subscript(owner: PlayerID) -> [Int]? {
        let slice = values(of: owner)
        return slice.isEmpty ? nil : Array(slice)
    }

    /// Returns the values of `owner`, ascending, or an empty slice when it has none.
    func values(of owner: PlayerID) -> ArraySlice<Int> {
        var (low, high) = (0, owners.count)
        while low < high {
            let middle = (low + high) / 2
            if owners[middle] < owner { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < owners.count && owners[end] == owner { end += 1 }
        return values[low..<end]
    }
}

/// A value the code vouches for across threads: each slice writes disjoint elements.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

import Dispatch
import Foundation

/// Lookups over one published frame shared by every client's encoding: ships by id and by owner, and
/// the bodies' part of the state message, encoded once.
struct FrameIndex: Sendable {
    let frame: WorldFrame
    /// Wall-clock time the frame reached the gateway, Unix milliseconds (for clients' latency figures).
    let publishedAtMilliseconds: Double
    let shipIndex: [ShipID: Int]
    let shipsByOwner: [PlayerID: [Int]]
    let bodyIndex: [String: Int]
    let encodedBodies: [UInt8]

    init(frame: WorldFrame) {
        self.frame = frame
        publishedAtMilliseconds = (Date().timeIntervalSince1970 * 1000).rounded()
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
        var writer = JSONWriter(capacity: frame.bodies.count * 140)
        writer.raw("[")
        for (k, body) in frame.bodies.enumerated() {
            if k > 0 { writer.raw(",") }
            let (p, v) = (body.position, body.velocity)
            writer.numbers(p.x, p.y, p.z, v.x, v.y, v.z)
        }
        writer.raw("]")
        encodedBodies = writer.bytes
    }

    func ship(_ id: ShipID) -> ShipSnapshot? { shipIndex[id].map { frame.ships[$0] } }

    /// Position of a view's focus at this frame (m, ICRF barycentric).
    func position(of focus: ViewRequest.Focus) -> SIMD3<Double>? {
        switch focus {
        case .body(let name): return bodyIndex[name].map { frame.bodies[$0].position }
        case .ship(let id): return ship(id)?.position
        }
    }
}

/// Public JSON of the ships visible to some client in this frame, with and without their static fields
/// (name, kind, owner), encoded once for all clients. Ships outside every view are not encoded.
struct ShipFragments: Sendable {
    let withStatic: [[UInt8]]
    let dynamic: [[UInt8]]

    init(ships: [ShipSnapshot], needed: [Bool], workers: Int) {
        var withStatic = [[UInt8]](repeating: [], count: ships.count)
        var dynamic = [[UInt8]](repeating: [], count: ships.count)
        let slices = ships.count >= 2048 ? workers : 1
        withStatic.withUnsafeMutableBufferPointer { full in
            dynamic.withUnsafeMutableBufferPointer { partial in
                let outputs = (UnsafeSendable(full), UnsafeSendable(partial))
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    for i in stride(from: slice, to: ships.count, by: slices) where needed[i] {
                        outputs.0.value[i] = StateEncoder.publicShip(ships[i], includeStatic: true)
                        outputs.1.value[i] = StateEncoder.publicShip(ships[i], includeStatic: false)
                    }
                }
            }
        }
        self.withStatic = withStatic
        self.dynamic = dynamic
    }
}

/// A value the code vouches for across threads: each slice writes disjoint elements.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

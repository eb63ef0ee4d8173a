/// Lookups over one published frame shared by every client's encoding: ships by id and by owner, and
/// the bodies' part of the state message, encoded once.
struct FrameIndex: Sendable {
    let frame: WorldFrame
    let shipIndex: [ShipID: Int]
    let shipsByOwner: [PlayerID: [Int]]
    let bodyIndex: [String: Int]
    let encodedBodies: [UInt8]

    init(frame: WorldFrame) {
        self.frame = frame
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
            writer.raw("[")
            writer.number(body.position.x)
            writer.raw(",")
            writer.number(body.position.y)
            writer.raw(",")
            writer.number(body.position.z)
            writer.raw(",")
            writer.number(body.velocity.x)
            writer.raw(",")
            writer.number(body.velocity.y)
            writer.raw(",")
            writer.number(body.velocity.z)
            writer.raw("]")
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

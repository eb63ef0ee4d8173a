import Foundation

extension World {
    /// Adds `count` ships on varied orbits about Earth, the Moon, Mars, Venus, Jupiter and the Sun, from
    /// a fixed seed so that runs are repeatable: circular-to-moderately-eccentric, any inclination,
    /// periapsis at least 200 km above the surface (Jupiter: 20,000 km; Sun: 0.3 AU).
    @discardableResult
    public func addGeneratedShips(_ count: Int, seed: UInt64 = 0x6a1a_c715) throws -> [ShipID] {
        let hosts: [(body: String, minimumPeriapsis: Double)] = [
            ("Earth", 200e3), ("Moon", 200e3), ("Mars", 200e3), ("Venus", 200e3), ("Jupiter", 20_000e3),
            ("Sun", 0.3 * 1.495978707e11),
        ]
        let present = hosts.compactMap { host in bodyIndex(named: host.body).map { (index: $0, host.minimumPeriapsis) } }
        guard !present.isEmpty else { throw WorldError.unknownBody("none of \(hosts.map(\.body)) is in this world") }
        var random = SplitMix64(seed: seed)
        var ids: [ShipID] = []
        ids.reserveCapacity(count)
        for k in 0..<count {
            let (body, minimumPeriapsis) = present[k % present.count]
            let periapsis = bodyRadius(body) + minimumPeriapsis * (1 + 3 * random.nextUnit())
            let e = 0.3 * random.nextUnit() * random.nextUnit()
            let elements = OrbitalElements(
                semiMajorAxisMeters: periapsis / (1 - e), eccentricity: e, inclination: .pi * random.nextUnit(),
                rightAscensionOfAscendingNode: 2 * .pi * random.nextUnit(), argumentOfPeriapsis: 2 * .pi * random.nextUnit(),
                trueAnomaly: 2 * .pi * random.nextUnit())
            ids.append(try addShip(name: "Ship-\(k + 1)", about: bodyNames[body], elements: elements))
        }
        return ids
    }
}

/// Steele, Lea and Flood's SplitMix64 generator: small, fast and the same on every platform.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

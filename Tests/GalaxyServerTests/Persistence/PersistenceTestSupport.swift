import Foundation
import Testing

@testable import GalaxyServer

/// A database that one test owns: it opens stores on the same data (to check durability across a
/// reopen) and can overwrite a stored snapshot's payload the way a damaged disk or a bug would.
protocol PersistenceFixture: Sendable {
    func openStore(logger: Logger) throws -> any GameStore
    func overwriteSnapshotPayload(id: Int64, json: String) throws
}

/// Worlds, log capture and comparisons shared by the persistence tests.
enum PersistenceSupport {
    /// Builds a world with stations and ships in several modes, advanced a few ticks so that attitude, fuel,
    /// rates and primaries are no longer their initial values. Returns it with an owner for each ship.
    static func makeWorld() throws -> (world: World, owners: [ShipID: PlayerID]) {
        let world = World(catalog: try SolarSystemCatalog.standard(), workerCount: 1)
        let stations = try world.addStandardStations()
        var owners: [ShipID: PlayerID] = [:]
        let orbits: [(String, Double, Double)] = [("Earth", 7_000_000, 0.2), ("Moon", 2_000_000, 1.1), ("Mars", 4_000_000, 0.4)]
        for (index, (body, radius, inclination)) in orbits.enumerated() {
            let elements = OrbitalElements(
                semiMajorAxisMeters: radius, eccentricity: 0.01 * Double(index + 1), inclination: inclination,
                rightAscensionOfAscendingNode: 0.3, argumentOfPeriapsis: 0.2, trueAnomaly: Double(index))
            let owner = PlayerID(100 + index)
            let id = try world.addShip(name: "Ship \(index)", about: body, elements: elements, owner: owner)
            owners[id] = owner
        }
        let ids = world.shipIDs.filter { owners[$0] != nil }
        try world.apply(SteeringCommand(shipID: ids[0], attitudeMode: .prograde, throttle: 0.5))
        try world.apply(SteeringCommand(shipID: ids[1], target: .ship(stations[2]), rcs: SIMD3(0.5, -0.25, 0)))
        try world.apply(SteeringCommand(shipID: ids[2], rotationRate: SIMD3(0.01, 0, -0.02)))
        for _ in 0..<5 { try world.step(seconds: 10) }
        return (world, owners)
    }

    /// Builds a snapshot with the given tick, for tests about which snapshot a store picks.
    static func snapshot(tick: UInt64) throws -> WorldSnapshot {
        let (world, owners) = try makeWorld()
        var snapshot = world.snapshot(owners: owners)
        snapshot.tick = tick
        return snapshot
    }

    /// Copies `json` with one ship's fuel changed, leaving the stored checksum as it was.
    static func tamperedPayload(_ json: Data) throws -> String {
        var snapshot = try JSONDecoder().decode(WorldSnapshot.self, from: json)
        snapshot.ships[0].fuelKg += 1
        return String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self)
    }

    /// Creates a new empty directory under the system's temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("galaxy-persistence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Collects log lines so that a test can check what was logged.
final class LogCapture: @unchecked Sendable {
    // `captured` is only touched with `lock` held.
    private let lock = NSLock()
    private var captured: [String] = []

    var logger: Logger {
        Logger(label: "test", minimumLevel: .debug) { [self] line in lock.withLock { captured.append(line) } }
    }

    var lines: [String] { lock.withLock { captured } }

    func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}

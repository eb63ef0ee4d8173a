import Foundation
import Testing

@testable import GalaxyServer

@Suite("Persistence: world snapshots")
struct PersistenceSnapshotTests {
    @Test func fnv1aMatchesReferenceValues() {
        // The empty input gives the FNV-1a 64-bit offset basis; the others are the widely published values.
        #expect(WorldSnapshot.fnv1a64(Data()) == 0xcbf2_9ce4_8422_2325)
        #expect(WorldSnapshot.fnv1a64(Data("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(WorldSnapshot.fnv1a64(Data("foobar".utf8)) == 0x8594_4171_f739_67e8)
        #expect(WorldSnapshot.checksumString(of: Data()) == "fnv1a64:cbf29ce484222325")
    }

    @Test func sealedSnapshotVerifies() throws {
        let snapshot = try PersistenceSupport.snapshot(tick: 7)
        #expect(snapshot.checksum == nil)
        let (sealed, json) = try snapshot.sealed()
        #expect(sealed.checksum == (try snapshot.computeChecksum()))
        let decoded = try WorldSnapshot.decodeVerified(json)
        #expect(decoded == sealed)
        #expect(try snapshot.canonicalJSON() == (try sealed.canonicalJSON()))
    }

    @Test func canonicalJSONUsesSnakeCaseKeys() throws {
        let json = String(decoding: try PersistenceSupport.snapshot(tick: 7).canonicalJSON(), as: UTF8.self)
        for key in ["\"format_version\":1", "\"game_time_s\"", "\"position_m\"", "\"attitude_wxyz\"", "\"owner_player_id\"", "\"primary_body\""] {
            #expect(json.contains(key), "missing \(key)")
        }
        #expect(!json.contains("\"checksum\""))
        #expect(!json.contains("\": "), "no space after a key")
        #expect(!json.contains(", "), "no space after a comma")
        #expect(!json.contains("\n"))
    }

    @Test func tamperedSnapshotFailsChecksum() throws {
        let (_, json) = try PersistenceSupport.snapshot(tick: 7).sealed()
        let tampered = Data(try PersistenceSupport.tamperedPayload(json).utf8)
        #expect {
            try WorldSnapshot.decodeVerified(tampered)
        } throws: { error in
            guard case SnapshotError.checksumMismatch = error else { return false }
            return true
        }
    }

    @Test func unsealedSnapshotIsRejected() throws {
        let json = try PersistenceSupport.snapshot(tick: 7).canonicalJSON()
        #expect(throws: SnapshotError.missingChecksum) { try WorldSnapshot.decodeVerified(json) }
        #expect(throws: SnapshotError.self) { try WorldSnapshot.decodeVerified(Data("{\"tick\":".utf8)) }
    }

    @Test func unknownFormatVersionIsRejected() throws {
        var snapshot = try PersistenceSupport.snapshot(tick: 7)
        snapshot.formatVersion = 99
        let json = try JSONEncoder().encode(snapshot)
        #expect(throws: SnapshotError.unsupportedFormat(99)) { try WorldSnapshot.decodeVerified(json) }
    }

    @Test func negativeZeroBecomesPositive() throws {
        var snapshot = try PersistenceSupport.snapshot(tick: 7)
        snapshot.ships[0].rcs = SIMD3(-0.0, 0.5, -0.0)
        snapshot.bodies[0].velocity.x = -0.0
        let (sealed, json) = try snapshot.sealed()
        #expect(sealed.ships[0].rcs.x.sign == .plus)
        #expect(sealed.ships[0].rcs.y == 0.5)
        #expect(sealed.bodies[0].velocity.x.sign == .plus)
        // PostgreSQL's JSONB prints numbers its own way; the checksum still matches after decoding.
        let respaced = String(decoding: json, as: UTF8.self).replacingOccurrences(of: ",", with: ", ")
        #expect(try WorldSnapshot.decodeVerified(Data(respaced.utf8)) == sealed)
    }

    @Test func nonFiniteSnapshotIsNotStorable() throws {
        var snapshot = try PersistenceSupport.snapshot(tick: 7)
        snapshot.ships[0].fuelKg = .nan
        #expect(throws: SnapshotError.self) { try snapshot.sealed() }
        #expect(throws: StoreError.self) { try sealForStorage(snapshot) }
    }

    @Test func restoreRejectsOtherEpoch() throws {
        let (world, owners) = try PersistenceSupport.makeWorld()
        var snapshot = world.snapshot(owners: owners)
        snapshot.epoch.isoTDB = "2030-01-01T00:00:00"
        #expect(throws: SnapshotError.self) { try World.restore(from: snapshot, catalog: world.catalog) }
    }

    @Test func restoreRejectsOtherBodies() throws {
        let (world, owners) = try PersistenceSupport.makeWorld()
        var snapshot = world.snapshot(owners: owners)
        snapshot.bodies.removeLast()
        #expect(throws: SnapshotError.self) { try World.restore(from: snapshot, catalog: world.catalog) }
    }

    @Test func restoreRejectsDuplicateShipID() throws {
        let (world, owners) = try PersistenceSupport.makeWorld()
        var snapshot = world.snapshot(owners: owners)
        snapshot.ships.append(snapshot.ships[0])
        #expect(throws: SnapshotError.incompatible("ship id \(snapshot.ships[0].id) appears twice")) {
            try World.restore(from: snapshot, catalog: world.catalog)
        }
    }

    @Test func restoreRejectsUnknownPrimary() throws {
        let (world, owners) = try PersistenceSupport.makeWorld()
        var snapshot = world.snapshot(owners: owners)
        snapshot.ships[1].primaryBody = "Vulcan"
        #expect(throws: SnapshotError.self) { try World.restore(from: snapshot, catalog: world.catalog) }
    }

    @Test func restoreKeepsTargetsAndConditions() throws {
        let (world, owners) = try PersistenceSupport.makeWorld()
        let snapshot = world.snapshot(owners: owners)
        let restored = try World.restore(from: snapshot, catalog: world.catalog)
        let original = world.snapshot(owners: owners).ships
        #expect(original.contains { $0.target != nil }, "fixture has a ship in target mode")
        #expect(original.contains { $0.kind == .station }, "fixture has stations")
        #expect(restored.snapshot(owners: owners).ships == original)
        #expect(restored.shipIDs == world.shipIDs)
    }

    @Test func durableFileReplacesContents() throws {
        let directory = try PersistenceSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("world.json")
        try DurableFile.write(Data("first".utf8), to: file)
        try DurableFile.write(Data("second".utf8), to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["world.json"])
    }

    @Test func durableFileReportsMissingDirectory() throws {
        let directory = try PersistenceSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("missing/world.json")
        #expect(throws: DurableFile.WriteError.self) { try DurableFile.write(Data("x".utf8), to: file) }
    }
}

import Foundation
import Testing

@testable import GalaxyServer

/// The checks every `GameStore` must pass. Each backend's suite runs them on its own fixture.
enum PersistenceContract {
    static func playerCreationIsDurable(_ fixture: some PersistenceFixture) throws {
        let logs = LogCapture()
        var created: PlayerRecord
        do {
            let store = try fixture.openStore(logger: logs.logger)
            created = try store.createPlayer(username: "Alice", passwordHash: "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA")
            #expect(created.username == "Alice")
            #expect(created.id > 0)
        }
        // A new store on the same database reads what the first one committed.
        let reopened = try fixture.openStore(logger: logs.logger)
        let byName = try reopened.player(byUsername: "Alice")
        #expect(byName == created)
        let byID = try reopened.player(id: created.id)
        #expect(byID == created)
        let caseInsensitive = try reopened.player(byUsername: "ALICE")
        #expect(caseInsensitive?.id == created.id)
        #expect(try reopened.player(byUsername: "bob") == nil)
        #expect(try reopened.player(id: created.id + 1000) == nil)
    }

    static func duplicateUsernameIsRejected(_ fixture: some PersistenceFixture) throws {
        let store = try fixture.openStore(logger: LogCapture().logger)
        let first = try store.createPlayer(username: "carol", passwordHash: "hash-1")
        #expect(throws: StoreError.duplicateUsername("carol")) {
            try store.createPlayer(username: "carol", passwordHash: "hash-2")
        }
        #expect(throws: StoreError.duplicateUsername("Carol")) {
            try store.createPlayer(username: "Carol", passwordHash: "hash-3")
        }
        #expect(StoreError.duplicateUsername("carol").description == "username 'carol' is already taken; choose another")
        #expect(try store.player(byUsername: "carol")?.passwordHash == "hash-1")
        #expect(throws: StoreError.self) { try store.createPlayer(username: "", passwordHash: "hash") }
        // A deleted player's name can be registered again, with a new id.
        #expect(try store.deletePlayer(id: first.id))
        #expect(try store.deletePlayer(id: first.id) == false)
        let second = try store.createPlayer(username: "carol", passwordHash: "hash-4")
        #expect(second.id != first.id)
    }

    static func sessionsExpire(_ fixture: some PersistenceFixture) throws {
        let store = try fixture.openStore(logger: LogCapture().logger)
        let player = try store.createPlayer(username: "dave", passwordHash: "hash")
        let now = Date()
        let token = Data((0..<32).map { UInt8($0) })
        let created = try store.createSession(tokenHash: token, playerID: player.id, expiresAt: now.addingTimeInterval(60))
        #expect(created.playerID == player.id)

        let found = try store.session(tokenHash: token, at: now)
        #expect(found == created)
        let withPlayer = try store.sessionWithPlayer(tokenHash: token, at: now)
        #expect(withPlayer?.session == created)
        #expect(withPlayer?.player == player)
        #expect(try store.sessionWithPlayer(tokenHash: token, at: now.addingTimeInterval(61)) == nil)
        #expect(try store.sessionWithPlayer(tokenHash: Data([9, 9, 9]), at: now) == nil)
        #expect(try store.session(tokenHash: token) != nil)
        #expect(try store.session(tokenHash: token, at: now.addingTimeInterval(61)) == nil)
        #expect(try store.session(tokenHash: Data([9, 9, 9]), at: now) == nil)

        let expiredToken = Data([1, 2, 3])
        try store.createSession(tokenHash: expiredToken, playerID: player.id, expiresAt: now.addingTimeInterval(-1))
        #expect(try store.session(tokenHash: expiredToken, at: now) == nil)
        #expect(try store.deleteExpiredSessions(before: now) == 1)
        #expect(try store.session(tokenHash: token, at: now) != nil)

        #expect(try store.deleteSession(tokenHash: token))
        #expect(try store.deleteSession(tokenHash: token) == false)
        #expect(try store.session(tokenHash: token, at: now) == nil)

        #expect(throws: StoreError.playerNotFound(player.id + 1000)) {
            try store.createSession(tokenHash: Data([7]), playerID: player.id + 1000, expiresAt: now.addingTimeInterval(60))
        }
    }

    static func deletingPlayerDeletesSessions(_ fixture: some PersistenceFixture) throws {
        let store = try fixture.openStore(logger: LogCapture().logger)
        let player = try store.createPlayer(username: "erin", passwordHash: "hash")
        let token = Data([4, 5, 6])
        try store.createSession(tokenHash: token, playerID: player.id, expiresAt: Date().addingTimeInterval(60))
        #expect(try store.deletePlayer(id: player.id))
        #expect(try store.session(tokenHash: token) == nil)
        #expect(try store.sessionWithPlayer(tokenHash: token, at: Date()) == nil)
        #expect(try store.player(id: player.id) == nil)
    }

    static func snapshotRoundTripRestoresWorld(_ fixture: some PersistenceFixture) throws {
        let store = try fixture.openStore(logger: LogCapture().logger)
        let (world, owners) = try PersistenceSupport.makeWorld()
        let original = world.snapshot(owners: owners)
        let info = try store.saveSnapshot(original)
        #expect(info.tick == world.tick)

        let loaded = try #require(try store.latestSnapshot())
        #expect(loaded.checksum == info.checksum)
        let restored = try World.restore(from: loaded, catalog: world.catalog, workerCount: 1)
        #expect(restored.allShips() == world.allShips())
        #expect(restored.tick == world.tick)
        #expect(restored.elapsedSeconds == world.elapsedSeconds)
        for body in 0..<world.bodyNames.count {
            #expect(restored.bodyState(body) == world.bodyState(body), "body \(world.bodyNames[body])")
        }
        var reloaded = restored.snapshot(owners: owners)
        reloaded.checksum = loaded.checksum
        #expect(reloaded == loaded)
        let restoredOwners = Dictionary(uniqueKeysWithValues: loaded.ships.compactMap { ship in ship.ownerPlayerID.map { (ship.id, $0) } })
        #expect(restoredOwners == owners)

        // Both worlds go on identically, so nothing the integrator reads was lost.
        for _ in 0..<3 {
            try world.step(seconds: 10)
            try restored.step(seconds: 10)
        }
        #expect(restored.allShips() == world.allShips())
        let newShip = try restored.addShip(name: "After restore", position: SIMD3(1e12, 0, 0), velocity: .zero)
        #expect(newShip >= loaded.nextShipID)
    }

    static func newestSnapshotIsChosen(_ fixture: some PersistenceFixture) throws {
        let logs = LogCapture()
        let store = try fixture.openStore(logger: logs.logger)
        #expect(try store.latestSnapshot() == nil)
        let base = try PersistenceSupport.snapshot(tick: 0)
        for tick in [10, 20, 30] as [UInt64] {
            var snapshot = base
            snapshot.tick = tick
            try store.saveSnapshot(snapshot)
        }
        #expect(try store.latestSnapshot()?.tick == 30)
        #expect(logs.contains("loaded newest snapshot"))
        // A restart from an older snapshot makes ticks go back; the newest row still wins.
        var rewound = base
        rewound.tick = 15
        try store.saveSnapshot(rewound)
        #expect(try store.latestSnapshot()?.tick == 15)
    }

    static func oldSnapshotsArePruned(_ fixture: some PersistenceFixture) throws {
        let store = try fixture.openStore(logger: LogCapture().logger)
        var snapshot = try PersistenceSupport.snapshot(tick: 0)
        for tick in 1...(defaultSnapshotRetention + 3) {
            snapshot.tick = UInt64(tick)
            try store.saveSnapshot(snapshot)
        }
        let ticks = try store.snapshotInfos().map(\.tick)
        #expect(ticks == (4...(defaultSnapshotRetention + 3)).reversed().map(UInt64.init))
    }

    static func damagedNewestFallsBackToPrevious(_ fixture: some PersistenceFixture) throws {
        let logs = LogCapture()
        let store = try fixture.openStore(logger: logs.logger)
        var snapshot = try PersistenceSupport.snapshot(tick: 10)
        try store.saveSnapshot(snapshot)
        snapshot.tick = 20
        let newest = try store.saveSnapshot(snapshot)

        let (_, json) = try snapshot.sealed()
        try fixture.overwriteSnapshotPayload(id: newest.id, json: try PersistenceSupport.tamperedPayload(json))
        let loaded = try #require(try store.latestSnapshot())
        #expect(loaded.tick == 10)
        #expect(logs.contains("skipping damaged snapshot"))
        #expect(logs.contains("snapshot_id=\(newest.id)"))
        #expect(logs.contains("loaded an older snapshot after skipping damaged ones"))
    }

    static func allSnapshotsDamagedIsAnError(_ fixture: some PersistenceFixture) throws {
        let store = try fixture.openStore(logger: LogCapture().logger)
        let snapshot = try PersistenceSupport.snapshot(tick: 10)
        let info = try store.saveSnapshot(snapshot)
        let (_, json) = try snapshot.sealed()
        try fixture.overwriteSnapshotPayload(id: info.id, json: try PersistenceSupport.tamperedPayload(json))
        #expect(throws: StoreError.noValidSnapshot(checked: 1)) { try store.latestSnapshot() }
    }

    static func migrationIsRepeatable(_ fixture: some PersistenceFixture) throws {
        let store = try fixture.openStore(logger: LogCapture().logger)
        let player = try store.createPlayer(username: "frank", passwordHash: "hash")
        try store.migrate()
        try store.migrate()
        try store.ping()
        #expect(try store.player(id: player.id) == player)
    }
}

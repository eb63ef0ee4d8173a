import Foundation
import GalaxyServer

/// The gateway's per-frame broadcast work (frame index, client views, shared fragments, per-client
/// encoding) without a transport. One workload has 10,000 ships and 1,000 clients that each look at the
/// default 1,000 km about their own ship. The other has 1,000 ships and 1,000 clients that each see
/// every ship. Frames come from a running engine, one 1 s tick apart, so ships move in and out of views
/// and clients get delta frames with a full one every 30th (staggered across clients).
enum BroadcastBench {
    static let warmupFrames = 3
    static let timedFrames = 45

    struct Workload {
        var name: String
        var ships: Int
        var radiusMeters: Double
        /// Clients take compressed state (`encoding=deflate`).
        var deflate = false
        /// Clients take binary state (`encoding=binary`).
        var binary = false
    }

    static let workloads = [
        Workload(name: "views_10k_ships", ships: 10_000, radiusMeters: 1_000_000),
        Workload(name: "all_1k_ships", ships: 1_000, radiusMeters: 1e13),
        Workload(name: "all_1k_ships_deflate", ships: 1_000, radiusMeters: 1e13, deflate: true),
        Workload(name: "views_10k_ships_binary", ships: 10_000, radiusMeters: 1_000_000, binary: true),
        Workload(name: "all_1k_ships_binary", ships: 1_000, radiusMeters: 1e13, binary: true),
    ]

    static func run(catalog: SolarSystemCatalog, digestOnly: Bool = false) throws {
        // GALAXY_BROADCAST_WORKLOAD=name runs one workload, for profiling.
        let only = ProcessInfo.processInfo.environment["GALAXY_BROADCAST_WORKLOAD"]
        for workload in workloads where only == nil || only == workload.name {
            try measure(workload, catalog: catalog, digestOnly: digestOnly)
        }
    }

    /// Returns the frame index of the ship of connected player `player + 1`. These ships are spread over
    /// the generated fleet's host bodies, and every other ship belongs to an offline player.
    static func clientShipIndex(_ player: Int, ships: Int) -> Int {
        ships <= 1_000 ? player : player * 10 + player % 10
    }

    static func measure(_ workload: Workload, catalog: SolarSystemCatalog, digestOnly: Bool) throws {
        let world = World(catalog: catalog)
        let ids = try world.addGeneratedShips(workload.ships)
        let engine = try TickEngine(world: world, logger: Logger(label: "bench", minimumLevel: .error))
        let latest = FrameSlot()
        engine.onFrame { latest.store($0) }
        let clientCount = 1_000
        var owners = (0..<workload.ships).map { PlayerID(clientCount + 1 + $0) }
        var clients: [BroadcastBenchmark.Client] = []
        for player in 0..<clientCount {
            let k = clientShipIndex(player, ships: workload.ships)
            owners[k] = PlayerID(player + 1)
            var client = BroadcastBenchmark.Client(player: PlayerID(player + 1), ship: ids[k], radiusMeters: workload.radiusMeters)
            client.deflate = workload.deflate
            client.binary = workload.binary
            clients.append(client)
        }
        let ownerByID = Dictionary(uniqueKeysWithValues: zip(ids, owners))
        let benchmark = BroadcastBenchmark(clients: clients)

        func nextFrame() -> WorldFrame {
            engine.runTick()
            var frame = latest.take()!
            for k in frame.ships.indices { frame.ships[k].owner = ownerByID[frame.ships[k].id] }
            // A fixed clock makes the messages, and so the digest, the same on every run.
            frame.wallClockMilliseconds = 1_796_400_000_000 + Double(frame.tick) * 1_000
            return frame
        }

        // Frames are made before any timing, so that the engine's threads (OpenBLAS's among them, which
        // spin for a while after each call) are idle while the broadcast runs.
        let frameCount = digestOnly ? 32 : warmupFrames + timedFrames
        let frames = (0..<frameCount).map { _ in nextFrame() }
        Thread.sleep(forTimeInterval: 1)

        if digestOnly {
            // 32 frames: every client gets a full frame (every 30th) and many deltas.
            var digest: UInt64 = 0
            var bytes = 0
            for frame in frames {
                let t = benchmark.run(frame, digest: true)
                digest = (digest ^ t.digest) &* 0x100_0000_01b3
                bytes += t.bytes
            }
            emit(["bench": "broadcast_digest", "workload": workload.name, "digest": String(digest, radix: 16), "bytes": bytes])
            return
        }

        for frame in frames.prefix(warmupFrames) { _ = benchmark.run(frame) }
        let samples = frames.dropFirst(warmupFrames).map { benchmark.run($0) }

        func median(_ value: (BroadcastBenchmark.Timings) -> Double) -> Double { Measurement(samples: samples.map(value)).median * 1e3 }
        let bytesPerMessage = Double(samples.map(\.bytes).reduce(0, +)) / Double(samples.count * clientCount)
        emit([
            "bench": "broadcast", "workload": workload.name, "ships": workload.ships, "clients": clientCount,
            "frames": timedFrames, "bytes_per_message": bytesPerMessage.rounded(),
            "index_ms": median(\.index.wall), "views_ms": median(\.views.wall), "fragments_ms": median(\.fragments.wall),
            "clients_ms": median(\.clients.wall), "total_ms": median(\.total.wall),
            "index_cpu_ms": median(\.index.cpu), "views_cpu_ms": median(\.views.cpu),
            "fragments_cpu_ms": median(\.fragments.cpu), "clients_cpu_ms": median(\.clients.cpu),
            "total_cpu_ms": median(\.total.cpu),
            "client_cpu_us": median(\.clients.cpu) * 1e3 / Double(clientCount),
        ])
    }

    /// The frame the engine published last, handed from its frame handler to the benchmark loop.
    final class FrameSlot: @unchecked Sendable {
        private let lock = NSLock()
        private var frame: WorldFrame?

        func store(_ frame: WorldFrame) { lock.withLock { self.frame = frame } }
        func take() -> WorldFrame? { lock.withLock { defer { frame = nil }; return frame } }
    }
}

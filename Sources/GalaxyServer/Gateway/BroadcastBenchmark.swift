import Foundation
import Synchronization

/// Runs the broadcaster's per-frame work for a fixed set of clients without a transport, so that
/// GalaxyBench can time its steps on the same code path the server takes.
public final class BroadcastBenchmark {
    /// A connected player who owns `ship` and looks at the sphere of `radiusMeters` about it.
    public struct Client: Sendable {
        public var player: PlayerID
        public var ship: ShipID
        public var radiusMeters: Double
        /// Takes compressed state messages.
        public var deflate = false
        /// Takes binary state messages (ignored with `deflate`).
        public var binary = false

        public init(player: PlayerID, ship: ShipID, radiusMeters: Double) {
            self.player = player
            self.ship = ship
            self.radiusMeters = radiusMeters
        }
    }

    /// Wall-clock and process CPU seconds of each step of one frame, and what it produced.
    public struct Timings: Sendable {
        public var index = (wall: 0.0, cpu: 0.0)
        public var views = (wall: 0.0, cpu: 0.0)
        public var fragments = (wall: 0.0, cpu: 0.0)
        public var clients = (wall: 0.0, cpu: 0.0)
        public var total = (wall: 0.0, cpu: 0.0)
        public var bytes = 0
        /// FNV-1a hash of every client's message in connection order, or 0 when not requested.
        public var digest: UInt64 = 0
    }

    private var sessions: [ClientSession]

    /// Sessions start at staggered points of the full-frame cycle, as clients that connected at
    /// different times would be, so that a run of frames mixes full and delta frames.
    public init(clients: [Client]) {
        sessions = clients.enumerated().map { k, client in
            let record = PlayerRecord(id: client.player, username: "player\(client.player)", passwordHash: "", createdAt: Date())
            var session = ClientSession(connectionID: UInt64(k + 1), player: record)
            session.view = ViewRequest(focus: .ship(client.ship), radiusMeters: client.radiusMeters)
            if client.deflate {
                session.encoding = .deflate
            } else if client.binary {
                session.encoding = .binary
            }
            session.framesSinceFull = k % ClientSession.fullFrameInterval
            return session
        }
    }

    /// Encodes `frame` for every client, advancing their delta state, and returns the timings.
    public func run(_ frame: WorldFrame, digest: Bool = false) -> Timings {
        var timings = Timings()
        let cpuStart = Broadcaster.processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let index = FrameIndex(frame: frame)
        timings.index = (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, Broadcaster.processCPUSeconds() - cpuStart)
        let messages = Mutex<[UInt64: [UInt8]]>([:])
        var phases = Broadcaster.Phases()
        var inspect: (@Sendable (UInt64, [UInt8]) -> Void)?
        if digest { inspect = { id, bytes in messages.withLock { $0[id] = bytes } } }
        let (updated, bytes) = Broadcaster.encode(index, clients: sessions, transport: nil, phases: &phases, inspect: inspect)
        timings.total = (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, Broadcaster.processCPUSeconds() - cpuStart)
        timings.views = phases.views
        timings.fragments = phases.fragments
        timings.clients = phases.clients
        timings.bytes = bytes
        sessions = updated.sorted { $0.connectionID < $1.connectionID }
        if digest {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for (_, message) in messages.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
                for byte in message { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
            timings.digest = hash
        }
        return timings
    }
}

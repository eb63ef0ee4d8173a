import CGateway
import Dispatch
import Foundation
import Synchronization

/// Encodes each published frame for every client on its own thread and queues it on the transport.
/// The ships' public JSON is encoded once per frame into buffers that every client's message refers
/// to, so a client costs its own ships, its delta bookkeeping and a few queue entries.
/// Frames that arrive while one is being encoded replace each other, so a slow broadcast skips frames
/// instead of delaying the tick.
final class Broadcaster: @unchecked Sendable {
    struct Stats: Sendable {
        var lastDurationSeconds = 0.0
        var lastBytes = 0
        var lastClients = 0
        var framesSkipped: UInt64 = 0
    }

    private let pending = Mutex<WorldFrame?>(nil)
    private let wake = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    let stats = Mutex(Stats())
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func start(gateway: GatewayServer) {
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            while true {
                wake.wait()
                guard running.load(ordering: .acquiring) else { break }
                guard let frame = pending.withLock({ frame in defer { frame = nil }; return frame }) else { continue }
                broadcast(frame, gateway: gateway)
            }
            done.signal()
        }
        thread.name = "galaxy-broadcast"
        thread.start()
    }

    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        done.wait()
    }

    func submit(_ frame: WorldFrame) {
        let replaced = pending.withLock { slot in
            defer { slot = frame }
            return slot != nil
        }
        if replaced { stats.withLock { $0.framesSkipped += 1 } }
        wake.signal()
    }

    private func broadcast(_ frame: WorldFrame, gateway: GatewayServer) {
        let started = DispatchTime.now().uptimeNanoseconds
        let index = FrameIndex(frame: frame)
        gateway.latestFrame.withLock { $0 = index }
        let clients = gateway.sessions.withLock { Array($0.values) }
        var phases = Phases()
        if let transport = gateway.transport { gw_frame_begin(transport) }
        let (updated, bytes) = Broadcaster.encode(index, clients: clients, transport: gateway.transport, phases: &phases)
        if let transport = gateway.transport { gw_frame_end(transport) }
        gateway.sessions.withLock { all in
            for session in updated {
                all[session.connectionID]?.knownShips = session.knownShips
                all[session.connectionID]?.framesSinceFull = session.framesSinceFull
            }
        }
        deliverEvents(frame.events, index: index, gateway: gateway)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        stats.withLock { s in
            s.lastDurationSeconds = seconds
            s.lastBytes = bytes
            s.lastClients = clients.count
        }
    }

    /// Wall-clock and process CPU seconds of the steps of `encode`.
    struct Phases {
        var views = (wall: 0.0, cpu: 0.0)
        var fragments = (wall: 0.0, cpu: 0.0)
        var clients = (wall: 0.0, cpu: 0.0)
    }

    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Encodes one frame for `clients` and queues each message on `transport` (nothing is sent when it is
    /// nil). Returns the sessions with their delta bookkeeping advanced, in no particular order, and the
    /// total message bytes as sent (compressed where a client asked for it). `inspect`, when given,
    /// receives each client's whole message as sent, for tests and benchmarks that compare bytes. It is
    /// called from several threads at once.
    static func encode(
        _ index: FrameIndex, clients: [ClientSession], transport: OpaquePointer?, phases: inout Phases,
        inspect: (@Sendable (_ connectionID: UInt64, _ message: [UInt8]) -> Void)? = nil
    ) -> (sessions: [ClientSession], bytes: Int) {
        var clock = (wall: DispatchTime.now().uptimeNanoseconds, cpu: processCPUSeconds())
        func lap() -> (wall: Double, cpu: Double) {
            let now = (wall: DispatchTime.now().uptimeNanoseconds, cpu: processCPUSeconds())
            defer { clock = now }
            return (Double(now.wall - clock.wall) / 1e9, now.cpu - clock.cpu)
        }
        let workers = ProcessInfo.processInfo.activeProcessorCount
        let chunks = max(1, min(clients.count / 64, workers))
        // Views first, so that only ships some client sees get encoded.
        let visible = Broadcaster.views(index, clients: clients, chunks: chunks)
        // Binary clients take the other ships from the records, and their own ships are written per client,
        // so only text clients' views need JSON fragments.
        let shipCount = index.frame.ships.count
        let binaryViews = zip(clients, visible).filter { $0.0.encoding == .binary }.map(\.1)
        let textViews = zip(clients, visible).filter { $0.0.encoding != .binary }.map(\.1)
        let needed = Broadcaster.neededRanks(textViews, count: shipCount)
        phases.views = lap()
        let fragments = FrameFragments(index: index, needed: needed, workers: workers)
        let deflated = Broadcaster.deflate(fragments, clients: clients, workers: workers)
        let records = binaryViews.isEmpty ? nil : ShipRecords(index: index, needed: Broadcaster.neededRanks(binaryViews, count: shipCount))
        let shared = BroadcastBuffers(fragments, deflated: deflated, records: records)
        phases.fragments = lap()
        let bytes = Atomic<Int>(0)
        let updated = Mutex<[ClientSession]>([])
        let transport = UnsafeSendable(transport)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var results: [ClientSession] = []
            for k in stride(from: chunk, to: clients.count, by: chunks) {
                var session = clients[k]
                let forceFull = transport.value.map { gw_replaceable_pending($0, session.connectionID) != 0 } ?? false
                switch (session.encoding, records) {
                case (.binary, let records?):
                    let message = StateEncoder.binaryState(
                        index, visible: visible[k], fragments: fragments, records: records, for: &session, forceFull: forceFull)
                    if let transport = transport.value { shared.send(message, to: session.connectionID, transport: transport) }
                    inspect?(session.connectionID, message.joined(records))
                    bytes.add(message.count, ordering: .relaxed)
                case (.deflate, _):
                    let message = StateEncoder.state(index, visible: visible[k], fragments: fragments, for: &session, forceFull: forceFull)
                    let stream = DeflatedMessage(message, plain: fragments, deflated: deflated)
                    if let transport = transport.value { shared.send(stream, to: session.connectionID, transport: transport) }
                    inspect?(session.connectionID, stream.joined(deflated))
                    bytes.add(stream.count, ordering: .relaxed)
                default:
                    let message = StateEncoder.state(index, visible: visible[k], fragments: fragments, for: &session, forceFull: forceFull)
                    if let transport = transport.value { shared.send(message, to: session.connectionID, transport: transport) }
                    inspect?(session.connectionID, message.joined(fragments))
                    bytes.add(message.count, ordering: .relaxed)
                }
                results.append(session)
            }
            updated.withLock { $0.append(contentsOf: results) }
        }
        shared.release()
        phases.clients = lap()
        return (updated.withLock { $0 }, bytes.load(ordering: .relaxed))
    }

    /// Compresses the fragments once for all clients that take compressed state, and only when one
    /// does. Ships with their static fields go mostly to clients due a full frame, one in 30 a tick.
    /// Compressing that buffer costs as much as the other, about 5 ms of CPU at 1,000 ships (GalaxyBench).
    /// So it is compressed only when at least a quarter of the compressed clients are due.
    private static func deflate(_ fragments: FrameFragments, clients: [ClientSession], workers: Int) -> DeflatedFragments? {
        let compressed = clients.filter { $0.encoding == .deflate }
        guard !compressed.isEmpty else { return nil }
        let due = compressed.filter { $0.framesSinceFull >= ClientSession.fullFrameInterval }.count
        let kinds: Set<FrameFragments.Kind> = due * 4 >= compressed.count ? [.withStatic, .dynamic] : [.dynamic]
        return DeflatedFragments(fragments, kinds: kinds, workers: workers)
    }

    /// Returns each client's visible ranks, computed in `chunks` parallel slices.
    private static func views(_ index: FrameIndex, clients: [ClientSession], chunks: Int) -> [[Int]] {
        var views = [[Int]](repeating: [], count: clients.count)
        views.withUnsafeMutableBufferPointer { output in
            let slots = UnsafeSendable(output)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for k in stride(from: chunk, to: clients.count, by: chunks) {
                    slots.value[k] = StateEncoder.visibleShips(index, for: clients[k])
                }
            }
        }
        return views
    }

    /// Marks the ranks that at least one view contains. Views of clients that see the same whole grid
    /// share one array (see `FrameGrid.ranks`), which is marked once.
    static func neededRanks(_ views: [[Int]], count: Int) -> [Bool] {
        var needed = [Bool](repeating: false, count: count)
        var marked: UnsafeRawPointer?
        for view in views {
            view.withUnsafeBufferPointer { ranks in
                let storage = ranks.baseAddress.map(UnsafeRawPointer.init)
                guard storage == nil || storage != marked else { return }
                marked = storage
                for rank in ranks { needed[rank] = true }
            }
        }
        return needed
    }

    /// Sends each ship and maneuver event to every connection of the ship's owner.
    private func deliverEvents(_ events: [ShipEvent], index: FrameIndex, gateway: GatewayServer) {
        let maneuverEvents = index.frame.maneuverEvents
        guard !events.isEmpty || !maneuverEvents.isEmpty else { return }
        let connections = gateway.sessions.withLock { all in
            Dictionary(grouping: all.values, by: { $0.player.id }).mapValues { $0.map(\.connectionID) }
        }
        for event in events {
            guard let owner = index.ship(event.shipID)?.owner else { continue }
            for connection in connections[owner] ?? [] { gateway.send(connection, StateEncoder.event(event)) }
        }
        for event in maneuverEvents {
            guard let owner = index.ship(event.shipID)?.owner else { continue }
            for connection in connections[owner] ?? [] { gateway.send(connection, ManeuverEncoder.event(event)) }
        }
    }
}

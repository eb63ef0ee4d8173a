import Foundation

/// The binary form of a `WorldFrame` that the engine publishes to gateways over Redis: everything a
/// gateway needs to build each client's view, deltas and events, plus the engine's tick rate and the
/// wall-clock time it published the frame. Positions keep the frame's meaning (m, ICRF barycentric, at
/// the frame's game time since the catalog epoch, TDB); doubles travel as their exact bit patterns.
enum FrameCodec {
    /// "GXF1", little-endian: bumped whenever the layout changes, so mixed versions refuse each other.
    static let magic: UInt32 = 0x3146_5847

    struct Published: Sendable {
        var frame: WorldFrame
        var tickRateHz: Double
        /// When the engine's publisher thread encoded the frame, Unix ms.
        var publishedAtMilliseconds: Double
    }

    static func encode(_ frame: WorldFrame, tickRateHz: Double, publishedAtMilliseconds: Double) -> [UInt8] {
        var w = ByteWriter(capacity: 256 + frame.bodies.count * 64 + frame.ships.count * 240)
        w.u32(magic)
        w.f64(tickRateHz)
        w.f64(publishedAtMilliseconds)
        w.f64(frame.wallClockMilliseconds)
        w.u64(frame.tick)
        w.f64(frame.gameTimeSeconds)
        status(frame.status, &w)
        w.u32(UInt32(frame.bodies.count))
        for body in frame.bodies {
            w.string(body.name)
            w.vector(body.position)
            w.vector(body.velocity)
        }
        w.u32(UInt32(frame.ships.count))
        for ship in frame.ships { self.ship(ship, &w) }
        w.u32(UInt32(frame.events.count))
        for event in frame.events { self.event(event, &w) }
        w.u32(UInt32(frame.maneuvers.count))
        for (id, progress) in frame.maneuvers.sorted(by: { $0.key < $1.key }) {
            w.u64(id)
            ManeuverCodec.progress(progress, &w)
        }
        w.u32(UInt32(frame.maneuverEvents.count))
        for event in frame.maneuverEvents { ManeuverCodec.event(event, &w) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(FrameDecodingError) -> Published {
        var r = ByteReader(bytes)
        let found = try r.u32()
        guard found == magic else {
            throw FrameDecodingError("not a Galaxy frame of this version (magic \(String(found, radix: 16)))")
        }
        let tickRate = try r.f64()
        let published = try r.f64()
        let wallClock = try r.f64()
        let tick = try r.u64()
        let gameTime = try r.f64()
        let status = try status(&r)

        var bodies: [WorldFrame.Body] = []
        for _ in 0..<(try r.count(minimumBytes: 52)) {
            bodies.append(WorldFrame.Body(name: try r.string(), position: try r.vector(), velocity: try r.vector()))
        }
        var ships: [ShipSnapshot] = []
        let shipCount = try r.count(minimumBytes: 190)
        ships.reserveCapacity(shipCount)
        for _ in 0..<shipCount { ships.append(try ship(&r)) }

        var events: [ShipEvent] = []
        for _ in 0..<(try r.count(minimumBytes: 29)) { events.append(try event(&r)) }
        var maneuvers: [ShipID: ManeuverProgress] = [:]
        for _ in 0..<(try r.count(minimumBytes: 40)) {
            let id = try r.u64()
            maneuvers[id] = try ManeuverCodec.progress(&r)
        }
        var maneuverEvents: [ManeuverEvent] = []
        for _ in 0..<(try r.count(minimumBytes: 40)) { maneuverEvents.append(try ManeuverCodec.event(&r)) }

        guard r.isAtEnd else { throw FrameDecodingError("\(bytes.count - r.offset) bytes after the end of the frame") }
        let frame = WorldFrame(
            tick: tick, gameTimeSeconds: gameTime, bodies: bodies, ships: ships, events: events, maneuvers: maneuvers,
            maneuverEvents: maneuverEvents, status: status, wallClockMilliseconds: wallClock)
        return Published(frame: frame, tickRateHz: tickRate, publishedAtMilliseconds: published)
    }

    private static func status(_ s: EngineStatus, _ w: inout ByteWriter) {
        w.u64(s.tick)
        w.f64(s.gameTimeSeconds)
        w.u8(s.paused ? 1 : 0)
        w.f64(s.requestedWarp)
        w.f64(s.effectiveWarp)
        w.u8(s.degraded ? 1 : 0)
        w.u64(UInt64(max(0, s.ticksBehind)))
        w.u64(s.overruns)
        w.u64(s.skippedTicks)
        w.f64(s.lastTickSeconds)
        w.f64(s.actualRateHz)
    }

    private static func status(_ r: inout ByteReader) throws(FrameDecodingError) -> EngineStatus {
        var s = EngineStatus()
        s.tick = try r.u64()
        s.gameTimeSeconds = try r.f64()
        s.paused = try r.u8() != 0
        s.requestedWarp = try r.f64()
        s.effectiveWarp = try r.f64()
        s.degraded = try r.u8() != 0
        s.ticksBehind = Int(clamping: try r.u64())
        s.overruns = try r.u64()
        s.skippedTicks = try r.u64()
        s.lastTickSeconds = try r.f64()
        s.actualRateHz = try r.f64()
        return s
    }

    private static func ship(_ s: ShipSnapshot, _ w: inout ByteWriter) {
        w.u64(s.id)
        w.string(s.name)
        w.u8(s.kind == .station ? 1 : 0)
        w.u8(s.owner == nil ? 0 : 1)
        w.u64(UInt64(bitPattern: s.owner ?? 0))
        w.vector(s.position)
        w.vector(s.velocity)
        for k in 0..<4 { w.f64(s.attitude[k]) }
        w.vector(s.angularRate)
        w.f64(s.dryMassKg)
        w.f64(s.fuelKg)
        w.f64(s.throttle)
        w.f64(s.thrustNewtons)
        w.vector(s.rcs)
        w.u8(UInt8(AttitudeMode.allCases.firstIndex(of: s.mode)!))
        w.string(s.primary)
        w.u32(s.condition.rawValue)
    }

    private static func ship(_ r: inout ByteReader) throws(FrameDecodingError) -> ShipSnapshot {
        let id = try r.u64()
        let name = try r.string()
        let kind: ShipKind = try r.u8() == 1 ? .station : .ship
        let hasOwner = try r.u8() == 1
        let owner = PlayerID(bitPattern: try r.u64())
        let position = try r.vector(), velocity = try r.vector()
        let attitude = SIMD4(try r.f64(), try r.f64(), try r.f64(), try r.f64())
        let angularRate = try r.vector()
        let dry = try r.f64(), fuel = try r.f64(), throttle = try r.f64(), thrust = try r.f64()
        let rcs = try r.vector()
        let modeIndex = Int(try r.u8())
        guard modeIndex < AttitudeMode.allCases.count else { throw FrameDecodingError("ship \(id): attitude mode \(modeIndex) unknown") }
        return ShipSnapshot(
            id: id, name: name, kind: kind, owner: hasOwner ? owner : nil, position: position, velocity: velocity,
            attitude: attitude, angularRate: angularRate, dryMassKg: dry, fuelKg: fuel, throttle: throttle,
            thrustNewtons: thrust, rcs: rcs, mode: AttitudeMode.allCases[modeIndex], primary: try r.string(),
            condition: ShipCondition(rawValue: try r.u32()))
    }

    private static func event(_ e: ShipEvent, _ w: inout ByteWriter) {
        w.u64(e.shipID)
        w.string(e.kind.rawValue)
        w.u64(e.tick)
        w.f64(e.gameTimeSeconds)
        w.optionalString(e.body)
    }

    private static func event(_ r: inout ByteReader) throws(FrameDecodingError) -> ShipEvent {
        let id = try r.u64()
        let kindName = try r.string()
        guard let kind = ShipEvent.Kind(rawValue: kindName) else { throw FrameDecodingError("ship event kind '\(kindName)' unknown") }
        return ShipEvent(shipID: id, kind: kind, tick: try r.u64(), gameTimeSeconds: try r.f64(), body: try r.optionalString())
    }
}

import Foundation

/// An immutable copy of the world after a tick, handed to the gateway, the snapshot writer and tests.
/// Positions are ICRF barycentric (m), velocities m/s, game time TDB seconds since the catalog epoch.
public struct WorldFrame: Sendable {
    public struct Body: Sendable, Equatable {
        public var name: String
        public var position: SIMD3<Double>
        public var velocity: SIMD3<Double>
    }

    public var tick: UInt64
    public var gameTimeSeconds: Double
    public var bodies: [Body]
    public var ships: [ShipSnapshot]
    public var events: [ShipEvent]
    /// Progress of every active maneuver and the maneuver events of this tick.
    public var maneuvers: [ShipID: ManeuverProgress]
    public var maneuverEvents: [ManeuverEvent]
    public var status: EngineStatus
    /// Wall-clock time the tick that made this frame ended, Unix ms: clients' `server_time_ms`, the
    /// same on the engine's own gateway and on every replica.
    public var wallClockMilliseconds: Double = (Date().timeIntervalSince1970 * 1000).rounded()
}

extension World {
    func frame(
        events: [ShipEvent], maneuvers: [ShipID: ManeuverProgress], maneuverEvents: [ManeuverEvent], status: EngineStatus
    ) -> WorldFrame {
        let bodyFrames = (0..<bodies.count).map { i in
            WorldFrame.Body(name: bodies.names[i], position: bodies.position(i), velocity: bodies.velocity(i))
        }
        return WorldFrame(
            tick: tick, gameTimeSeconds: elapsedSeconds, bodies: bodyFrames, ships: allShips(), events: events,
            maneuvers: maneuvers, maneuverEvents: maneuverEvents, status: status)
    }
}

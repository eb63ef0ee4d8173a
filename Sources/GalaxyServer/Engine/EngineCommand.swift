import Synchronization

/// Work for the tick thread, applied at the start of the next tick in arrival order.
public enum EngineCommand: Sendable {
    case steer(SteeringCommand, reply: (@Sendable (Result<Void, any Error>) -> Void)?)
    /// Starts (or replaces) a ship's maneuver; the reply carries its initial progress or the rejection.
    case maneuver(ShipID, ManeuverGoal, reply: (@Sendable (Result<ManeuverProgress, any Error>) -> Void)?)
    /// Ends a ship's maneuver; the reply is whether it had one.
    case cancelManeuver(ShipID, reply: (@Sendable (Bool) -> Void)?)
    case pause
    case resume
    case setWarp(Double)
    /// Any other change to the world (adding a player's ship, restoring state) made on the tick thread.
    case mutate(@Sendable (World) -> Void)
}

public enum EngineError: Error, Equatable, CustomStringConvertible {
    case queueFull(capacity: Int)
    case invalidWarp(Double, maximum: Double)
    case invalidTickRate(Double)
    case stopped

    public var description: String {
        switch self {
        case .queueFull(let capacity): return "command queue is full (\(capacity) commands); retry later"
        case .invalidWarp(let warp, let maximum): return "time warp must be within [1, \(maximum)], got \(warp)"
        case .invalidTickRate(let rate): return "tick rate must be within (0, 1000] Hz, got \(rate)"
        case .stopped: return "engine is stopped"
        }
    }
}

/// A bounded multi-producer queue drained whole by the tick thread.
final class CommandQueue: Sendable {
    let capacity: Int
    private let items = Mutex<[EngineCommand]>([])

    init(capacity: Int) { self.capacity = capacity }

    func enqueue(_ command: EngineCommand) throws {
        try items.withLock { queue in
            guard queue.count < capacity else { throw EngineError.queueFull(capacity: capacity) }
            queue.append(command)
        }
    }

    func drain() -> [EngineCommand] {
        items.withLock { queue in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
    }

    var depth: Int { items.withLock { $0.count } }
}

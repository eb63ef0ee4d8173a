import CPhysicsKernels
import Dispatch
import Foundation

/// Wall-clock cost of the parts of one `World.step`, in seconds.
public struct StepTimings: Sendable, Equatable {
    public var bodies: Double = 0
    public var attitude: Double = 0
    public var ships: Double = 0
    public var total: Double { bodies + attitude + ships }
}

/// The simulated solar system: bodies, ships and stations, advanced in steps. One owner at a time
/// (the tick thread in the server, the caller in `galaxy simulate`); not thread-safe.
///
/// Positions are ICRF barycentric in metres, velocities in m/s, and `elapsedSeconds` counts TDB seconds
/// since the catalog epoch.
public final class World {
    public let catalog: SolarSystemCatalog
    public var policy: IntegrationPolicy
    /// Threads used for the ship kernels; results do not depend on it.
    public var workerCount: Int
    public private(set) var tick: UInt64 = 0
    public private(set) var elapsedSeconds: Double = 0
    public private(set) var lastTimings = StepTimings()

    let bodies: BodyStore
    let ships: ShipStore
    private let trace: BodyTrace
    var nextShipID: ShipID = 1

    public init(catalog: SolarSystemCatalog, policy: IntegrationPolicy = IntegrationPolicy(), workerCount: Int? = nil) {
        self.catalog = catalog
        self.policy = policy
        self.workerCount = max(1, workerCount ?? ProcessInfo.processInfo.activeProcessorCount)
        bodies = BodyStore(catalog: catalog)
        ships = ShipStore()
        trace = BodyTrace(stride: bodies.stride)
    }

    /// Restores the clock, e.g. from a snapshot.
    func setClock(tick: UInt64, elapsedSeconds: Double) {
        self.tick = tick
        self.elapsedSeconds = elapsedSeconds
    }

    public var bodyNames: [String] { bodies.names }
    public var shipCount: Int { ships.count }

    public func bodyIndex(named name: String) -> Int? { bodies.index(named: name) }

    /// Barycentric ICRF position (m) and velocity (m/s) of a body at the current time.
    public func bodyState(_ index: Int) -> (position: SIMD3<Double>, velocity: SIMD3<Double>) {
        (bodies.position(index), bodies.velocity(index))
    }

    public func bodyGM(_ index: Int) -> Double { bodies.gm[index] }
    public func bodyRadius(_ index: Int) -> Double { bodies.radius[index] }

    /// Newtonian energy of the bodies times G (m⁵/s⁴).
    public func bodyEnergy() -> Double { bodies.energy() }

    /// Advances the world by `seconds` of game time and returns the ship events of this step.
    @discardableResult
    public func step(seconds: Double) throws -> [ShipEvent] {
        guard seconds.isFinite, seconds > 0 else {
            throw KernelError(kernel: "World.step", code: Int32(GK_ERR_INVALID_ARGUMENT), context: "seconds=\(seconds)")
        }
        let plan = policy.plan(seconds: seconds)
        trace.reserve(substeps: plan.substeps)
        resolveTargetAims()

        let start = DispatchTime.now().uptimeNanoseconds
        var kernelBodies = bodies.kernelBodies()
        let status = gk_nbody_advance(&kernelBodies, seconds, Int32(plan.substeps), plan.scheme, &trace.kernel)
        try KernelError.check(
            status, kernel: "gk_nbody_advance", context: "tick=\(tick) dt=\(seconds) substeps=\(plan.substeps)")
        let afterBodies = DispatchTime.now().uptimeNanoseconds

        let shipTimes = advanceShips(seconds: seconds)
        tick += 1
        elapsedSeconds += seconds
        lastTimings = StepTimings(
            bodies: Double(afterBodies - start) / 1e9, attitude: shipTimes.attitude, ships: shipTimes.translation)
        return collectEvents()
    }

    /// Runs the ship kernels on `workerCount` threads over disjoint index ranges.
    private func advanceShips(seconds: Double) -> (attitude: Double, translation: Double) {
        let count = ships.count
        guard count > 0 else { return (0, 0) }
        let job = ShipJob(ships: ships.kernelShips(), constants: bodies.kernelConstants(), trace: trace.kernel)
        let chunks = count >= 512 ? min(workerCount * 4, count / 128) : 1
        if chunks == 1 { return job.run(begin: 0, end: Int32(count), seconds: seconds) }
        let timing = TimingAccumulator()
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let begin = Int32(count * chunk / chunks)
            let end = Int32(count * (chunk + 1) / chunks)
            timing.add(job.run(begin: begin, end: end, seconds: seconds))
        }
        // Wall time of the parallel section, split between the kernels in proportion to their thread time.
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let busy = timing.attitude + timing.translation
        let attitudeShare = busy > 0 ? timing.attitude / busy : 0
        return (wall * attitudeShare, wall * (1 - attitudeShare))
    }

    private func collectEvents() -> [ShipEvent] {
        var events: [ShipEvent] = []
        for i in 0..<ships.count where ships.events[i] != 0 {
            let bits = ships.events[i]
            let body = bodies.names[Int(ships.primary[i])]
            if bits & UInt32(GK_EVENT_OUT_OF_FUEL) != 0 {
                events.append(ShipEvent(shipID: ships.ids[i], kind: .outOfFuel, tick: tick, gameTimeSeconds: elapsedSeconds))
            }
            if bits & UInt32(GK_EVENT_CRASHED) != 0 {
                events.append(
                    ShipEvent(shipID: ships.ids[i], kind: .crashed, tick: tick, gameTimeSeconds: elapsedSeconds, body: body))
            }
            if bits & UInt32(GK_EVENT_FROZEN) != 0 {
                events.append(ShipEvent(shipID: ships.ids[i], kind: .frozen, tick: tick, gameTimeSeconds: elapsedSeconds))
            }
        }
        return events
    }

    /// Writes the current position of each target-mode ship's target into its aim columns.
    private func resolveTargetAims() {
        for i in 0..<ships.count where ships.mode[i] == AttitudeMode.target.kernelValue {
            guard let target = ships.targets[i], let position = position(of: target) else { continue }
            ships[.aimX][i] = position.x
            ships[.aimY][i] = position.y
            ships[.aimZ][i] = position.z
        }
    }

    func position(of target: AttitudeTarget) -> SIMD3<Double>? {
        switch target {
        case .body(let name): return bodies.index(named: name).map(bodies.position)
        case .ship(let id): return ships.index(of: id).map(ships.position)
        }
    }
}

/// The kernel views for one step, shared read-only across worker threads that each own a disjoint
/// range of ships.
private struct ShipJob: @unchecked Sendable {
    var ships: gk_ships
    var constants: gk_body_constants
    var trace: gk_body_trace

    func run(begin: Int32, end: Int32, seconds: Double) -> (attitude: Double, translation: Double) {
        var ships = self.ships
        var constants = self.constants
        var trace = self.trace
        let start = DispatchTime.now().uptimeNanoseconds
        gk_ships_select_primary(&ships, begin, end, &constants, &trace)
        gk_ships_attitude(&ships, begin, end, &constants, &trace, seconds)
        let middle = DispatchTime.now().uptimeNanoseconds
        gk_ships_advance(&ships, begin, end, &constants, &trace)
        let finish = DispatchTime.now().uptimeNanoseconds
        return (Double(middle - start) / 1e9, Double(finish - middle) / 1e9)
    }
}

/// Sums per-chunk kernel times across threads.
private final class TimingAccumulator: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var attitude = 0.0
    private(set) var translation = 0.0

    func add(_ t: (attitude: Double, translation: Double)) {
        lock.lock()
        attitude += t.attitude
        translation += t.translation
        lock.unlock()
    }
}

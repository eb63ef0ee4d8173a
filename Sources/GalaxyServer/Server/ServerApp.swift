import Foundation
import Synchronization

/// The whole server: store, world (restored from the newest complete snapshot if there is one), tick
/// engine, snapshot writer and gateway, started and stopped in order.
public final class ServerApp: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let metrics = MetricsRegistry()
    let store: any GameStore
    let engine: TickEngine
    let gateway: GatewayServer
    let snapshots: SnapshotWriter
    let redis: RedisEngineBridge?
    let lock: EngineLock
    private let logger: Logger
    private let started = ServerApp.Flag()

    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        // Taken before the world is read, so a second engine never restores and ticks the same world.
        lock = try ServerApp.lockWorld(configuration, logger: logger)
        store = try ServerApp.openStore(configuration, logger: logger)
        let catalog = try SolarSystemCatalog.standard()
        let world = try ServerApp.loadWorld(store: store, catalog: catalog, configuration: configuration, logger: logger)
        engine = try TickEngine(
            world: world, configuration: configuration.engine, metrics: metrics, logger: logger.with("component", "engine"))
        let snapshotMetrics = SnapshotMetrics(registry: metrics)
        // The writer gets its own connection so that a long snapshot write never delays a log-in.
        let snapshotStore = try ServerApp.openStore(configuration, logger: logger)
        snapshots = SnapshotWriter(store: snapshotStore, logger: logger) { info, seconds in
            snapshotMetrics.saved(info, seconds: seconds)
        }
        let readinessStore = store
        let engineStarted = started
        gateway = GatewayServer(
            configuration: configuration.gateway, store: store, link: LocalEngineLink(engine: engine), catalog: catalog, metrics: metrics,
            logger: logger.with("component", "gateway"),
            readiness: {
                guard engineStarted.value.load(ordering: .acquiring) else { return (false, "engine not started") }
                do {
                    try readinessStore.ping()
                    return (true, "ready")
                } catch {
                    return (false, "store unreachable: \(error)")
                }
            })
        if let url = configuration.redisURL, !url.isEmpty {
            redis = RedisEngineBridge(
                endpoint: try RedisEndpoint(url: url), engine: engine, metrics: metrics, logger: logger.with("component", "redis"))
        } else {
            redis = nil
        }
        let ticks = UInt64(max(1, (configuration.snapshotIntervalSeconds * configuration.engine.tickRateHz).rounded()))
        engine.every(ticks: ticks) { [snapshots] world in snapshots.submit(world.snapshot()) }
    }

    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// Port the gateway listens on.
    public var port: Int { gateway.port }

    public func start() throws {
        try gateway.start()
        redis?.start()
        engine.start()
        started.value.store(true, ordering: .releasing)
    }

    /// Stops accepting, closes sessions with 1001, stops the engine, writes a final snapshot.
    public func stop() {
        started.value.store(false, ordering: .releasing)
        gateway.stop()
        engine.stop()
        redis?.stop()
        if let snapshot = try? engine.withStoppedWorld({ world in world.snapshot() }) {
            snapshots.submit(snapshot)
            if !snapshots.flush(timeoutSeconds: 15) {
                logger.error("final snapshot not written within 15 s", [("tick", snapshot.tick)])
            }
        }
        _ = snapshots.stop(timeoutSeconds: 5)
        lock.unlock()
        logger.info("server stopped")
    }

    static func lockWorld(_ configuration: ServerConfiguration, logger: Logger) throws -> EngineLock {
        guard let url = configuration.databaseURL, !url.isEmpty else { return try EngineLock.directory(configuration.dataDirectory) }
        return try EngineLock.postgres(url: url, logger: logger) {
            // Another engine owns the world now; writing even one more snapshot would overwrite its work.
            logger.error("stopping at once without a final snapshot: another engine owns the world")
            exit(3)
        }
    }

    static func openStore(_ configuration: ServerConfiguration, logger: Logger) throws -> any GameStore {
        if let url = configuration.databaseURL, !url.isEmpty {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw StoreError.invalidArgument("database URL must start with postgres:// or postgresql://, got '\(url.prefix(20))...'")
            }
            return try PostgresStore(url: url, logger: logger)
        }
        return try SQLiteStore(directory: URL(fileURLWithPath: configuration.dataDirectory), logger: logger)
    }

    static func loadWorld(
        store: any GameStore, catalog: SolarSystemCatalog, configuration: ServerConfiguration, logger: Logger
    ) throws -> World {
        if let snapshot = try store.latestSnapshot() {
            let world = try World.restore(from: snapshot, catalog: catalog)
            logger.info("world restored from snapshot", [("tick", snapshot.tick), ("ships", world.shipCount)])
            return world
        }
        let world = World(catalog: catalog)
        try world.addStandardStations()
        if configuration.generatedShips > 0 { try world.addGeneratedShips(configuration.generatedShips) }
        logger.info("new world created", [("epoch", catalog.epoch.isoTDB), ("ships", world.shipCount)])
        return world
    }
}

/// tick_engine_snapshot_duration_ms and friends, fed by the snapshot writer.
final class SnapshotMetrics: Sendable {
    private let values = Mutex<(seconds: Double, count: UInt64, tick: UInt64)>((0, 0, 0))

    init(registry: MetricsRegistry) {
        registry.register("tick_engine_snapshot_duration_ms", kind: .gauge, help: "Time the store took to write the last world snapshot, ms (off the tick thread).") {
            [self] in values.withLock { $0.seconds } * 1000
        }
        registry.register("tick_engine_snapshots_total", kind: .counter, help: "World snapshots written.") {
            [self] in Double(values.withLock { $0.count })
        }
        registry.register("tick_engine_last_snapshot_tick", kind: .gauge, help: "Tick of the newest snapshot written.") {
            [self] in Double(values.withLock { $0.tick })
        }
    }

    func saved(_ info: SnapshotInfo, seconds: Double) {
        values.withLock { $0 = (seconds, $0.count + 1, info.tick) }
    }
}

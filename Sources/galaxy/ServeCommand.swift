import Dispatch
import Foundation
import GalaxyServer

enum ServeCommand {
    static let help = """
        Usage: galaxy serve [options]

        Runs the game server: the tick engine on the standard solar system, the HTTP API and WebSocket
        gateway, and world snapshots. With no options it stores everything in SQLite under ./galaxy-data
        and listens on port 8080. SIGINT or SIGTERM stops it: no new connections, close frames to every
        client, a final snapshot, exit 0.

        Options (environment variable in brackets):
          --port N                 TCP port (default 8080) [GALAXY_PORT]
          --bind ADDRESS           address to listen on (default all interfaces) [GALAXY_BIND]
          --data-dir DIR           directory of the SQLite store (default ./galaxy-data) [GALAXY_DATA_DIR]
          --database URL           postgres://user:pass@host:port/db to use PostgreSQL instead [GALAXY_DATABASE_URL]
          --redis URL              redis://host:port to also publish frames to gateway replicas ('galaxy
                                   gateway') and take their commands; unset runs alone [GALAXY_REDIS_URL]
          --snapshot-interval S    seconds between world snapshots (default 60) [GALAXY_SNAPSHOT_INTERVAL]
          --web-root DIR           static files served at / (default ./Web) [GALAXY_WEB_ROOT]
          --transport-threads N    threads sending and receiving on sockets, 1 to 16 (default: cores, at most 4)
                                   [GALAXY_TRANSPORT_THREADS]
          --admin-token TOKEN      bearer token for /api/v1/admin; unset disables that API [GALAXY_ADMIN_TOKEN]
          --tick-rate HZ           ticks per wall-clock second (default 1) [GALAXY_TICK_RATE]
          --warp W                 game seconds per wall-clock second, 1 to 100000 (default 1) [GALAXY_WARP]
          --ships N                generated ships added to a new world, for load testing (default 0) [GALAXY_SHIPS]
          --log-level L            trace, debug, info, warning or error (default info) [GALAXY_LOG_LEVEL]
        """

    static func run(_ raw: ArraySlice<String>) throws {
        let args = try Arguments(
            raw,
            allowed: [
                "port", "bind", "data-dir", "database", "snapshot-interval", "web-root", "tick-rate", "warp", "ships",
                "log-level", "admin-token", "redis", "transport-threads",
            ])
        if args.help {
            print(help)
            return
        }
        let logger = try makeLogger(args, label: "galaxy")
        let configuration = try makeConfiguration(args)
        let app = try ServerApp(configuration: configuration, logger: logger)
        try app.start()
        logger.info("galaxy serving", [("port", app.port), ("data_dir", configuration.dataDirectory)])
        waitForTermination(logger: logger)
        app.stop()
    }

    static func makeConfiguration(_ args: Arguments) throws -> ServerConfiguration {
        var c = ServerConfiguration()
        c.engine.tickRateHz = try args.double("tick-rate", environment: "GALAXY_TICK_RATE") ?? 1
        c.engine.warp = try args.double("warp", environment: "GALAXY_WARP") ?? 1
        c.generatedShips = try args.int("ships", environment: "GALAXY_SHIPS") ?? 0
        guard c.generatedShips >= 0 else { throw UsageError("--ships must be >= 0, got \(c.generatedShips)") }
        c.gateway.port = try args.int("port", environment: "GALAXY_PORT") ?? 8080
        guard (0...65535).contains(c.gateway.port) else { throw UsageError("--port must be within 0...65535, got \(c.gateway.port)") }
        c.gateway.bindAddress = args.string("bind", environment: "GALAXY_BIND")
        c.gateway.webRoot = args.string("web-root", environment: "GALAXY_WEB_ROOT") ?? "Web"
        if let threads = try args.int("transport-threads", environment: "GALAXY_TRANSPORT_THREADS") {
            guard (1...16).contains(threads) else { throw UsageError("--transport-threads must be within 1...16, got \(threads)") }
            c.gateway.transportThreads = threads
        }
        c.gateway.adminToken = args.string("admin-token", environment: "GALAXY_ADMIN_TOKEN")
        c.dataDirectory = args.string("data-dir", environment: "GALAXY_DATA_DIR") ?? "galaxy-data"
        c.databaseURL = args.string("database", environment: "GALAXY_DATABASE_URL")
        c.redisURL = args.string("redis", environment: "GALAXY_REDIS_URL")
        if let url = c.redisURL, !url.isEmpty { _ = try RedisEndpoint(url: url) }
        c.snapshotIntervalSeconds = try args.double("snapshot-interval", environment: "GALAXY_SNAPSHOT_INTERVAL") ?? 60
        guard c.snapshotIntervalSeconds > 0 else {
            throw UsageError("--snapshot-interval must be > 0 seconds, got \(c.snapshotIntervalSeconds)")
        }
        try c.engine.validate()
        return c
    }

    static func makeLogger(_ args: Arguments, label: String) throws -> Logger {
        let name = args.string("log-level", environment: "GALAXY_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(name: name) else {
            throw UsageError("--log-level must be trace, debug, info, warning or error, got '\(name)'")
        }
        return Logger(label: label, minimumLevel: level)
    }

    /// Blocks until SIGINT or SIGTERM arrives.
    static func waitForTermination(logger: Logger) {
        let received = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                logger.info("signal received; stopping", [("signal", signalNumber)])
                received.signal()
            }
            source.resume()
            sources.append(source)
        }
        received.wait()
        sources.forEach { $0.cancel() }
    }
}

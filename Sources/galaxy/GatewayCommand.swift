import Foundation
import GalaxyServer

enum GatewayCommand {
    static let help = """
        Usage: galaxy gateway --redis URL --database URL [options]

        Runs a gateway replica: the HTTP API, the WebSocket protocol and the web client, like 'galaxy
        serve', for players beyond what one process can serve. The world stays in the engine ('galaxy
        serve --redis URL'); this process receives its frames over Redis pub/sub and sends commands
        through a Redis stream. Accounts and tokens live in the engine's PostgreSQL, so a token works on
        every replica. While Redis is down, clients stay connected, /readyz answers 503 and the link
        reconnects with backoff (0.1 s to 5 s). SIGINT or SIGTERM closes every client with 1001 and exits 0.

        Options (environment variable in brackets):
          --redis URL              redis://[:password@]host[:port][/db], required [GALAXY_REDIS_URL]
          --database URL           postgres://user:pass@host:port/db of the engine, required [GALAXY_DATABASE_URL]
          --port N                 TCP port (default 8080) [GALAXY_PORT]
          --bind ADDRESS           address to listen on (default all interfaces) [GALAXY_BIND]
          --web-root DIR           static files served at / (default ./Web) [GALAXY_WEB_ROOT]
          --transport-threads N    threads sending and receiving on sockets, 1 to 16 (default: cores, at most 4)
                                   [GALAXY_TRANSPORT_THREADS]
          --gateway-id ID          this replica's name on its reply channel (default the host name) [GALAXY_GATEWAY_ID]
          --log-level L            trace, debug, info, warning or error (default info) [GALAXY_LOG_LEVEL]
        """

    static func run(_ raw: ArraySlice<String>) throws {
        let args = try Arguments(raw, allowed: ["redis", "database", "port", "bind", "web-root", "gateway-id", "log-level", "transport-threads"])
        if args.help {
            print(help)
            return
        }
        let logger = try ServeCommand.makeLogger(args, label: "galaxy-gateway")
        var c = GatewayAppConfiguration()
        guard let redis = args.string("redis", environment: "GALAXY_REDIS_URL"), !redis.isEmpty else {
            throw UsageError("--redis is required (redis://host:port), or set GALAXY_REDIS_URL")
        }
        guard let database = args.string("database", environment: "GALAXY_DATABASE_URL"), !database.isEmpty else {
            throw UsageError("--database is required (postgres://...), or set GALAXY_DATABASE_URL")
        }
        c.redisURL = redis
        c.databaseURL = database
        c.gateway.port = try args.int("port", environment: "GALAXY_PORT") ?? 8080
        guard (0...65535).contains(c.gateway.port) else { throw UsageError("--port must be within 0...65535, got \(c.gateway.port)") }
        c.gateway.bindAddress = args.string("bind", environment: "GALAXY_BIND")
        c.gateway.webRoot = args.string("web-root", environment: "GALAXY_WEB_ROOT") ?? "Web"
        if let threads = try args.int("transport-threads", environment: "GALAXY_TRANSPORT_THREADS") {
            guard (1...16).contains(threads) else { throw UsageError("--transport-threads must be within 1...16, got \(threads)") }
            c.gateway.transportThreads = threads
        }
        if let id = args.string("gateway-id", environment: "GALAXY_GATEWAY_ID") { c.gatewayID = id }
        let app = try GatewayApp(configuration: c, logger: logger.with("gateway", c.gatewayID))
        try app.start()
        logger.info("galaxy gateway serving", [("port", app.port), ("gateway", c.gatewayID)])
        ServeCommand.waitForTermination(logger: logger)
        app.stop()
    }
}

import Dispatch
import Foundation
import GalaxyServer

enum ServeCommand {
    static let help = """
        Usage: galaxy serve [options]

        Starts the tick engine on the standard solar system with its stations and runs until SIGINT or
        SIGTERM, then stops after the current tick and exits 0.

        Options (environment variable in brackets):
          --tick-rate HZ    ticks per wall-clock second (default 1) [GALAXY_TICK_RATE]
          --warp W          game seconds per wall-clock second, 1 to 100000 (default 1) [GALAXY_WARP]
          --ships N         add N generated ships at start, for load testing (default 0) [GALAXY_SHIPS]
          --log-level L     trace, debug, info, warning or error (default info) [GALAXY_LOG_LEVEL]
        """

    static func run(_ raw: ArraySlice<String>) throws {
        let args = try Arguments(raw, allowed: ["tick-rate", "warp", "ships", "log-level"])
        if args.help {
            print(help)
            return
        }
        let logger = try makeLogger(args, label: "galaxy")
        var configuration = EngineConfiguration()
        configuration.tickRateHz = try args.double("tick-rate", environment: "GALAXY_TICK_RATE") ?? 1
        configuration.warp = try args.double("warp", environment: "GALAXY_WARP") ?? 1
        let shipCount = try args.int("ships", environment: "GALAXY_SHIPS") ?? 0
        guard shipCount >= 0 else { throw UsageError("--ships must be >= 0, got \(shipCount)") }

        let world = World(catalog: try SolarSystemCatalog.standard())
        try world.addStandardStations()
        if shipCount > 0 { try world.addGeneratedShips(shipCount) }
        let engine = try TickEngine(world: world, configuration: configuration, logger: logger.with("component", "engine"))
        logger.info(
            "galaxy starting", [("bodies", world.bodyNames.count), ("ships", world.shipCount), ("epoch", world.catalog.epoch.isoTDB)])
        engine.start()
        waitForTermination(logger: logger)
        engine.stop()
        logger.info("galaxy stopped", [("tick", engine.status.tick)])
    }

    static func makeLogger(_ args: Arguments, label: String) throws -> Logger {
        let name = args.string("log-level", environment: "GALAXY_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(name: name) else {
            throw UsageError("--log-level must be trace, debug, info, warning or error, got '\(name)'")
        }
        return Logger(label: label, minimumLevel: level)
    }

    /// Blocks until SIGINT or SIGTERM arrives.
    private static func waitForTermination(logger: Logger) {
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

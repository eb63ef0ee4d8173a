import Foundation
import GalaxyServer

enum SimulateCommand {
    static let help = """
        Usage: galaxy simulate --days D --output FILE [options]

        Runs the solar system from its epoch (2026-01-01T00:00:00 TDB) as fast as the machine allows,
        through the same engine as the server, and writes JSON with the epoch and final time (TDB, ISO 8601
        and Julian date) and every body's and ship's name, position_km and velocity_km_s (ICRF,
        solar-system barycentric).

        Options:
          --days D          simulated days to run (required, > 0)
          --output FILE     where to write the JSON (required)
          --warp W          game seconds per tick, 1 to 100000 (default 1)
          --ships N         add N ships on varied orbits about Earth, Moon, Mars, Venus, Jupiter and the Sun
          --scenario FILE   place the named ships of a scenario file (see docs/scenario.md)
          --log-level L     trace, debug, info, warning or error (default info)
        """

    static func run(_ raw: ArraySlice<String>) throws {
        let args = try Arguments(raw, allowed: ["days", "output", "warp", "ships", "scenario", "log-level"])
        if args.help {
            print(help)
            return
        }
        guard let days = try args.double("days") else { throw UsageError("--days is required") }
        guard let output = args.string("output") else { throw UsageError("--output is required") }
        var options = SimulationOptions(days: days)
        options.warp = try args.double("warp") ?? 1
        options.shipCount = try args.int("ships") ?? 0
        options.scenarioPath = args.string("scenario")
        let logger = try ServeCommand.makeLogger(args, label: "simulate")
        let report = try SimulationRunner(options: options, catalog: SolarSystemCatalog.standard()).run(logger: logger)
        try report.write(to: output)
    }
}

import Foundation
import GalaxyServer

/// Ship physics per ship (attitude, gravity, thrust) for one 1 s tick, and whole ticks.
enum ShipBench {
    static func run(catalog: SolarSystemCatalog) throws {
        for count in [1_000, 10_000, 100_000] {
            for workers in [1, ProcessInfo.processInfo.activeProcessorCount] {
                let world = World(catalog: catalog, workerCount: workers)
                try world.addGeneratedShips(count)
                let m = try measure(repeats: 9) { try world.step(seconds: 1) }
                let ships = world.lastTimings.attitude + world.lastTimings.ships
                emit([
                    "bench": "ship_physics", "ships": count, "workers": workers,
                    "step_median_ms": m.median * 1e3, "per_ship_us": m.median / Double(count) * 1e6,
                    "last_ship_kernels_ms": ships * 1e3,
                ])
            }
        }
    }
}

enum TickBench {
    static func run(catalog: SolarSystemCatalog) throws {
        for count in [3, 10_000] {
            let world = World(catalog: catalog)
            try world.addGeneratedShips(count)
            let engine = try TickEngine(world: world, logger: Logger(label: "bench", minimumLevel: .error))
            let m = measure(repeats: 21) { engine.runTick() }
            emit(["bench": "whole_tick", "ships": count, "median_ms": m.median * 1e3, "min_ms": m.min * 1e3])
        }
    }
}

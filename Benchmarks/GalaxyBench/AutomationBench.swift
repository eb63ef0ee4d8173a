import Foundation
import GalaxyServer

/// The whole `AutomationSystem.step` per maneuvering ship (situation, Q-law steering, batched effectivity
/// and command), with every ship flying a transfer about Earth in an Earth-only world. Each timed step
/// follows an untimed 1 s `World.step`, so the ships move between samples as in a game tick.
/// OpenBLAS may start its own threads inside the effectivity product (set OPENBLAS_NUM_THREADS=1 to keep
/// the one-worker run on one core).
enum AutomationBench {
    static let repeats = 9

    static func run(catalog: SolarSystemCatalog) throws {
        let earthOnly = try catalog.subset(["Earth"])
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for count in [1_000, 10_000, 40_000] {
            for workers in Set([1, cores]).sorted() {
                try measureStep(count: count, workers: workers, catalog: earthOnly)
            }
        }
    }

    static func measureStep(count: Int, workers: Int, catalog: SolarSystemCatalog) throws {
        let world = World(catalog: catalog, workerCount: workers)
        let automation = try AutomationSystem()
        try addManeuveringShips(count, world: world, automation: automation)
        let tickSeconds = 1.0
        _ = automation.step(world: world, seconds: tickSeconds)
        var samples: [Double] = []
        for _ in 0..<repeats {
            _ = try world.step(seconds: tickSeconds)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = automation.step(world: world, seconds: tickSeconds)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let m = Measurement(samples: samples)
        emit([
            "bench": "automation_step", "ships": count, "workers": workers,
            "maneuvering": automation.activeManeuverCount, "median_ms": m.median * 1e3, "min_ms": m.min * 1e3,
            "per_ship_us": m.median / Double(count) * 1e6,
        ])
    }

    /// Ships with the default design on circular orbits 300 km to 20,000 km above Earth at random
    /// inclinations and nodes, each flying a transfer to an orbit with eccentricity up to 0.3 and periapsis
    /// in the same range. At the default design's
    /// 0.67 m/s² none of these transfers completes within the benchmark's 10 s of game time.
    static func addManeuveringShips(_ count: Int, world: World, automation: AutomationSystem) throws {
        var random = QLawBench.LinearCongruential(state: 7)
        let radius = 6_371_000.0
        for n in 0..<count {
            let orbit = OrbitalElements(
                semiMajorAxisMeters: radius + 300_000 + 19_700_000 * random.next(), eccentricity: 0,
                inclination: 1.5 * random.next(), rightAscensionOfAscendingNode: 2 * .pi * random.next(),
                argumentOfPeriapsis: 0, trueAnomaly: 2 * .pi * random.next())
            let ship = try world.addShip(name: "Bench \(n)", about: "Earth", elements: orbit)
            let eccentricity = 0.3 * random.next()
            let periapsis = radius + 300_000 + 19_700_000 * random.next()
            let target = QLawTarget(
                semiMajorAxisMeters: periapsis / (1 - eccentricity), eccentricity: eccentricity,
                inclination: 1.5 * random.next(), rightAscensionOfAscendingNode: 2 * .pi * random.next(),
                argumentOfPeriapsis: 2 * .pi * random.next())
            try automation.request(.transfer(body: "Earth", target: target), ship: ship, world: world)
        }
    }
}

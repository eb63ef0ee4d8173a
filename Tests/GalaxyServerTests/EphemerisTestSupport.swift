import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// DE421 states of the Sun, the inner planets, the Moon and the Mars..Neptune system barycenters, read from
/// Fixtures/de421_reference.json (ICRF, solar-system barycentric, TDB, m and m/s).
struct EphemerisFixture: Decodable, Sendable {
    struct Sample: Decodable, Sendable {
        var days: Double
        var states: [State]
    }

    struct State: Decodable, Sendable {
        var name: String
        var positionMeters: [Double]

        enum CodingKeys: String, CodingKey {
            case name
            case positionMeters = "position_m"
        }

        var position: SIMD3<Double> { SIMD3(positionMeters[0], positionMeters[1], positionMeters[2]) }
    }

    var epochJulianDate: Double
    var samples: [Sample]

    enum CodingKeys: String, CodingKey {
        case samples
        case epochJulianDate = "epoch_jd_tdb"
    }

    static func load() throws -> EphemerisFixture {
        let url = try #require(
            Bundle.module.url(forResource: "de421_reference", withExtension: "json", subdirectory: "Fixtures"),
            "Fixtures/de421_reference.json is missing from the test bundle")
        return try JSONDecoder().decode(EphemerisFixture.self, from: Data(contentsOf: url))
    }

    /// Positions of one sample by name.
    func positions(days: Double) throws -> [String: SIMD3<Double>] {
        let sample = try #require(samples.first { $0.days == days }, "the fixture has no sample at \(days) days")
        return Dictionary(uniqueKeysWithValues: sample.states.map { ($0.name, $0.position) })
    }
}

/// Quantities of a world that can be compared with DE421 or with physical invariants.
enum EphemerisProbe {
    /// Names as the fixture uses them: the Sun, Mercury, Venus, Earth and Moon are single bodies, the others
    /// are system barycenters (planet plus the moons whose catalog parent it is).
    static let comparedNames = ["Sun", "Mercury", "Venus", "Earth", "Moon", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]
    static let singleBodies: Set<String> = ["Sun", "Mercury", "Venus", "Earth", "Moon"]

    /// Barycentric position of each compared name: a body's own position, or the GM-weighted mean of a
    /// planet and its moons.
    static func positions(in world: World) throws -> [String: SIMD3<Double>] {
        var result: [String: SIMD3<Double>] = [:]
        for name in comparedNames {
            var members = [name]
            if !singleBodies.contains(name) {
                members += world.catalog.bodies.filter { $0.parent == name }.map(\.name)
            }
            var gm = 0.0
            var weighted = SIMD3<Double>.zero
            for member in members {
                let index = try #require(world.bodyIndex(named: member), "\(member) is not in the world")
                gm += world.bodyGM(index)
                weighted += world.bodyGM(index) * world.bodyState(index).position
            }
            result[name] = weighted / gm
        }
        return result
    }

    /// Sums the first post-Newtonian energy of each body in the Sun's field (times G, m⁵/s⁴). Together with the
    /// Newtonian energy it is conserved under the kernel's relativistic term. For a test mass in harmonic
    /// coordinates it is GM (3/8 u⁴ + 3/2 μ u²/r + 1/2 μ²/r²) / c², with u and r relative to the Sun.
    static func postNewtonianEnergy(in world: World) throws -> Double {
        let sun = try #require(world.bodyIndex(named: "Sun"))
        let mu = world.bodyGM(sun)
        let c2 = GK_SPEED_OF_LIGHT_M_S * GK_SPEED_OF_LIGHT_M_S
        var total = 0.0
        for i in world.bodyNames.indices where i != sun {
            let r = (world.bodyState(i).position - world.bodyState(sun).position).length
            let u2 = (world.bodyState(i).velocity - world.bodyState(sun).velocity).lengthSquared
            total += world.bodyGM(i) * (0.375 * u2 * u2 + 1.5 * mu * u2 / r + 0.5 * mu * mu / (r * r)) / c2
        }
        return total
    }

    /// Sidereal period of a moon about its planet, measured as the mean time between its northward crossings of
    /// the ICRF equatorial plane through the planet (neither Phobos's nor Triton's orbit lies in it). The world
    /// advances in `sampleSeconds` calls of `advance`, and each crossing time is refined by one Newton step on
    /// the height above that plane.
    static func measuredPeriod(
        of moon: String, about planet: String, in world: World, sampleSeconds: Double, crossings: Int,
        advance: (Double) throws -> Void
    ) throws -> Double {
        let m = try #require(world.bodyIndex(named: moon))
        let p = try #require(world.bodyIndex(named: planet))
        func relative() -> (position: SIMD3<Double>, velocity: SIMD3<Double>) {
            (world.bodyState(m).position - world.bodyState(p).position,
             world.bodyState(m).velocity - world.bodyState(p).velocity)
        }
        let normal = SIMD3<Double>(0, 0, 1)
        var times: [Double] = []
        var elapsed = 0.0
        var previousHeight = relative().position.dot(normal)
        while times.count < crossings {
            try advance(sampleSeconds)
            elapsed += sampleSeconds
            let now = relative()
            let height = now.position.dot(normal)
            if previousHeight < 0 && height >= 0 {
                times.append(elapsed - height / now.velocity.dot(normal))
            }
            previousHeight = height
        }
        return (times[times.count - 1] - times[0]) / Double(times.count - 1)
    }

    /// Two-body period (s) of a moon about its planet from their current states.
    static func osculatingPeriod(of moon: String, about planet: String, in world: World) throws -> Double {
        let m = try #require(world.bodyIndex(named: moon))
        let p = try #require(world.bodyIndex(named: planet))
        let mu = world.bodyGM(m) + world.bodyGM(p)
        let el = try TwoBody.elements(
            mu: mu, position: world.bodyState(m).position - world.bodyState(p).position,
            velocity: world.bodyState(m).velocity - world.bodyState(p).velocity)
        return el.periodSeconds
    }
}

extension SIMD3 where Scalar == Double {
    var lengthSquared: Double { (self * self).sum() }
}

/// One integration of the standard catalog from its epoch, sampled at the fixture's days.
struct EphemerisRun: Sendable {
    var positions: [Double: [String: SIMD3<Double>]] = [:]
    var moonFromEarth: [Double: SIMD3<Double>] = [:]
    /// Largest |E - E0| / |E0| of the Newtonian energy at the end of each simulated day.
    var newtonianEnergyDrift = 0.0
    /// The same for the Newtonian plus first post-Newtonian energy.
    var postNewtonianEnergyDrift = 0.0
    var phobosPeriod = 0.0
    var tritonPeriod = 0.0
    /// Epoch two-body periods (s) of Phobos and Triton.
    var phobosEpochPeriod = 0.0
    var tritonEpochPeriod = 0.0
    var wallSeconds = 0.0

    static let sampleDays: [Double] = [30, 365]

    /// Advances a world through the sample days with `advance(seconds)` and records what the tests check,
    /// then measures the periods of Phobos and Triton from their plane crossings.
    static func record(
        world: World, includeRelativity: Bool = true, advance: (Double) throws -> Void
    ) throws -> EphemerisRun {
        var run = EphemerisRun()
        let started = Date()
        let newtonian0 = world.bodyEnergy()
        let total0 = newtonian0 + (includeRelativity ? try EphemerisProbe.postNewtonianEnergy(in: world) : 0)
        run.phobosEpochPeriod = try EphemerisProbe.osculatingPeriod(of: "Phobos", about: "Mars", in: world)
        run.tritonEpochPeriod = try EphemerisProbe.osculatingPeriod(of: "Triton", about: "Neptune", in: world)
        var day = 0.0
        for sampleDay in sampleDays {
            while day < sampleDay {
                try advance(86_400)
                day += 1
                let newtonian = world.bodyEnergy()
                let total = newtonian + (includeRelativity ? try EphemerisProbe.postNewtonianEnergy(in: world) : 0)
                run.newtonianEnergyDrift = max(run.newtonianEnergyDrift, abs(newtonian - newtonian0) / abs(newtonian0))
                run.postNewtonianEnergyDrift = max(run.postNewtonianEnergyDrift, abs(total - total0) / abs(total0))
            }
            run.positions[sampleDay] = try EphemerisProbe.positions(in: world)
            let earth = try #require(world.bodyIndex(named: "Earth"))
            let moon = try #require(world.bodyIndex(named: "Moon"))
            run.moonFromEarth[sampleDay] = world.bodyState(moon).position - world.bodyState(earth).position
        }
        run.phobosPeriod = try EphemerisProbe.measuredPeriod(
            of: "Phobos", about: "Mars", in: world, sampleSeconds: 60, crossings: 7, advance: advance)
        run.tritonPeriod = try EphemerisProbe.measuredPeriod(
            of: "Triton", about: "Neptune", in: world, sampleSeconds: 600, crossings: 3, advance: advance)
        run.wallSeconds = Date().timeIntervalSince(started)
        return run
    }

    /// Runs leapfrog with 1 s steps through the kernel, the reference for the tick rate of 1×.
    static func oneSecondSteps(includeRelativity: Bool = true) throws -> EphemerisRun {
        let world = World(catalog: try SolarSystemCatalog.standard(), workerCount: 1)
        var bodies = world.bodies.kernelBodies()
        if !includeRelativity { bodies.relativity_source = -1 }
        return try record(world: world, includeRelativity: includeRelativity) { seconds in
            let status = gk_nbody_advance(&bodies, seconds, Int32(seconds), Int32(GK_SCHEME_LEAPFROG), nil)
            try KernelError.check(status, kernel: "gk_nbody_advance", context: "1 s leapfrog")
        }
    }

    /// Runs the world's own steps of 10,000 s, the largest warp, which its integration policy cuts into
    /// fourth-order substeps.
    static func maximumWarpSteps() throws -> EphemerisRun {
        let world = World(catalog: try SolarSystemCatalog.standard(), workerCount: 1)
        return try record(world: world) { seconds in
            var remaining = seconds
            while remaining > 0 {
                let step = min(10_000, remaining)
                try world.step(seconds: step)
                remaining -= step
            }
        }
    }
}

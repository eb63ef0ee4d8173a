import CPhysicsKernels
import Foundation
import GalaxyServer

/// Q-law kernels per maneuvering ship: the steering evaluation (state to thrust direction) and the batched
/// effectivity (OpenBLAS product on a 64-sample grid), beside the same effectivity evaluated directly per
/// sample without BLAS. Ships orbit Earth on random elliptic orbits with random targets. All on the calling
/// thread, except that OpenBLAS may start its own threads inside the product (set OPENBLAS_NUM_THREADS=1
/// to measure one core).
enum QLawBench {
    static let samples: Int32 = 64

    static func run(catalog: SolarSystemCatalog) throws {
        guard let earth = catalog.bodies.first(where: { $0.name == "Earth" }) else { return }
        for count in [1_000, 10_000, 40_000] {
            let fleet = Fleet(count: count, mu: earth.gmM3PerS2, radius: earth.radiusMeters)
            try steering(fleet)
            try effectivity(fleet)
        }
    }

    static func steering(_ fleet: Fleet) throws {
        var out = [gk_qlaw_steering](repeating: gk_qlaw_steering(), count: fleet.count)
        var status = [Int32](repeating: 0, count: fleet.count)
        let m = measure(repeats: 9) {
            _ = gk_qlaw_steer_batch(
                Int32(fleet.count), fleet.parameters, fleet.positions, fleet.velocities, &out, &status)
        }
        guard status.allSatisfy({ $0 == Int32(GK_OK) }) else { throw BenchError.kernelFailed("gk_qlaw_steer_batch") }
        emit([
            "bench": "qlaw_steering", "ships": fleet.count, "median_ms": m.median * 1e3,
            "per_ship_us": m.median / Double(fleet.count) * 1e6,
        ])
    }

    static func effectivity(_ fleet: Fleet) throws {
        var basis = [Double](repeating: 0, count: Int(GK_QLAW_BASIS) * Int(samples))
        _ = gk_qlaw_basis_fill(samples, &basis)
        let size = gk_qlaw_batch_workspace_size(Int32(fleet.count), samples)
        var workspace = [Double](repeating: 0, count: size)
        var low = [Double](repeating: 0, count: fleet.count)
        var high = low
        var status = [Int32](repeating: 0, count: fleet.count)
        let batched = measure(repeats: 9) {
            _ = gk_qlaw_effectivity_batch(
                Int32(fleet.count), fleet.parameters, fleet.elements, samples, basis, &workspace, size, &low, &high,
                nil,
                &status)
        }
        guard status.allSatisfy({ $0 == Int32(GK_OK) }) else {
            throw BenchError.kernelFailed("gk_qlaw_effectivity_batch")
        }
        var parameters = fleet.parameters
        var elements = fleet.elements
        var result = gk_qlaw_effectivity()
        let direct = measure(repeats: 3) {
            for i in 0..<fleet.count { _ = gk_qlaw_effectivity_direct(&parameters[i], &elements[i], samples, &result) }
        }
        let perShip = { (m: Measurement) in m.median / Double(fleet.count) * 1e6 }
        emit([
            "bench": "qlaw_effectivity", "ships": fleet.count, "samples": Int(samples),
            "batched_median_ms": batched.median * 1e3, "batched_per_ship_us": perShip(batched),
            "direct_median_ms": direct.median * 1e3, "direct_per_ship_us": perShip(direct),
        ])
    }

    enum BenchError: Error {
        case kernelFailed(String)
    }

    /// Random ships about one body: elliptic orbits with periapsis 200 km to 30,000 km above the surface,
    /// random orientation and targets, thrust 1e-4 to 1 m/s².
    struct Fleet {
        var count: Int
        var parameters: [gk_qlaw_params] = []
        var elements: [gk_mee] = []
        var positions: [Double] = []
        var velocities: [Double] = []

        init(count: Int, mu: Double, radius: Double) {
            self.count = count
            var random = LinearCongruential(state: 42)
            for _ in 0..<count {
                var orbit = Self.orbit(&random, radius: radius)
                let goal = Self.orbit(&random, radius: radius)
                var p = gk_qlaw_params()
                p.mu = mu
                p.weights = (1, 1, 1, 1, 1)
                p.thrust_accel_m_s2 = pow(10, -4 + 4 * random.next())
                p.periapsis_min_m = radius + 150_000
                p.periapsis_weight = 1
                p.periapsis_sharpness = 100
                p.scaling_m = 3
                p.scaling_n = 4
                p.scaling_r = 2
                var target = [Double](repeating: 0, count: 5)
                _ = gk_qlaw_target_from_elements(
                    goal.semi_major_axis_m, goal.eccentricity, goal.inclination_rad, goal.raan_rad,
                    goal.arg_periapsis_rad,
                    &target)
                p.target = (target[0], target[1], target[2], target[3], target[4])
                parameters.append(p)
                var r = [0.0, 0.0, 0.0]
                var v = [0.0, 0.0, 0.0]
                _ = gk_state_from_elements(mu, &orbit, &r, &v)
                positions += r
                velocities += v
                var mee = gk_mee()
                _ = gk_mee_from_state(mu, r, v, &mee)
                elements.append(mee)
            }
        }

        static func orbit(_ random: inout LinearCongruential, radius: Double) -> gk_elements {
            var el = gk_elements()
            let periapsis = radius + 200_000 + 30_000_000 * random.next()
            el.eccentricity = 0.8 * random.next()
            el.semi_major_axis_m = periapsis / (1 - el.eccentricity)
            el.inclination_rad = 3 * random.next()
            el.raan_rad = 2 * .pi * random.next()
            el.arg_periapsis_rad = 2 * .pi * random.next()
            el.true_anomaly_rad = 2 * .pi * random.next()
            return el
        }
    }

    /// Knuth's MMIX linear congruential generator; uniform doubles in [0, 1).
    struct LinearCongruential {
        var state: UInt64

        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) * 0x1.0p-53
        }
    }
}

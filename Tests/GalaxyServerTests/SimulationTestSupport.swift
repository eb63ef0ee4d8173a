import Foundation
import Testing

@testable import GalaxyServer

/// Physical constants that the tests' expected values are computed from. The single-body test worlds use them in
/// place of the catalog's slightly different values, so closed-form results apply exactly.
enum Reference {
    /// Earth's gravitational parameter (m³/s²).
    static let earthGM = 3.986004418e14
    /// Earth's mean radius (m).
    static let earthRadius = 6_371_000.0
    /// The Sun's gravitational parameter (m³/s²).
    static let sunGM = 1.32712440018e20
    /// The Sun's nominal radius (m).
    static let sunRadius = 695_700_000.0
    /// Astronomical unit (m).
    static let astronomicalUnit = 1.495978707e11
    /// Gaussian gravitational constant k (AU^1.5/day), whose square is the Sun's GM in AU³/day².
    static let gaussianConstant = 0.01720209895
    /// Standard gravity g0 (m/s²), which turns specific impulse into exhaust speed.
    static let standardGravity = 9.80665
}

/// Worlds with a single massive body at rest at the origin, where the exact two-body solution applies.
enum TestWorlds {
    static func earthOnly(policy: IntegrationPolicy = IntegrationPolicy()) -> World {
        singleBody(name: "Earth", gm: Reference.earthGM, radius: Reference.earthRadius, policy: policy)
    }

    static func sunOnly(policy: IntegrationPolicy = IntegrationPolicy()) -> World {
        singleBody(name: "Sun", gm: Reference.sunGM, radius: Reference.sunRadius, policy: policy)
    }

    static func singleBody(name: String, gm: Double, radius: Double, policy: IntegrationPolicy) -> World {
        let body = BodyDefinition(
            name: name, parent: nil, gmM3PerS2: gm, radiusMeters: radius, position: .zero, velocity: .zero)
        let catalog = SolarSystemCatalog(
            epoch: SolarSystemCatalog.Epoch(isoTDB: "2026-01-01T00:00:00", julianDateTDB: 2_461_041.5),
            bodies: [body])
        return World(catalog: catalog, policy: policy, workerCount: 1)
    }
}

/// Small numerical helpers written independently of the kernels, so tests can check them.
enum TestMath {
    static func radians(_ degrees: Double) -> Double { degrees * .pi / 180 }
    static func degrees(_ radians: Double) -> Double { radians * 180 / .pi }

    /// |a - b| / |b|, or |a - b| when b is 0.
    static func relativeDifference(_ a: Double, _ b: Double) -> Double {
        b == 0 ? abs(a - b) : abs(a - b) / abs(b)
    }

    /// |a - b| / |b| for vectors.
    static func relativeDifference(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
        (a - b).length / b.length
    }

    /// Angle between two nonzero vectors (rad), accurate near 0 and π.
    static func angle(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
        atan2(a.cross(b).length, a.dot(b))
    }

    /// Difference of two angles folded into (-π, π].
    static func angleDifference(_ a: Double, _ b: Double) -> Double {
        let d = remainder(a - b, 2 * .pi)
        return d == -.pi ? .pi : d
    }

    /// Rotates `vector` by the unit quaternion `q` = (w, x, y, z), scalar first: q v q*.
    static func rotate(_ vector: SIMD3<Double>, by q: SIMD4<Double>) -> SIMD3<Double> {
        let axis = SIMD3(q[1], q[2], q[3])
        let w = q[0]
        let t = 2 * axis.cross(vector)
        return vector + w * t + axis.cross(t)
    }

    /// Root of an increasing function on [lower, upper] by plain bisection to the last bit.
    static func bisect(_ lower: Double, _ upper: Double, _ f: (Double) -> Double) -> Double {
        var lo = lower
        var hi = upper
        while true {
            let mid = 0.5 * (lo + hi)
            if mid <= lo || mid >= hi { return mid }
            if f(mid) < 0 { lo = mid } else { hi = mid }
        }
    }

    /// Eccentric anomaly of an ellipse from the mean anomaly in [0, 2π), by bisection on Kepler's equation
    /// written as (1 - e) E + e (E - sin E) = M, which keeps its precision for e near 1 and small E.
    static func ellipticAnomaly(eccentricity e: Double, meanAnomaly m: Double) -> Double {
        bisect(0, 2 * .pi) { E in (1 - e) * E + e * argumentMinusSine(E) - m }
    }

    /// x - sin x, by its Taylor series where the difference would cancel.
    static func argumentMinusSine(_ x: Double) -> Double {
        guard abs(x) < 0.5 else { return x - sin(x) }
        var term = x * x * x / 6
        var sum = term
        for k in 2...10 {
            term *= -x * x / Double(2 * k * (2 * k + 1))
            sum += term
        }
        return sum
    }

    /// Radius a (1 - e cos E) on an ellipse, written as a ((1 - e) + 2e sin²(E/2)) so it does not cancel.
    static func ellipticRadius(semiMajorAxis a: Double, eccentricity e: Double, anomaly E: Double) -> Double {
        let s = sin(E / 2)
        return a * ((1 - e) + 2 * e * s * s)
    }

    /// Hyperbolic anomaly from the mean anomaly, by bisection on (e - 1) H + e (sinh H - H) = M, the form of
    /// e sinh H - H = M that keeps its precision for e near 1 and small H.
    static func hyperbolicAnomaly(eccentricity e: Double, meanAnomaly m: Double) -> Double {
        let bound = asinh(abs(m) / (e - 1)) + 1
        return bisect(-bound, bound) { H in (e - 1) * H + e * sinhMinusArgument(H) - m }
    }

    /// sinh x - x, by its Taylor series where the difference would cancel.
    static func sinhMinusArgument(_ x: Double) -> Double {
        guard abs(x) < 0.5 else { return sinh(x) - x }
        var term = x * x * x / 6
        var sum = term
        for k in 2...10 {
            term *= x * x / Double(2 * k * (2 * k + 1))
            sum += term
        }
        return sum
    }

    /// Radius a (1 - e cosh H) on a hyperbola, written as -a ((e - 1) + 2e sinh²(H/2)) so it does not cancel.
    static func hyperbolicRadius(semiMajorAxis a: Double, eccentricity e: Double, anomaly h: Double) -> Double {
        let s = sinh(h / 2)
        return -a * ((e - 1) + 2 * e * s * s)
    }
}

/// Ship states read back from a world, for tests that look at a ship tick by tick.
extension World {
    func requireShip(_ id: ShipID) throws -> ShipSnapshot {
        try #require(ship(id), "ship \(id) is missing from the world")
    }
}

import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Universal-variable propagation on every conic, and the time until an orbit reaches a radius.
@Suite struct KeplerDriftTests {
    let mu = Reference.earthGM

    func state(a: Double, e: Double, nu: Double) throws -> (position: SIMD3<Double>, velocity: SIMD3<Double>) {
        try TwoBody.state(
            mu: mu,
            elements: OrbitalElements(
                semiMajorAxisMeters: a, eccentricity: e, inclination: 0.6, rightAscensionOfAscendingNode: 2.1,
                argumentOfPeriapsis: 0.8, trueAnomaly: nu))
    }

    @Test(arguments: [0, 0.5, 0.95])
    func wholePeriodsReturnToStart(eccentricity e: Double) throws {
        let a = 9_000_000.0
        let period = 2 * Double.pi * (a * a * a / mu).squareRoot()
        let start = try state(a: a, e: e, nu: 1.0)
        let one = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: period)
        #expect(TestMath.relativeDifference(one.position, start.position) < 1e-9)
        #expect(TestMath.relativeDifference(one.velocity, start.velocity) < 1e-9)

        let half = try TwoBody.propagate(
            mu: mu, position: start.position, velocity: start.velocity, seconds: 0.5 * period)
        let many = try TwoBody.propagate(
            mu: mu, position: start.position, velocity: start.velocity, seconds: 1_000.5 * period)
        #expect(TestMath.relativeDifference(many.position, half.position) < 1e-8)
        #expect(TestMath.relativeDifference(many.velocity, half.velocity) < 1e-8)
    }

    /// From periapsis of an ellipse, the radius after t is a(1 - e cos E) with E from Kepler's equation. Near
    /// e = 1 the period depends on the state's last bits (a = q / (1 - e) is 1e6 q at e = 0.999999), so that
    /// orbit is checked only during its first day, where the radius does not depend on the period.
    @Test(arguments: [0.2, 0.7, 0.999_999])
    func ellipticDriftMatchesKeplerEquation(eccentricity e: Double) throws {
        let a = 7_000_000 / (1 - e)
        let meanMotion = (mu / (a * a * a)).squareRoot()
        let period = 2 * Double.pi / meanMotion
        let start = try state(a: a, e: e, nu: 0)
        var times = [100.0, 3_600, 86_400]
        if e < 0.99 { times += [0.01, 0.3, 0.5, 0.77, 0.999].map { $0 * period } }
        for seconds in times {
            let m = (meanMotion * seconds).truncatingRemainder(dividingBy: 2 * .pi)
            let expectedE = TestMath.ellipticAnomaly(eccentricity: e, meanAnomaly: m)
            let later = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: seconds)
            let expectedRadius = TestMath.ellipticRadius(semiMajorAxis: a, eccentricity: e, anomaly: expectedE)
            #expect(TestMath.relativeDifference(later.position.length, expectedRadius) < 1e-9, "e=\(e) t=\(seconds) s")
        }
    }

    /// Barker's equation: from periapsis q, t = √(2q³/μ) (D + D³/3) with D = tan(ν/2) and r = q(1 + D²).
    @Test func parabolicDriftMatchesBarkerEquation() throws {
        let q = 7_000_000.0
        var periapsis = OrbitalElements(
            semiMajorAxisMeters: .infinity, eccentricity: 1, inclination: 0.6, rightAscensionOfAscendingNode: 2.1,
            argumentOfPeriapsis: 0.8, trueAnomaly: 0)
        periapsis.periapsisMeters = q
        let start = try TwoBody.state(mu: mu, elements: periapsis)
        let scale = (2 * q * q * q / mu).squareRoot()
        for seconds in [-50_000.0, -600, 60, 3_600, 1e6] {
            let target = seconds / scale
            let d = TestMath.bisect(-1e4, 1e4) { d in d + d * d * d / 3 - target }
            let expectedRadius = q * (1 + d * d)
            let later = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: seconds)
            #expect(TestMath.relativeDifference(later.position.length, expectedRadius) < 1e-9, "t=\(seconds)")
            let escapeSpeed = (2 * mu / later.position.length).squareRoot()
            #expect(TestMath.relativeDifference(later.velocity.length, escapeSpeed) < 1e-9, "t=\(seconds)")
        }
    }

    @Test(arguments: [1.000_001, 1.3, 4])
    func hyperbolicDriftMatchesKeplerEquation(eccentricity e: Double) throws {
        let q = 7_000_000.0
        let a = q / (1 - e)
        let meanMotion = (mu / pow(-a, 3)).squareRoot()
        let start = try state(a: a, e: e, nu: 0)
        for seconds in [-20_000.0, 100, 5_000, 200_000] {
            let h = TestMath.hyperbolicAnomaly(eccentricity: e, meanAnomaly: meanMotion * seconds)
            let expectedRadius = TestMath.hyperbolicRadius(semiMajorAxis: a, eccentricity: e, anomaly: h)
            let later = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: seconds)
            #expect(TestMath.relativeDifference(later.position.length, expectedRadius) < 1e-9, "e=\(e) t=\(seconds)")
        }
    }

    /// Far from periapsis (up to ±1e9 s, about 37 hyperbolic mean-anomaly radians) on the e = 1.001 escape
    /// orbit from a 6,678 km perigee, the radius still follows e sinh H - H = M.
    @Test func hyperbolicDriftFarFromPeriapsis() throws {
        let e = 1.001
        let q = 6_678_000.0
        let a = q / (1 - e)
        let meanMotion = (mu / pow(-a, 3)).squareRoot()
        let start = (position: SIMD3(q, 0, 0), velocity: SIMD3(0, (mu * (1 + e) / q).squareRoot(), 0))
        for seconds in [-1e9, -1e7, 1e7, 1e9] {
            let h = TestMath.hyperbolicAnomaly(eccentricity: e, meanAnomaly: meanMotion * seconds)
            let expectedRadius = TestMath.hyperbolicRadius(semiMajorAxis: a, eccentricity: e, anomaly: h)
            var r = [q, 0, 0]
            var v = [0, start.velocity.y, 0]
            let status = gk_kepler_drift(mu, &r, &v, seconds)
            #expect(status == Int32(GK_OK), "t=\(seconds) s: \(String(cString: gk_status_message(status)))")
            let radius = SIMD3(r[0], r[1], r[2]).length
            #expect(TestMath.relativeDifference(radius, expectedRadius) < 1e-9, "t=\(seconds) s: |r| = \(radius) m")
        }
    }

    /// Propagation keeps energy and angular momentum and can be undone by propagating back.
    @Test(arguments: [0.0, 0.6, 0.999_9, 1.000_1, 2.5])
    func driftIsReversibleAndConservative(eccentricity e: Double) throws {
        let q = 8_000_000.0
        var el = OrbitalElements(
            semiMajorAxisMeters: e == 1 ? .infinity : q / (1 - e), eccentricity: e, inclination: 1.2,
            rightAscensionOfAscendingNode: 0.3, argumentOfPeriapsis: 2.2, trueAnomaly: -0.4)
        el.periapsisMeters = q
        let start = try TwoBody.state(mu: mu, elements: el)
        let energy = start.velocity.dot(start.velocity) / 2 - mu / start.position.length
        let momentum = start.position.cross(start.velocity)
        for seconds in [1.0, 1_234.5, 86_400] {
            let later = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: seconds)
            let laterEnergy = later.velocity.dot(later.velocity) / 2 - mu / later.position.length
            #expect(TestMath.relativeDifference(laterEnergy, energy) < 1e-9, "e=\(e) t=\(seconds)")
            #expect(TestMath.relativeDifference(later.position.cross(later.velocity), momentum) < 1e-12)
            let back = try TwoBody.propagate(mu: mu, position: later.position, velocity: later.velocity, seconds: -seconds)
            #expect(TestMath.relativeDifference(back.position, start.position) < 1e-9, "e=\(e) t=\(seconds)")
            #expect(TestMath.relativeDifference(back.velocity, start.velocity) < 1e-9, "e=\(e) t=\(seconds)")
        }
    }

    // MARK: Radial orbits and the time to reach a radius

    /// Free fall from rest at r0: t = √(r0³/(2μ)) (√(x(1-x)) + acos √x) with x = R/r0, and the speed at R
    /// is √(2μ(1/R - 1/r0)). From 7,378 km to Earth's 6,371 km that is 512.26 s at 4,132.6 m/s.
    @Test func radialFreeFallReachesSurface() throws {
        let r0 = 7_378_000.0
        let x = Reference.earthRadius / r0
        let expectedTime = (r0 * r0 * r0 / (2 * mu)).squareRoot() * ((x * (1 - x)).squareRoot() + acos(x.squareRoot()))
        let expectedSpeed = (2 * mu * (1 / Reference.earthRadius - 1 / r0)).squareRoot()
        #expect(abs(expectedTime - 512.26) < 0.005)
        #expect(abs(expectedSpeed - 4_132.6) < 0.05)

        var r = [r0, 0, 0]
        var v = [0.0, 0, 0]
        var hit = 0.0
        #expect(gk_time_to_radius(mu, &r, &v, Reference.earthRadius, &hit) == Int32(GK_OK))
        #expect(TestMath.relativeDifference(hit, expectedTime) < 1e-9)

        let fallen = try TwoBody.propagate(
            mu: mu, position: SIMD3(r0, 0, 0), velocity: .zero, seconds: expectedTime)
        #expect(TestMath.relativeDifference(fallen.position.length, Reference.earthRadius) < 1e-9)
        #expect(TestMath.relativeDifference(fallen.velocity.length, expectedSpeed) < 1e-9)
        #expect(fallen.position.y == 0, "a radial fall stays on its line")
        #expect(fallen.position.z == 0, "a radial fall stays on its line")
    }

    /// Aimed through the centre at 10 km/s: the time to reach R is ∫ dr / √(v0² + 2μ(1/r - 1/r0)),
    /// integrated here with Simpson's rule (the integrand is smooth because the speed never drops).
    @Test func radialDiveReachesSurface() throws {
        let r0 = 7_378_000.0
        let v0 = 10_000.0
        let speed = { (r: Double) in (v0 * v0 + 2 * mu * (1 / r - 1 / r0)).squareRoot() }
        let intervals = 2_000
        let width = (r0 - Reference.earthRadius) / Double(intervals)
        var sum = 1 / speed(Reference.earthRadius) + 1 / speed(r0)
        for k in 1..<intervals {
            let r = Reference.earthRadius + Double(k) * width
            sum += (k % 2 == 1 ? 4 : 2) / speed(r)
        }
        let expectedTime = sum * width / 3

        var r = [r0, 0, 0]
        var v = [-v0, 0, 0]
        var hit = 0.0
        #expect(gk_time_to_radius(mu, &r, &v, Reference.earthRadius, &hit) == Int32(GK_OK))
        #expect(TestMath.relativeDifference(hit, expectedTime) < 1e-9)
    }

    @Test func radiusNeverReached() throws {
        var r = [7_000_000.0, 0, 0]
        var circular = [0.0, (mu / 7_000_000).squareRoot(), 0]
        var hit = -1.0
        #expect(gk_time_to_radius(mu, &r, &circular, Reference.earthRadius, &hit) == Int32(GK_NEVER))

        var outbound = [20_000.0, 0, 0]
        #expect(gk_time_to_radius(mu, &r, &outbound, Reference.earthRadius, &hit) == Int32(GK_NEVER))
    }

    @Test func radiusAlreadyReached() throws {
        var r = [6_000_000.0, 0, 0]
        var v = [0.0, 7_000, 0]
        var hit = -1.0
        #expect(gk_time_to_radius(mu, &r, &v, Reference.earthRadius, &hit) == Int32(GK_OK))
        #expect(hit == 0)
    }

    @Test func driftFromCentreIsRejected() throws {
        let error = #expect(throws: KernelError.self) {
            try TwoBody.propagate(mu: mu, position: .zero, velocity: SIMD3(1, 0, 0), seconds: 10)
        }
        #expect(error?.code == Int32(GK_ERR_DEGENERATE_ORBIT))
    }

    @Test func driftOfNonFiniteStateIsRejected() throws {
        let error = #expect(throws: KernelError.self) {
            try TwoBody.propagate(mu: mu, position: SIMD3(7e6, 0, 0), velocity: SIMD3(.infinity, 0, 0), seconds: 10)
        }
        #expect(error?.code == Int32(GK_ERR_NON_FINITE))
    }
}

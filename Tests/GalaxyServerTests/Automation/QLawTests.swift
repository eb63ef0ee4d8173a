import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Shared set-ups for the Q-law tests: Earth, a GEO target and random orbits.
enum QLawFixture {
    static let mu = Reference.earthGM
    static let minimumPeriapsis = Reference.earthRadius + 200_000

    static func parameters(_ target: QLawTarget, thrustAcceleration: Double = 1e-3) -> QLawParameters {
        QLawParameters(
            mu: mu, target: target, thrustAcceleration: thrustAcceleration, minimumPeriapsisMeters: minimumPeriapsis)
    }

    static let geo = QLawTarget(semiMajorAxisMeters: 42_165_000, eccentricity: 0, inclination: 0)

    /// The geostationary transfer orbit of the effectivity cases: a = 24,505.9 km, e = 0.725, i = 7°.
    static func gto(trueAnomaly: Double = 0) -> OrbitalElements {
        OrbitalElements(
            semiMajorAxisMeters: 24_505_900, eccentricity: 0.725, inclination: TestMath.radians(7),
            rightAscensionOfAscendingNode: 0, argumentOfPeriapsis: 0, trueAnomaly: trueAnomaly)
    }

    /// An elliptic orbit with periapsis above the minimum and random orientation.
    static func randomOrbit(_ generator: inout SplitMix64) -> OrbitalElements {
        let periapsis = minimumPeriapsis + 100_000 + 30_000_000 * generator.nextUnit()
        let e = 0.85 * generator.nextUnit()
        return OrbitalElements(
            semiMajorAxisMeters: periapsis / (1 - e), eccentricity: e, inclination: 2.9 * generator.nextUnit(),
            rightAscensionOfAscendingNode: 2 * .pi * generator.nextUnit(),
            argumentOfPeriapsis: 2 * .pi * generator.nextUnit(), trueAnomaly: 2 * .pi * generator.nextUnit())
    }

    static func randomTarget(_ generator: inout SplitMix64) -> QLawTarget {
        let orbit = randomOrbit(&generator)
        return QLawTarget(
            semiMajorAxisMeters: orbit.semiMajorAxisMeters, eccentricity: orbit.eccentricity,
            inclination: orbit.inclination, rightAscensionOfAscendingNode: orbit.rightAscensionOfAscendingNode,
            argumentOfPeriapsis: orbit.argumentOfPeriapsis)
    }

    /// Slow elements (a, f, g, h, k) of `elements`.
    static func slow(_ elements: ModifiedEquinoctialElements) -> [Double] {
        var m = elements.kernelValue
        var x = [Double](repeating: 0, count: 5)
        #expect(gk_qlaw_slow_elements(&m, &x) == Int32(GK_OK))
        return x
    }

    /// Q and its analytic gradient from the kernel.
    static func value(_ p: inout gk_qlaw_params, _ x: [Double]) -> (q: Double, gradient: [Double]) {
        var q = 0.0
        var gradient = [Double](repeating: 0, count: 5)
        #expect(gk_qlaw_value(&p, x, &q, &gradient) == Int32(GK_OK))
        return (q, gradient)
    }
}

/// Conversions to modified equinoctial elements, the gradient of Q and the steering direction.
@Suite struct QLawTests {
    let mu = QLawFixture.mu

    func roundTrip(_ position: SIMD3<Double>, _ velocity: SIMD3<Double>) throws -> ModifiedEquinoctialElements {
        let mee = try ModifiedEquinoctialElements(mu: mu, position: position, velocity: velocity)
        let back = try mee.state(mu: mu)
        #expect(TestMath.relativeDifference(back.position, position) < 1e-12)
        #expect(TestMath.relativeDifference(back.velocity, velocity) < 1e-12)
        return mee
    }

    @Test func circularEquatorialElements() throws {
        let radius = 7_000_000.0
        let angle = 1.2
        let position = radius * SIMD3(cos(angle), sin(angle), 0)
        let velocity = (mu / radius).squareRoot() * SIMD3(-sin(angle), cos(angle), 0)
        let mee = try roundTrip(position, velocity)
        #expect(TestMath.relativeDifference(mee.semiLatusRectumMeters, radius) < 1e-12)
        #expect(abs(mee.f) < 1e-12)
        #expect(abs(mee.g) < 1e-12)
        #expect(mee.h == 0)
        #expect(mee.k == 0)
        #expect(abs(mee.trueLongitude - angle) < 1e-12)
    }

    /// The circular, 45°-inclined orbit whose argument of periapsis is NaN in some libraries.
    @Test func circularInclinedElementsAndSteering() throws {
        let radius = 10_000_000.0
        let position = radius * SIMD3(-0.5.squareRoot(), 0, 0.5.squareRoot())
        let velocity = SIMD3(0, -(mu / radius).squareRoot(), 0)
        let mee = try roundTrip(position, velocity)
        #expect(abs(mee.f) < 1e-12)
        #expect(abs(mee.g) < 1e-12)
        #expect(abs(mee.h) < 1e-15)
        #expect(abs(mee.k - tan(TestMath.radians(22.5))) < 1e-12, "k = tan(i/2) sin(raan) with i = 45°, raan = 90°")
        #expect(abs(TestMath.degrees(mee.trueLongitude) - 180) < 1e-9, "L = raan + u = 90° + 90°")

        let steering = try QLaw.steer(QLawFixture.parameters(QLawFixture.geo), position: position, velocity: velocity)
        #expect(steering.direction.isFinite)
        #expect(abs(steering.direction.length - 1) < 1e-12)
        #expect(abs(steering.directionRTN.length - 1) < 1e-12)
        #expect(steering.qDot < 0)
    }

    @Test(arguments: [0.999_999, 1.0, 1.000_001, 1.5, 4.0])
    func nearParabolicAndHyperbolicRoundTrip(eccentricity: Double) throws {
        for nu in [-1.2, 0, 0.4, 1.5] where eccentricity <= 1 || abs(nu) < acos(-1 / eccentricity) {
            var el = OrbitalElements(
                semiMajorAxisMeters: eccentricity == 1 ? .infinity : 8_000_000 / (1 - eccentricity),
                eccentricity: eccentricity, inclination: 0.6, rightAscensionOfAscendingNode: 2.0,
                argumentOfPeriapsis: 4.0, trueAnomaly: nu)
            el.periapsisMeters = 8_000_000
            let state = try TwoBody.state(mu: mu, elements: el)
            let mee = try roundTrip(state.position, state.velocity)
            #expect(abs(mee.eccentricity - eccentricity) < 1e-9)
            // The input state carries the rounding of a (1 - e^2) with a = 8e6 / (1 - e), about 1e-11 here.
            #expect(TestMath.relativeDifference(mee.semiLatusRectumMeters, 8_000_000 * (1 + eccentricity)) < 1e-10)
            let fromElements = try ModifiedEquinoctialElements(elements: el)
            #expect(abs(TestMath.angleDifference(fromElements.trueLongitude, mee.trueLongitude)) < 1e-9)
        }
    }

    /// p, e, i, Ω, longitude of periapsis and L agree with the classical elements of gk_elements_from_state.
    @Test func matchesClassicalElements() throws {
        var generator = SplitMix64(seed: 11)
        for index in 0..<200 {
            var el = QLawFixture.randomOrbit(&generator)
            if index % 4 == 1 { el.eccentricity = 0 }
            if index % 4 == 2 { el.inclination = 0 }
            if index % 8 == 3 {
                el.eccentricity = 1.3 + generator.nextUnit()
                el.semiMajorAxisMeters = -9e6
                el.trueAnomaly = 0.3
            }
            let state = try TwoBody.state(mu: mu, elements: el)
            let classical = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
            let mee = try roundTrip(state.position, state.velocity)
            let p = classical.semiMajorAxisMeters * (1 - classical.eccentricity * classical.eccentricity)
            #expect(TestMath.relativeDifference(mee.semiLatusRectumMeters, p) < 1e-10)
            #expect(abs(mee.eccentricity - classical.eccentricity) < 1e-10)
            #expect(abs(mee.inclination - classical.inclination) < 1e-10)
            let longitudeOfPeriapsis = classical.rightAscensionOfAscendingNode + classical.argumentOfPeriapsis
            let longitude = longitudeOfPeriapsis + classical.trueAnomaly
            #expect(abs(TestMath.angleDifference(mee.trueLongitude, longitude)) < 1e-9)
            if classical.eccentricity > 1e-6 {
                #expect(abs(TestMath.angleDifference(atan2(mee.g, mee.f), longitudeOfPeriapsis)) < 1e-8)
            }
            if classical.inclination > 1e-6 {
                let node = atan2(mee.k, mee.h)
                #expect(abs(TestMath.angleDifference(node, classical.rightAscensionOfAscendingNode)) < 1e-9)
            }
        }
    }

    @Test func retrogradeEquatorialRejected() throws {
        let radius = 7_000_000.0
        let position = SIMD3(radius, 0, 0)
        let velocity = SIMD3(0, -(mu / radius).squareRoot(), 0)
        #expect(throws: QLawError.retrogradeEquatorial(subject: "orbit", inclination: .pi)) {
            try ModifiedEquinoctialElements(mu: mu, position: position, velocity: velocity)
        }
        let target = QLawTarget(semiMajorAxisMeters: 8e6, eccentricity: 0, inclination: .pi)
        #expect(throws: QLawError.retrogradeEquatorial(subject: "target", inclination: .pi)) {
            try QLaw.steer(QLawFixture.parameters(target), position: SIMD3(radius, 0, 0), velocity: -velocity)
        }
        let tilted = SIMD3(0, -cos(0.01), sin(0.01)) * velocity.length
        let nearlyRetrograde = try roundTrip(position, tilted)
        #expect(abs(nearlyRetrograde.inclination - (.pi - 0.01)) < 1e-9)
    }

    @Test func unboundOrbitRejectedBySteering() throws {
        let position = SIMD3(7_000_000.0, 0, 0)
        let velocity = SIMD3(0, 1.2 * (2 * mu / position.x).squareRoot(), 0)
        #expect(throws: QLawError.self) {
            try QLaw.steer(QLawFixture.parameters(QLawFixture.geo), position: position, velocity: velocity)
        }
        do {
            _ = try QLaw.steer(QLawFixture.parameters(QLawFixture.geo), position: position, velocity: velocity)
        } catch .unboundOrbit(let e) {
            #expect(abs(e - 1.88) < 1e-9)
        } catch {
            Issue.record("expected unboundOrbit, got \(error)")
        }
    }

    /// The analytic gradient of Q against central differences, including circular and equatorial orbits,
    /// a target at the current a, and an active periapsis penalty.
    @Test func gradientMatchesFiniteDifferences() throws {
        var generator = SplitMix64(seed: 5)
        for index in 0..<60 {
            var orbit = QLawFixture.randomOrbit(&generator)
            if index % 5 == 1 { orbit.eccentricity = 0 }
            if index % 5 == 2 { orbit.inclination = 0 }
            var parameters = QLawFixture.parameters(QLawFixture.randomTarget(&generator))
            if index % 5 == 3 { parameters.target.semiMajorAxisMeters = orbit.semiMajorAxisMeters }
            if index % 5 == 4 {
                parameters.minimumPeriapsisMeters = orbit.semiMajorAxisMeters * (1 - orbit.eccentricity) * 1.02
            }
            var p = try parameters.kernelValue()
            let x = QLawFixture.slow(try ModifiedEquinoctialElements(elements: orbit))
            let gradient = QLawFixture.value(&p, x).gradient
            let steps = [x[0] * 1e-6, 1e-6, 1e-6, 1e-6, 1e-6]
            for i in 0..<5 {
                var plus = x
                var minus = x
                plus[i] += steps[i]
                minus[i] -= steps[i]
                let numeric = (QLawFixture.value(&p, plus).q - QLawFixture.value(&p, minus).q) / (2 * steps[i])
                let scale = zip(gradient, steps).map { abs($0 * $1) }.max()! / steps[i]
                #expect(
                    abs(numeric - gradient[i]) <= 1e-5 * scale,
                    "orbit \(index) element \(i): \(gradient[i]) vs \(numeric)")
            }
        }
    }

    /// The Gauss matrix against the change of the converted elements under a small velocity impulse.
    @Test func gaussMatrixMatchesImpulse() throws {
        var generator = SplitMix64(seed: 9)
        for _ in 0..<20 {
            let orbit = QLawFixture.randomOrbit(&generator)
            let state = try TwoBody.state(mu: mu, elements: orbit)
            let mee = try ModifiedEquinoctialElements(mu: mu, position: state.position, velocity: state.velocity)
            let x = QLawFixture.slow(mee)
            var b = [Double](repeating: 0, count: 15)
            b.withUnsafeMutableBytes { raw in
                let rows = raw.baseAddress!.assumingMemoryBound(to: (Double, Double, Double).self)
                #expect(gk_qlaw_gauss_matrix(mu, x, mee.trueLongitude, rows) == Int32(GK_OK))
            }
            let frame = rtnFrame(state.position, state.velocity)
            for c in 0..<3 {
                let dv = 1e-3
                let plus = QLawFixture.slow(
                    try ModifiedEquinoctialElements(
                        mu: mu, position: state.position, velocity: state.velocity + dv * frame[c]))
                let minus = QLawFixture.slow(
                    try ModifiedEquinoctialElements(
                        mu: mu, position: state.position, velocity: state.velocity - dv * frame[c]))
                for j in 0..<5 {
                    let numeric = (plus[j] - minus[j]) / (2 * dv)
                    let scale = j == 0 ? x[0] * 1e-3 : 1e-6
                    #expect(abs(numeric - b[3 * j + c]) <= 1e-5 * max(abs(b[3 * j + c]), scale), "row \(j) column \(c)")
                }
            }
        }
    }

    func rtnFrame(_ r: SIMD3<Double>, _ v: SIMD3<Double>) -> [SIMD3<Double>] {
        let radial = r / r.length
        let normal = r.cross(v) / r.cross(v).length
        return [radial, normal.cross(radial), normal]
    }

    /// As the eccentricity vector shrinks to zero from any direction, and h, k to zero, the thrust direction
    /// converges to its value at exactly e = 0, i = 0: the change is proportional to e, so no chattering.
    @Test func directionContinuousAtCircularEquatorial() throws {
        let target = QLawTarget(semiMajorAxisMeters: 8_000_000, eccentricity: 0, inclination: TestMath.radians(10))
        let parameters = QLawFixture.parameters(target, thrustAcceleration: 1)
        let base = ModifiedEquinoctialElements(
            semiLatusRectumMeters: 7_000_000, f: 0, g: 0, h: 0, k: 0, trueLongitude: 0.7)
        let reference = try QLaw.steer(parameters, elements: base)
        #expect(reference.directionRTN.isFinite)
        #expect(abs(reference.directionRTN.length - 1) < 1e-12)
        for angle in stride(from: 0.0, to: 2 * .pi, by: 0.9) {
            var previous = Double.infinity
            for exponent in 3...9 {
                let size = pow(10, -Double(exponent))
                var eccentric = base
                eccentric.f = size * cos(angle)
                eccentric.g = size * sin(angle)
                var inclined = base
                inclined.h = size * cos(angle)
                inclined.k = size * sin(angle)
                for elements in [eccentric, inclined] {
                    let change = (try QLaw.steer(parameters, elements: elements).directionRTN - reference.directionRTN)
                        .length
                    #expect(change < 100 * size, "offset \(size) at angle \(angle): direction moved \(change)")
                }
                let change = (try QLaw.steer(parameters, elements: eccentric).directionRTN - reference.directionRTN)
                    .length
                #expect(change < previous)
                previous = change
            }
        }
    }
}

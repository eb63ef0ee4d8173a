import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Anomaly conversions near e = 1 on both sides, and the time until a true anomaly.
@Suite struct KeplerAnomalyTests {
    // MARK: Hyperbolic, e just above 1

    /// A comet with e = 1.00115, in AU and days with the Sun's GM = k² (the functions take any
    /// consistent units): 858.66129 days after perihelion.
    @Test func cometJustAboveParabolic() throws {
        let mu = Reference.gaussianConstant * Reference.gaussianConstant
        let e = 1.0011483272678154
        let q = 5.594792535298549
        let a = q / (1 - e)
        let meanAnomaly = (mu / pow(-a, 3)).squareRoot() * 858.66129
        let expectedH = TestMath.hyperbolicAnomaly(eccentricity: e, meanAnomaly: meanAnomaly)
        let expectedNu = 2 * atan(((e + 1) / (e - 1)).squareRoot() * tanh(expectedH / 2))

        // The rounded reference values of this case, checked to their last printed digit.
        #expect(abs(a + 4_872.124) < 5e-4)
        #expect(abs(meanAnomaly - 4.34336e-5) < 5e-11)
        #expect(abs(expectedH - 0.0327289) < 5e-8)
        #expect(abs(TestMath.degrees(expectedNu) - 68.6721) < 5e-5)

        let h = try TwoBody.eccentricAnomaly(eccentricity: e, meanAnomaly: meanAnomaly)
        #expect(TestMath.relativeDifference(h, expectedH) < 1e-9)
        let nu = try TwoBody.trueAnomaly(eccentricity: e, meanAnomaly: meanAnomaly)
        #expect(TestMath.relativeDifference(nu, expectedNu) < 1e-9)

        let perihelion = OrbitalElements(
            semiMajorAxisMeters: a, eccentricity: e, inclination: 0.2, rightAscensionOfAscendingNode: 1,
            argumentOfPeriapsis: 2, trueAnomaly: 0)
        let start = try TwoBody.state(mu: mu, elements: perihelion)
        let later = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: 858.66129)
        let el = try TwoBody.elements(mu: mu, position: later.position, velocity: later.velocity)
        let expectedRadius = TestMath.hyperbolicRadius(semiMajorAxis: a, eccentricity: e, anomaly: expectedH)
        #expect(abs(expectedRadius - 8.20748) < 5e-6)
        #expect(TestMath.relativeDifference(later.position.length, expectedRadius) < 1e-9)
        #expect(TestMath.relativeDifference(el.semiMajorAxisMeters, a) < 1e-9)
        #expect(TestMath.relativeDifference(el.trueAnomaly, expectedNu) < 1e-9)
        #expect(TestMath.relativeDifference(el.meanAnomaly, meanAnomaly) < 1e-9)
        #expect(abs(TestMath.degrees(acos(-1 / e)) - 177.26) < 0.005)
    }

    /// Earth-centred ship at perigee 6,678 km with e = 1.001, one hour later. Its perigee speed √(μ(1+e)/q) is
    /// about 10,928.718 m/s but is used unrounded, so e is 1.001 to the last bit.
    @Test func shipJustAboveEscape() throws {
        let mu = Reference.earthGM
        let e = 1.001
        let q = 6_678_000.0
        let a = q / (1 - e)
        let start = (position: SIMD3(q, 0, 0), velocity: SIMD3(0, (mu * (1 + e) / q).squareRoot(), 0))
        let meanAnomaly = (mu / pow(-a, 3)).squareRoot() * 3_600
        let expectedH = TestMath.hyperbolicAnomaly(eccentricity: e, meanAnomaly: meanAnomaly)
        let expectedNu = 2 * atan(((e + 1) / (e - 1)).squareRoot() * tanh(expectedH / 2))
        let expectedRadius = TestMath.hyperbolicRadius(semiMajorAxis: a, eccentricity: e, anomaly: expectedH)
        #expect(abs(meanAnomaly - 1.317048e-4) < 5e-10)
        #expect(abs(expectedH - 0.0712768) < 5e-8)
        #expect(abs(TestMath.degrees(expectedNu) - 115.7801) < 5e-5)
        #expect(abs(expectedRadius - 23_665_570) < 5)

        let later = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: 3_600)
        let el = try TwoBody.elements(mu: mu, position: later.position, velocity: later.velocity)
        #expect(TestMath.relativeDifference(el.semiMajorAxisMeters, a) < 1e-9)
        #expect(TestMath.relativeDifference(el.eccentricity, e) < 1e-9)
        #expect(TestMath.relativeDifference(el.meanAnomaly, meanAnomaly) < 1e-9)
        #expect(TestMath.relativeDifference(el.trueAnomaly, expectedNu) < 1e-9)
        #expect(TestMath.relativeDifference(later.position.length, expectedRadius) < 1e-9)
    }

    /// The same ship flown by the world in one-minute ticks: with Earth alone the ship kernel's drift is
    /// the exact conic, so the elements agree with the closed form.
    @Test func worldFliesShipJustAboveEscape() throws {
        let mu = Reference.earthGM
        let e = 1.001
        let q = 6_678_000.0
        let world = TestWorlds.earthOnly()
        let id = try world.addShip(
            name: "Escaper", position: SIMD3(q, 0, 0), velocity: SIMD3(0, (mu * (1 + e) / q).squareRoot(), 0))
        for _ in 0..<60 { try world.step(seconds: 60) }
        let (_, el) = try world.elements(of: id)
        let a = q / (1 - e)
        let meanAnomaly = (mu / pow(-a, 3)).squareRoot() * 3_600
        let expectedH = TestMath.hyperbolicAnomaly(eccentricity: e, meanAnomaly: meanAnomaly)
        let expectedNu = 2 * atan(((e + 1) / (e - 1)).squareRoot() * tanh(expectedH / 2))
        #expect(TestMath.relativeDifference(el.semiMajorAxisMeters, a) < 1e-9)
        #expect(TestMath.relativeDifference(el.trueAnomaly, expectedNu) < 1e-9)
    }

    /// Before perigee the true and mean anomalies are negative; after perigee positive, and inside ±ν∞.
    @Test func hyperbolicAnomalyIsSigned() throws {
        let mu = Reference.earthGM
        let e = 1.001
        let q = 6_678_000.0
        let start = (position: SIMD3(q, 0, 0), velocity: SIMD3(0, (mu * (1 + e) / q).squareRoot(), 0))
        let limit = acos(-1 / e)

        let before = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: -3_600)
        let el = try TwoBody.elements(mu: mu, position: before.position, velocity: before.velocity)
        #expect(abs(TestMath.degrees(el.trueAnomaly) + 115.7801) < 5e-5, "one hour before perigee")
        #expect(el.meanAnomaly < 0)

        for seconds in [-1e6, -3e4, 3e4, 1e6] {
            let far = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: seconds)
            let farElements = try TwoBody.elements(mu: mu, position: far.position, velocity: far.velocity)
            #expect(abs(farElements.trueAnomaly) < limit, "t=\(seconds) s")
            #expect((farElements.trueAnomaly < 0) == (seconds < 0), "t=\(seconds) s")
        }
        let negative = try TwoBody.meanAnomaly(eccentricity: e, trueAnomaly: -2)
        #expect(negative < 0, "no wrap into [0, 2π) for hyperbolas")
    }

    @Test func hyperbolicAnomalyBeyondAsymptoteIsRejected() throws {
        let error = #expect(throws: KernelError.self) { try TwoBody.meanAnomaly(eccentricity: 1.5, trueAnomaly: 2.5) }
        #expect(error?.code == Int32(GK_ERR_INVALID_ARGUMENT))
    }

    // MARK: Elliptic, e just below 1, near apoapsis

    @Test(arguments: [(0.995, 2.3540571, 1.6489836), (0.999, 1.6433661, 0.6469955)])
    func nearParabolicAnomaliesAtApoapsis(e: Double, printedE: Double, printedM: Double) throws {
        let nu = 3.1
        let expectedE = 2 * atan2((1 - e).squareRoot() * sin(nu / 2), (1 + e).squareRoot() * cos(nu / 2))
        let expectedM = expectedE - e * sin(expectedE)
        #expect(abs(expectedE - printedE) < 5e-8)
        #expect(abs(expectedM - printedM) < 5e-8)

        let m = try TwoBody.meanAnomaly(eccentricity: e, trueAnomaly: nu)
        #expect(abs(m - expectedM) < 1e-12)
        let anomaly = try TwoBody.eccentricAnomaly(eccentricity: e, meanAnomaly: expectedM)
        #expect(abs(anomaly - expectedE) < 1e-12)
        let back = try TwoBody.trueAnomaly(eccentricity: e, meanAnomaly: m)
        #expect(abs(back - nu) < 1e-12)
    }

    /// ν → M → ν from 3.00 rad to π in steps of 0.01: every solve converges (no iteration cap) and the
    /// round trip is exact to 1e-12 rad.
    @Test(.timeLimit(.minutes(1)), arguments: [0.985, 0.99, 0.995, 0.999, 0.999_999])
    func nearParabolicRoundTripNearApoapsis(eccentricity e: Double) throws {
        var angles = stride(from: 3.0, to: Double.pi, by: 0.01).map { $0 }
        angles.append(.pi)
        for nu in angles {
            var m = 0.0
            #expect(gk_mean_from_true(e, nu, &m) == Int32(GK_OK))
            var back = 0.0
            #expect(gk_true_from_mean(e, m, &back) == Int32(GK_OK), "no convergence at e=\(e) nu=\(nu)")
            #expect(abs(TestMath.angleDifference(back, nu)) < 1e-12, "e=\(e) nu=\(nu) came back as \(back)")
        }
    }

    /// Kepler's equation over the whole orbit for e up to 0.999999: each solve converges within the cap
    /// and satisfies the equation to round-off.
    @Test(.timeLimit(.minutes(1)), arguments: [0, 0.5, 0.985, 0.999, 0.999_999])
    func keplerSolveConvergesEverywhere(eccentricity e: Double) throws {
        for k in 0..<2_000 {
            let m = 2 * Double.pi * Double(k) / 2_000
            var anomaly = 0.0
            #expect(gk_eccentric_from_mean(e, m, &anomaly) == Int32(GK_OK), "no convergence at e=\(e) M=\(m)")
            let residual = anomaly - e * sin(anomaly) - m
            #expect(abs(residual) < 1e-14 * max(1, abs(m)), "e=\(e) M=\(m) gives E=\(anomaly)")
        }
    }

    // MARK: Time until a true anomaly

    let mu = Reference.earthGM
    let a = 7_000_000.0
    let e = 0.1
    var period: Double { 2 * Double.pi * (a * a * a / mu).squareRoot() }

    func closedFormMeanAnomaly(_ nu: Double) -> Double {
        let anomaly = 2 * atan2((1 - e).squareRoot() * sin(nu / 2), (1 + e).squareRoot() * cos(nu / 2))
        let m = anomaly - e * sin(anomaly)
        return m < 0 ? m + 2 * .pi : m
    }

    @Test func timeUntilAnomalyInSecondHalf() throws {
        let from = TestMath.radians(300)
        let to = TestMath.radians(10)
        #expect(abs(TestMath.degrees(closedFormMeanAnomaly(from)) - 309.5519) < 5e-5)
        #expect(abs(TestMath.degrees(closedFormMeanAnomaly(to)) - 8.1483) < 5e-5)
        #expect(abs(period - 5_828.52) < 0.005)

        let dt = try TwoBody.timeUntil(trueAnomaly: to, from: from, mu: mu, semiMajorAxisMeters: a, eccentricity: e)
        #expect(abs(dt - 948.70) < 0.005)
        #expect(dt >= 0)
        #expect(dt < period)
    }

    /// After a long warp the current anomaly comes from an unwrapped mean anomaly a million seconds past
    /// the epoch, and the time until 10° must not change.
    @Test func timeUntilAnomalyAfterLongWarp() throws {
        let meanMotion = (mu / (a * a * a)).squareRoot()
        let epochMeanAnomaly = closedFormMeanAnomaly(TestMath.radians(300)) - meanMotion * 1e6
        let current = try TwoBody.trueAnomaly(eccentricity: e, meanAnomaly: epochMeanAnomaly + meanMotion * 1e6)
        let dt = try TwoBody.timeUntil(
            trueAnomaly: TestMath.radians(10), from: current, mu: mu, semiMajorAxisMeters: a, eccentricity: e)
        #expect(abs(dt - 948.70) < 0.005)

        let atEpoch = try TwoBody.trueAnomaly(eccentricity: e, meanAnomaly: epochMeanAnomaly)
        #expect(atEpoch >= 0, "unwrapped mean anomaly \(epochMeanAnomaly) gave \(atEpoch)")
        #expect(atEpoch < 2 * .pi, "unwrapped mean anomaly \(epochMeanAnomaly) gave \(atEpoch)")

        for equivalent: Double in [-60, 300 + 720, 300 - 3_600] {
            let shifted = try TwoBody.timeUntil(
                trueAnomaly: TestMath.radians(10), from: TestMath.radians(equivalent), mu: mu, semiMajorAxisMeters: a,
                eccentricity: e)
            #expect(abs(shifted - dt) < 1e-6, "current anomaly given as \(equivalent)°")
        }
    }

    /// From any anomaly to any other the time lies in [0, P), and flying the orbit that long arrives there.
    @Test func timeUntilAnomalyArrivesForward() throws {
        let degrees: [Double] = [0, 10, 90, 179, 181, 270, 300, 359.9]
        for fromDegrees in degrees {
            let start = try TwoBody.state(
                mu: mu,
                elements: OrbitalElements(
                    semiMajorAxisMeters: a, eccentricity: e, inclination: 0.5, rightAscensionOfAscendingNode: 0.1,
                    argumentOfPeriapsis: 1, trueAnomaly: TestMath.radians(fromDegrees)))
            for toDegrees in degrees {
                let dt = try TwoBody.timeUntil(
                    trueAnomaly: TestMath.radians(toDegrees), from: TestMath.radians(fromDegrees), mu: mu,
                    semiMajorAxisMeters: a, eccentricity: e)
                #expect(dt >= 0, "\(fromDegrees)° to \(toDegrees)° took \(dt) s")
                #expect(dt < period, "\(fromDegrees)° to \(toDegrees)° took \(dt) s")
                if fromDegrees == toDegrees { #expect(dt == 0) }
                let end = try TwoBody.propagate(mu: mu, position: start.position, velocity: start.velocity, seconds: dt)
                let el = try TwoBody.elements(mu: mu, position: end.position, velocity: end.velocity)
                let miss = TestMath.angleDifference(el.trueAnomaly, TestMath.radians(toDegrees))
                #expect(abs(miss) < 1e-9, "\(fromDegrees)° to \(toDegrees)° arrived \(miss) rad off")
            }
        }
    }
}

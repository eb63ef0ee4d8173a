import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// State vectors to classical elements and back, including the circular, equatorial, parabolic and
/// hyperbolic cases where the elements are singular or unbounded.
@Suite struct TwoBodyElementTests {
    let mu = Reference.earthGM

    /// The circular, 45°-inclined orbit of radius 10,000 km built from its exact radius and circular speed.
    /// The same state rounded to 1 cm and 1 mm/s has e ≈ 5e-8.
    var circularInclinedState: (position: SIMD3<Double>, velocity: SIMD3<Double>) {
        let radius = 10_000_000.0
        let position = radius * SIMD3(-0.5.squareRoot(), 0, 0.5.squareRoot())
        return (position, SIMD3(0, -(mu / radius).squareRoot(), 0))
    }

    @Test func circularInclinedOrbitElements() throws {
        let state = circularInclinedState
        let el = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)

        #expect(TestMath.relativeDifference(el.semiMajorAxisMeters, 10_000_000) < 1e-12)
        #expect(el.eccentricity <= 1e-12)
        #expect(abs(TestMath.degrees(el.inclination) - 45) < 1e-9)
        #expect(abs(TestMath.degrees(el.rightAscensionOfAscendingNode) - 90) < 1e-9)
        #expect(el.argumentOfPeriapsis == 0, "circular orbits use argument of periapsis 0")
        #expect(abs(TestMath.degrees(el.trueAnomaly) - 90) < 1e-9, "true anomaly is the argument of latitude")
        #expect(abs(TestMath.degrees(el.meanAnomaly) - 90) < 1e-9)
        #expect(abs(el.periodSeconds - 9_952.01) < 0.005)
        #expect(TestMath.relativeDifference(el.periapsisMeters, 10_000_000) < 1e-12)
        #expect(TestMath.relativeDifference(el.apoapsisMeters, 10_000_000) < 1e-12)
    }

    @Test func circularInclinedOrbitRoundTrip() throws {
        let state = circularInclinedState
        let el = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
        let back = try TwoBody.state(mu: mu, elements: el)
        #expect(TestMath.relativeDifference(back.position, state.position) < 1e-6)
        #expect(TestMath.relativeDifference(back.velocity, state.velocity) < 1e-6)
    }

    /// The rounded state is slightly eccentric, so periapsis and anomaly move, but their sum
    /// (the argument of latitude) stays 90° and nothing is NaN.
    @Test func roundedCircularStateHasNoNaN() throws {
        let el = try TwoBody.elements(
            mu: mu, position: SIMD3(-7_071_067.81, 0, 7_071_067.81), velocity: SIMD3(0, -6_313.481, 0))
        for (name, value) in Self.fields(of: el) {
            #expect(!value.isNaN, "\(name) is NaN")
        }
        #expect(TestMath.relativeDifference(el.semiMajorAxisMeters, 10_000_000) < 1e-6)
        #expect(abs(TestMath.degrees(el.inclination) - 45) < 1e-6)
        #expect(abs(TestMath.degrees(el.rightAscensionOfAscendingNode) - 90) < 1e-6)
        let latitude = el.argumentOfPeriapsis + el.trueAnomaly
        #expect(abs(TestMath.angleDifference(latitude, .pi / 2)) < 1e-6)
    }

    @Test func worldReportsCircularOrbitElements() throws {
        let world = TestWorlds.earthOnly()
        let state = circularInclinedState
        let id = try world.addShip(name: "Circular", position: state.position, velocity: state.velocity)
        let (body, el) = try world.elements(of: id)
        #expect(body == "Earth")
        #expect(el.eccentricity <= 1e-12)
        #expect(abs(TestMath.degrees(el.inclination) - 45) < 1e-9)
        #expect(abs(TestMath.degrees(el.rightAscensionOfAscendingNode) - 90) < 1e-9)
        #expect(abs(TestMath.degrees(el.trueAnomaly) - 90) < 1e-9)
    }

    /// Every combination of singular and regular elliptic elements: the state survives elements → state →
    /// elements → state, and no element is NaN.
    @Test(arguments: [0, 0.3, 0.9, 0.999_999], [0, 1e-13, 0.7, .pi / 2, .pi - 1e-13, .pi])
    func ellipticStateRoundTrip(eccentricity: Double, inclination: Double) throws {
        for raan in [0, 2.5] {
            for argp in [0, 4.0] {
                for nu in [0, 1, 3.1, 5.5] {
                    let el = OrbitalElements(
                        semiMajorAxisMeters: 12_000_000, eccentricity: eccentricity, inclination: inclination,
                        rightAscensionOfAscendingNode: raan, argumentOfPeriapsis: argp, trueAnomaly: nu)
                    let state = try TwoBody.state(mu: mu, elements: el)
                    let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
                    for (name, value) in Self.fields(of: derived) {
                        #expect(!value.isNaN, "\(name) is NaN for e=\(eccentricity) i=\(inclination)")
                    }
                    let back = try TwoBody.state(mu: mu, elements: derived)
                    let label = "e=\(eccentricity) i=\(inclination) raan=\(raan) argp=\(argp) nu=\(nu)"
                    #expect(TestMath.relativeDifference(back.position, state.position) < 1e-9, "\(label)")
                    #expect(TestMath.relativeDifference(back.velocity, state.velocity) < 1e-9, "\(label)")
                }
            }
        }
    }

    @Test func regularElementsRoundTrip() throws {
        let el = OrbitalElements(
            semiMajorAxisMeters: 26_560_000, eccentricity: 0.74, inclination: 1.1, rightAscensionOfAscendingNode: 5.9,
            argumentOfPeriapsis: 4.7, trueAnomaly: 2.2)
        let state = try TwoBody.state(mu: mu, elements: el)
        let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
        #expect(TestMath.relativeDifference(derived.semiMajorAxisMeters, el.semiMajorAxisMeters) < 1e-12)
        #expect(abs(derived.eccentricity - el.eccentricity) < 1e-12)
        #expect(abs(derived.inclination - el.inclination) < 1e-12)
        #expect(abs(TestMath.angleDifference(derived.rightAscensionOfAscendingNode, 5.9)) < 1e-12)
        #expect(abs(TestMath.angleDifference(derived.argumentOfPeriapsis, 4.7)) < 1e-12)
        #expect(abs(TestMath.angleDifference(derived.trueAnomaly, 2.2)) < 1e-12)
        let period = 2 * Double.pi * (pow(26_560_000, 3) / mu).squareRoot()
        #expect(TestMath.relativeDifference(derived.periodSeconds, period) < 1e-12)
        #expect(TestMath.relativeDifference(derived.specificEnergy, -mu / (2 * 26_560_000)) < 1e-12)
    }

    /// Circular orbits measure the anomaly from the ascending node: it becomes ω + ν.
    @Test func circularOrbitAnomalyIsArgumentOfLatitude() throws {
        let el = OrbitalElements(
            semiMajorAxisMeters: 8_000_000, eccentricity: 0, inclination: 0.9, rightAscensionOfAscendingNode: 1.3,
            argumentOfPeriapsis: 2.0, trueAnomaly: 0.5)
        let state = try TwoBody.state(mu: mu, elements: el)
        let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
        #expect(derived.eccentricity == 0)
        #expect(derived.argumentOfPeriapsis == 0)
        #expect(abs(TestMath.angleDifference(derived.rightAscensionOfAscendingNode, 1.3)) < 1e-12)
        #expect(abs(TestMath.angleDifference(derived.trueAnomaly, 2.5)) < 1e-12)
        #expect(abs(TestMath.angleDifference(derived.meanAnomaly, 2.5)) < 1e-12)
    }

    /// Equatorial orbits have node 0 and measure periapsis from +x: ω becomes Ω + ω.
    @Test func equatorialOrbitPeriapsisIsLongitude() throws {
        let el = OrbitalElements(
            semiMajorAxisMeters: 8_000_000, eccentricity: 0.2, inclination: 0, rightAscensionOfAscendingNode: 1.0,
            argumentOfPeriapsis: 2.0, trueAnomaly: 0.5)
        let state = try TwoBody.state(mu: mu, elements: el)
        let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
        #expect(derived.inclination == 0)
        #expect(derived.rightAscensionOfAscendingNode == 0)
        #expect(abs(TestMath.angleDifference(derived.argumentOfPeriapsis, 3.0)) < 1e-12)
        #expect(abs(TestMath.angleDifference(derived.trueAnomaly, 0.5)) < 1e-12)
    }

    /// Circular and equatorial: node and periapsis are 0 and the anomaly is the true longitude.
    @Test func circularEquatorialOrbitUsesTrueLongitude() throws {
        let el = OrbitalElements(
            semiMajorAxisMeters: 42_164_000, eccentricity: 0, inclination: 0, rightAscensionOfAscendingNode: 1.0,
            argumentOfPeriapsis: 2.0, trueAnomaly: 0.5)
        let state = try TwoBody.state(mu: mu, elements: el)
        let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
        #expect(derived.rightAscensionOfAscendingNode == 0)
        #expect(derived.argumentOfPeriapsis == 0)
        #expect(abs(TestMath.angleDifference(derived.trueAnomaly, 3.5)) < 1e-12)
        let longitude = atan2(state.position.y, state.position.x)
        #expect(abs(TestMath.angleDifference(derived.trueAnomaly, longitude)) < 1e-12)
    }

    @Test(arguments: [1.000_001, 1.5, 3, 50])
    func hyperbolicElementsRoundTrip(eccentricity e: Double) throws {
        let periapsis = 7_000_000.0
        let limit = acos(-1 / e)
        for nu in [-0.99 * limit, -1, 0, 0.5, 0.99 * limit] {
            let el = OrbitalElements(
                semiMajorAxisMeters: periapsis / (1 - e), eccentricity: e, inclination: 0.4,
                rightAscensionOfAscendingNode: 3, argumentOfPeriapsis: 1, trueAnomaly: nu)
            let state = try TwoBody.state(mu: mu, elements: el)
            let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
            #expect(derived.semiMajorAxisMeters < 0, "a must be negative for a hyperbola")
            #expect(derived.periodSeconds == .infinity)
            #expect(derived.apoapsisMeters == .infinity)
            #expect(TestMath.relativeDifference(derived.periapsisMeters, periapsis) < 1e-9)
            #expect(abs(derived.trueAnomaly - nu) < 1e-9, "e=\(e): true anomaly is signed, not wrapped")
            if nu != 0 {
                #expect(derived.meanAnomaly.sign == nu.sign, "mean anomaly has the sign of the true anomaly")
            }
            let back = try TwoBody.state(mu: mu, elements: derived)
            #expect(TestMath.relativeDifference(back.position, state.position) < 1e-9)
            #expect(TestMath.relativeDifference(back.velocity, state.velocity) < 1e-9)
        }
    }

    /// A parabola (e = 1, given by its periapsis) moves at escape speed on r = 2q / (1 + cos ν).
    @Test func parabolicStateFromElements() throws {
        let periapsis = 7_000_000.0
        for nu in [-2.5, -1, 0, 1, 2.5] {
            var el = OrbitalElements(
                semiMajorAxisMeters: .infinity, eccentricity: 1, inclination: 0.3, rightAscensionOfAscendingNode: 1,
                argumentOfPeriapsis: 2, trueAnomaly: nu)
            el.periapsisMeters = periapsis
            let state = try TwoBody.state(mu: mu, elements: el)
            let radius = 2 * periapsis / (1 + cos(nu))
            #expect(TestMath.relativeDifference(state.position.length, radius) < 1e-14)
            #expect(TestMath.relativeDifference(state.velocity.length, (2 * mu / radius).squareRoot()) < 1e-14)

            let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
            for (name, value) in Self.fields(of: derived) {
                #expect(!value.isNaN, "\(name) is NaN on a parabola at nu=\(nu)")
            }
            #expect(abs(derived.eccentricity - 1) < 1e-12)
            #expect(TestMath.relativeDifference(derived.periapsisMeters, periapsis) < 1e-12)
            #expect(abs(TestMath.angleDifference(derived.trueAnomaly, nu)) < 1e-12)
        }
    }

    @Test(arguments: [1 - 1e-6, 1 + 1e-6])
    func nearParabolicStateRoundTrip(eccentricity e: Double) throws {
        let periapsis = 7_000_000.0
        for nu in [-2.0, 0, 1.5, 2.9] {
            let el = OrbitalElements(
                semiMajorAxisMeters: periapsis / (1 - e), eccentricity: e, inclination: 2.0,
                rightAscensionOfAscendingNode: 0.2, argumentOfPeriapsis: 5, trueAnomaly: nu)
            let state = try TwoBody.state(mu: mu, elements: el)
            let derived = try TwoBody.elements(mu: mu, position: state.position, velocity: state.velocity)
            #expect(abs(derived.eccentricity - e) < 1e-12)
            // p = a (1 - e²) cancels near e = 1: about 1e-16 / (1 - e²) = 5e-11 of it is lost.
            #expect(TestMath.relativeDifference(derived.periapsisMeters, periapsis) < 1e-9)
            #expect(abs(TestMath.angleDifference(derived.trueAnomaly, nu)) < 1e-10)
            let back = try TwoBody.state(mu: mu, elements: derived)
            // a = q / (1 - e) carries the 1e-16 rounding of e amplified by 1 / |1 - e| = 1e6.
            #expect(TestMath.relativeDifference(back.position, state.position) < 1e-8, "e=\(e) nu=\(nu)")
            #expect(TestMath.relativeDifference(back.velocity, state.velocity) < 1e-8, "e=\(e) nu=\(nu)")
        }
    }

    @Test func radialStateHasNoElements() throws {
        let error = #expect(throws: KernelError.self) {
            try TwoBody.elements(mu: mu, position: SIMD3(7_378_000, 0, 0), velocity: SIMD3(-100, 0, 0))
        }
        #expect(error?.code == Int32(GK_ERR_DEGENERATE_ORBIT))
        #expect(error?.kernel == "gk_elements_from_state")
    }

    @Test func nonFiniteStateIsRejected() throws {
        let error = #expect(throws: KernelError.self) {
            try TwoBody.elements(mu: mu, position: SIMD3(.nan, 0, 0), velocity: SIMD3(0, 7_000, 0))
        }
        #expect(error?.code == Int32(GK_ERR_NON_FINITE))
    }

    @Test func hyperbolaBeyondAsymptoteIsRejected() throws {
        let el = OrbitalElements(
            semiMajorAxisMeters: -7_000_000, eccentricity: 1.5, inclination: 0, rightAscensionOfAscendingNode: 0,
            argumentOfPeriapsis: 0, trueAnomaly: 2.5)
        let error = #expect(throws: KernelError.self) { try TwoBody.state(mu: mu, elements: el) }
        #expect(error?.code == Int32(GK_ERR_INVALID_ARGUMENT))
    }

    static func fields(of el: OrbitalElements) -> [(String, Double)] {
        [
            ("semi-major axis", el.semiMajorAxisMeters), ("eccentricity", el.eccentricity),
            ("inclination", el.inclination), ("node", el.rightAscensionOfAscendingNode),
            ("argument of periapsis", el.argumentOfPeriapsis), ("true anomaly", el.trueAnomaly),
            ("mean anomaly", el.meanAnomaly), ("periapsis", el.periapsisMeters), ("apoapsis", el.apoapsisMeters),
            ("period", el.periodSeconds), ("specific energy", el.specificEnergy),
        ]
    }
}

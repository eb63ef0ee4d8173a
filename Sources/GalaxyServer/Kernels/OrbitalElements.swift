import CPhysicsKernels

/// Classical orbital elements of a state relative to a central body, with the conventions for circular
/// and equatorial orbits of `gk_kepler.h`: argument of periapsis 0 for circular orbits (anomalies then
/// count from the ascending node) and node 0 for equatorial ones (angles then count from +x).
/// Angles in radians, distances in metres, time in seconds.
public struct OrbitalElements: Sendable, Equatable, Codable {
    public var semiMajorAxisMeters: Double
    public var eccentricity: Double
    public var inclination: Double
    public var rightAscensionOfAscendingNode: Double
    public var argumentOfPeriapsis: Double
    public var trueAnomaly: Double
    public var meanAnomaly: Double
    public var periapsisMeters: Double
    public var apoapsisMeters: Double
    public var periodSeconds: Double
    public var specificEnergy: Double

    public init(
        semiMajorAxisMeters: Double, eccentricity: Double, inclination: Double, rightAscensionOfAscendingNode: Double,
        argumentOfPeriapsis: Double, trueAnomaly: Double
    ) {
        self.semiMajorAxisMeters = semiMajorAxisMeters
        self.eccentricity = eccentricity
        self.inclination = inclination
        self.rightAscensionOfAscendingNode = rightAscensionOfAscendingNode
        self.argumentOfPeriapsis = argumentOfPeriapsis
        self.trueAnomaly = trueAnomaly
        self.meanAnomaly = .nan
        self.periapsisMeters = semiMajorAxisMeters * (1 - eccentricity)
        self.apoapsisMeters = eccentricity < 1 ? semiMajorAxisMeters * (1 + eccentricity) : .infinity
        self.periodSeconds = .nan
        self.specificEnergy = .nan
    }

    init(_ el: gk_elements) {
        semiMajorAxisMeters = el.semi_major_axis_m
        eccentricity = el.eccentricity
        inclination = el.inclination_rad
        rightAscensionOfAscendingNode = el.raan_rad
        argumentOfPeriapsis = el.arg_periapsis_rad
        trueAnomaly = el.true_anomaly_rad
        meanAnomaly = el.mean_anomaly_rad
        periapsisMeters = el.periapsis_m
        apoapsisMeters = el.apoapsis_m
        periodSeconds = el.period_s
        specificEnergy = el.specific_energy_j_kg
    }

    var kernelValue: gk_elements {
        var el = gk_elements()
        el.semi_major_axis_m = semiMajorAxisMeters
        el.eccentricity = eccentricity
        el.inclination_rad = inclination
        el.raan_rad = rightAscensionOfAscendingNode
        el.arg_periapsis_rad = argumentOfPeriapsis
        el.true_anomaly_rad = trueAnomaly
        el.periapsis_m = periapsisMeters
        return el
    }
}

/// Two-body functions of the C kernels, wrapped with typed errors.
public enum TwoBody {
    /// Elements of the relative state `position` (m), `velocity` (m/s) about a body of parameter `mu` (m³/s²).
    public static func elements(mu: Double, position: SIMD3<Double>, velocity: SIMD3<Double>) throws -> OrbitalElements {
        var r = [position.x, position.y, position.z]
        var v = [velocity.x, velocity.y, velocity.z]
        var out = gk_elements()
        try KernelError.check(
            gk_elements_from_state(mu, &r, &v, &out), kernel: "gk_elements_from_state",
            context: "mu=\(mu) r=\(position) v=\(velocity)")
        return OrbitalElements(out)
    }

    /// Relative state (m, m/s) of `elements` about a body of parameter `mu` (m³/s²).
    public static func state(mu: Double, elements: OrbitalElements) throws -> (position: SIMD3<Double>, velocity: SIMD3<Double>) {
        var el = elements.kernelValue
        var r = [0.0, 0.0, 0.0]
        var v = [0.0, 0.0, 0.0]
        try KernelError.check(
            gk_state_from_elements(mu, &el, &r, &v), kernel: "gk_state_from_elements",
            context: "mu=\(mu) elements=\(elements)")
        return (SIMD3(r[0], r[1], r[2]), SIMD3(v[0], v[1], v[2]))
    }

    /// Propagates a relative state by `seconds` on its conic.
    public static func propagate(
        mu: Double, position: SIMD3<Double>, velocity: SIMD3<Double>, seconds: Double
    ) throws -> (position: SIMD3<Double>, velocity: SIMD3<Double>) {
        var r = [position.x, position.y, position.z]
        var v = [velocity.x, velocity.y, velocity.z]
        try KernelError.check(
            gk_kepler_drift(mu, &r, &v, seconds), kernel: "gk_kepler_drift",
            context: "mu=\(mu) r=\(position) v=\(velocity) dt=\(seconds)", acceptNoConvergence: false)
        return (SIMD3(r[0], r[1], r[2]), SIMD3(v[0], v[1], v[2]))
    }

    /// Mean anomaly (rad) from true anomaly: in [0, 2π) for ellipses, signed for hyperbolas.
    public static func meanAnomaly(eccentricity: Double, trueAnomaly: Double) throws -> Double {
        var m = 0.0
        try KernelError.check(
            gk_mean_from_true(eccentricity, trueAnomaly, &m), kernel: "gk_mean_from_true",
            context: "e=\(eccentricity) nu=\(trueAnomaly)")
        return m
    }

    /// True anomaly (rad) from mean anomaly.
    public static func trueAnomaly(eccentricity: Double, meanAnomaly: Double) throws -> Double {
        var nu = 0.0
        try KernelError.check(
            gk_true_from_mean(eccentricity, meanAnomaly, &nu), kernel: "gk_true_from_mean",
            context: "e=\(eccentricity) M=\(meanAnomaly)")
        return nu
    }

    /// Eccentric anomaly E (ellipse) or hyperbolic anomaly H (hyperbola), rad, from mean anomaly.
    public static func eccentricAnomaly(eccentricity: Double, meanAnomaly: Double) throws -> Double {
        var anomaly = 0.0
        try KernelError.check(
            gk_eccentric_from_mean(eccentricity, meanAnomaly, &anomaly), kernel: "gk_eccentric_from_mean",
            context: "e=\(eccentricity) M=\(meanAnomaly)")
        return anomaly
    }

    /// Seconds in [0, period) until an elliptic orbit moves from one true anomaly to another.
    public static func timeUntil(
        trueAnomaly target: Double, from current: Double, mu: Double, semiMajorAxisMeters: Double, eccentricity: Double
    ) throws -> Double {
        var dt = 0.0
        try KernelError.check(
            gk_time_to_true_anomaly(mu, semiMajorAxisMeters, eccentricity, current, target, &dt),
            kernel: "gk_time_to_true_anomaly",
            context: "mu=\(mu) a=\(semiMajorAxisMeters) e=\(eccentricity) from=\(current) to=\(target)")
        return dt
    }
}

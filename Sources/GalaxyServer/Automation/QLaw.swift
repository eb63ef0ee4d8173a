import CPhysicsKernels
import Foundation

/// Error of a Q-law evaluation, with the values that caused it.
public enum QLawError: Error, Equatable, CustomStringConvertible {
    /// The orbit (or target) is retrograde equatorial, where modified equinoctial elements are singular.
    case retrogradeEquatorial(subject: String, inclination: Double)
    /// The Q-law steers bound orbits only.
    case unboundOrbit(eccentricity: Double)
    /// Any other kernel failure, with the kernel's name and inputs.
    case kernel(KernelError)

    public var description: String {
        switch self {
        case .retrogradeEquatorial(let subject, let inclination):
            let degrees = inclination * 180 / .pi
            return "\(subject) inclination \(degrees)° is within 0.0008° of 180° (retrograde equatorial), where "
                + "modified equinoctial elements are singular, so the Q-law cannot steer it"
        case .unboundOrbit(let eccentricity):
            return "Q-law requires a bound orbit (eccentricity < 1), got eccentricity \(eccentricity); "
                + "lower the orbital energy first"
        case .kernel(let error):
            return error.description
        }
    }

    static func check(_ code: Int32, kernel: String, context: @autoclosure () -> String) throws(QLawError) {
        if code != Int32(GK_OK) {
            throw .kernel(KernelError(kernel: kernel, code: code, context: context()))
        }
    }
}

/// Modified equinoctial elements: p = a(1 − e²), f = e cos(Ω + ω), g = e sin(Ω + ω), h = tan(i/2) cos Ω,
/// k = tan(i/2) sin Ω and true longitude L = Ω + ω + ν (rad, in [0, 2π)). Defined for circular and equatorial
/// orbits and every conic with p > 0, but not for retrograde equatorial ones.
public struct ModifiedEquinoctialElements: Sendable, Equatable {
    public var semiLatusRectumMeters: Double
    public var f: Double
    public var g: Double
    public var h: Double
    public var k: Double
    public var trueLongitude: Double

    public init(semiLatusRectumMeters: Double, f: Double, g: Double, h: Double, k: Double, trueLongitude: Double) {
        self.semiLatusRectumMeters = semiLatusRectumMeters
        self.f = f
        self.g = g
        self.h = h
        self.k = k
        self.trueLongitude = trueLongitude
    }

    init(_ m: gk_mee) {
        self.init(semiLatusRectumMeters: m.p_m, f: m.f, g: m.g, h: m.h, k: m.k, trueLongitude: m.true_longitude_rad)
    }

    var kernelValue: gk_mee {
        gk_mee(p_m: semiLatusRectumMeters, f: f, g: g, h: h, k: k, true_longitude_rad: trueLongitude)
    }

    public var eccentricity: Double { (f * f + g * g).squareRoot() }
    /// Inclination (rad), 2 atan √(h² + k²).
    public var inclination: Double { 2 * atan((h * h + k * k).squareRoot()) }

    /// Elements of the relative state `position` (m), `velocity` (m/s) about a body of parameter `mu` (m³/s²).
    public init(mu: Double, position: SIMD3<Double>, velocity: SIMD3<Double>) throws(QLawError) {
        var r = [position.x, position.y, position.z]
        var v = [velocity.x, velocity.y, velocity.z]
        var out = gk_mee()
        let code = gk_mee_from_state(mu, &r, &v, &out)
        if code == Int32(GK_ERR_DEGENERATE_ORBIT) {
            let momentum = position.cross(velocity)
            if position.length > 0, momentum.length > 0 {
                throw .retrogradeEquatorial(
                    subject: "orbit", inclination: acos(max(-1, min(1, momentum.z / momentum.length))))
            }
        }
        try QLawError.check(code, kernel: "gk_mee_from_state", context: "mu=\(mu) r=\(position) v=\(velocity)")
        self.init(out)
    }

    /// Elements of classical `elements` (a, e, i, Ω, ω, ν are used).
    public init(elements: OrbitalElements) throws(QLawError) {
        var el = elements.kernelValue
        var out = gk_mee()
        let code = gk_mee_from_elements(&el, &out)
        if code == Int32(GK_ERR_DEGENERATE_ORBIT) {
            throw .retrogradeEquatorial(subject: "orbit", inclination: elements.inclination)
        }
        try QLawError.check(code, kernel: "gk_mee_from_elements", context: "elements=\(elements)")
        self.init(out)
    }

    /// Relative state (m, m/s) about a body of parameter `mu` (m³/s²).
    public func state(mu: Double) throws(QLawError) -> (position: SIMD3<Double>, velocity: SIMD3<Double>) {
        var m = kernelValue
        var r = [0.0, 0.0, 0.0]
        var v = [0.0, 0.0, 0.0]
        try QLawError.check(
            gk_state_from_mee(mu, &m, &r, &v), kernel: "gk_state_from_mee", context: "mu=\(mu) mee=\(self)")
        return (SIMD3(r[0], r[1], r[2]), SIMD3(v[0], v[1], v[2]))
    }
}

/// Target orbit of a Q-law transfer, as classical elements (m, rad). The argument of periapsis is ignored for
/// a circular target and the node for an equatorial one.
public struct QLawTarget: Sendable, Equatable {
    public var semiMajorAxisMeters: Double
    public var eccentricity: Double
    public var inclination: Double
    public var rightAscensionOfAscendingNode: Double
    public var argumentOfPeriapsis: Double

    public init(
        semiMajorAxisMeters: Double, eccentricity: Double, inclination: Double,
        rightAscensionOfAscendingNode: Double = 0, argumentOfPeriapsis: Double = 0
    ) {
        self.semiMajorAxisMeters = semiMajorAxisMeters
        self.eccentricity = eccentricity
        self.inclination = inclination
        self.rightAscensionOfAscendingNode = rightAscensionOfAscendingNode
        self.argumentOfPeriapsis = argumentOfPeriapsis
    }
}

/// Weights of the slow elements in Q; a zero weight leaves that element free. NOTE: f and g target the
/// eccentricity vector, so a nonzero target eccentricity cannot leave the argument of periapsis free.
public struct QLawWeights: Sendable, Equatable {
    public var semiMajorAxis: Double = 1
    public var f: Double = 1
    public var g: Double = 1
    public var h: Double = 1
    public var k: Double = 1

    public init() {}
}

/// Q-law tuning. The periapsis penalty exp(k_p (1 − r_p / r_p,min)), scaled by `periapsisWeight`, keeps
/// periapsis above `minimumPeriapsisMeters` (body radius plus a margin). The semi-major-axis scaling
/// [1 + (|a − a_T| / (m a_T))ⁿ]^(1/r) keeps Q from preferring a → ∞. The defaults m = 3, n = 4, r = 2 are
/// those of common Q-law implementations. With k_p = 100 the penalty factor is below e⁻⁵ once periapsis is
/// 5% above the minimum.
public struct QLawParameters: Sendable, Equatable {
    /// Gravitational parameter of the central body (m³/s²).
    public var mu: Double
    public var target: QLawTarget
    public var weights = QLawWeights()
    /// Full-thrust acceleration (m/s²).
    public var thrustAcceleration: Double
    public var minimumPeriapsisMeters: Double
    /// W_p, the weight of the periapsis penalty (0 turns it off).
    public var periapsisWeight: Double = 1
    /// k_p, how steeply the penalty rises as periapsis approaches the minimum.
    public var periapsisSharpness: Double = 100
    /// m, n and r of the semi-major-axis scaling.
    public var scalingM: Double = 3
    public var scalingN: Double = 4
    public var scalingR: Double = 2

    public init(mu: Double, target: QLawTarget, thrustAcceleration: Double, minimumPeriapsisMeters: Double) {
        self.mu = mu
        self.target = target
        self.thrustAcceleration = thrustAcceleration
        self.minimumPeriapsisMeters = minimumPeriapsisMeters
    }

    /// Converts to the kernel form, with the target as (a, f, g, h, k), and checks every field.
    func kernelValue() throws(QLawError) -> gk_qlaw_params {
        var p = gk_qlaw_params()
        p.mu = mu
        p.thrust_accel_m_s2 = thrustAcceleration
        p.periapsis_min_m = minimumPeriapsisMeters
        p.periapsis_weight = periapsisWeight
        p.periapsis_sharpness = periapsisSharpness
        p.scaling_m = scalingM
        p.scaling_n = scalingN
        p.scaling_r = scalingR
        p.weights = (weights.semiMajorAxis, weights.f, weights.g, weights.h, weights.k)
        let t = target
        var slow = [Double](repeating: 0, count: 5)
        let code = gk_qlaw_target_from_elements(
            t.semiMajorAxisMeters, t.eccentricity, t.inclination, t.rightAscensionOfAscendingNode,
            t.argumentOfPeriapsis, &slow)
        if code == Int32(GK_ERR_DEGENERATE_ORBIT) {
            throw .retrogradeEquatorial(subject: "target", inclination: t.inclination)
        }
        try QLawError.check(code, kernel: "gk_qlaw_target_from_elements", context: "target=\(t)")
        p.target = (slow[0], slow[1], slow[2], slow[3], slow[4])
        try QLawError.check(gk_qlaw_params_check(&p), kernel: "gk_qlaw_params_check", context: "parameters=\(self)")
        return p
    }
}

/// One steering evaluation: the best thrust direction at the current true longitude and the value of Q.
public struct QLawSteering: Sendable, Equatable {
    public var elements: ModifiedEquinoctialElements
    /// Q (s²); zero at the target.
    public var q: Double
    /// dQ/d(a, f, g, h, k).
    public var gradient: [Double]
    /// Q-dot (s) with full thrust along `direction`; never positive.
    public var qDot: Double
    /// Unit thrust direction in (radial, along-track, normal) components; zero when no direction lowers Q.
    public var directionRTN: SIMD3<Double>
    /// The same direction in the frame of the input state.
    public var direction: SIMD3<Double>

    init(_ s: gk_qlaw_steering) {
        var copy = s
        let gradient = withUnsafeBytes(of: &copy.gradient) { Array($0.bindMemory(to: Double.self)) }
        elements = ModifiedEquinoctialElements(s.mee)
        q = s.q
        self.gradient = gradient
        qDot = s.qdot
        directionRTN = SIMD3(s.direction_rtn.0, s.direction_rtn.1, s.direction_rtn.2)
        direction = SIMD3(s.direction_inertial.0, s.direction_inertial.1, s.direction_inertial.2)
    }
}

/// Minimum fractions of the orbit's best Q-dot for thrusting; 0 disables a cut-off.
public struct EffectivityCutoffs: Sendable, Equatable {
    /// Applies to `QLawEffectivity.absolute`, Q-dot now over the orbit's best Q-dot.
    public var absolute: Double
    /// Applies to `QLawEffectivity.relative`, Q-dot now placed between the orbit's worst (0) and best (1).
    public var relative: Double

    public init(absolute: Double = 0, relative: Double = 0) {
        self.absolute = absolute
        self.relative = relative
    }
}

/// Effectivity of thrusting now, compared with the rest of the osculating orbit.
public struct QLawEffectivity: Sendable, Equatable {
    /// Best Q-dot (s) at the current true longitude.
    public var qDotCurrent: Double
    /// Most negative best Q-dot over the orbit (the best place to thrust).
    public var qDotMinimum: Double
    /// Maximum (least negative) best Q-dot over the orbit (the worst place to thrust).
    public var qDotMaximum: Double
    /// qDotCurrent / qDotMinimum.
    public var absolute: Double
    /// (qDotCurrent − qDotMaximum) / (qDotMinimum − qDotMaximum).
    public var relative: Double

    init(_ e: gk_qlaw_effectivity) {
        qDotCurrent = e.qdot_current
        qDotMinimum = e.qdot_min
        qDotMaximum = e.qdot_max
        absolute = e.absolute
        relative = e.relative
    }

    /// Effectivity of `qDotCurrent` within an orbit's Q-dot range (for example from `QLawEffectivityBatch`).
    public init(qDotCurrent: Double, qDotMinimum: Double, qDotMaximum: Double) {
        var out = gk_qlaw_effectivity()
        gk_qlaw_effectivity_from_range(qDotCurrent, qDotMinimum, qDotMaximum, &out)
        self.init(out)
    }

    /// True when both effectivities reach their cut-offs; false means coast.
    public func allowsThrust(_ cutoffs: EffectivityCutoffs) -> Bool {
        var e = gk_qlaw_effectivity(
            qdot_current: qDotCurrent, qdot_min: qDotMinimum, qdot_max: qDotMaximum, absolute: absolute,
            relative: relative)
        return gk_qlaw_allows_thrust(&e, cutoffs.absolute, cutoffs.relative) != 0
    }
}

/// Q-law steering (Petropoulos's Lyapunov feedback law) in modified equinoctial elements. The C kernels in
/// gk_qlaw.h document the function, its smoothing at e = 0 and the units.
public enum QLaw {
    /// Best thrust direction for the relative state `position` (m), `velocity` (m/s); `direction` is in the
    /// frame of that state.
    public static func steer(
        _ parameters: QLawParameters, position: SIMD3<Double>, velocity: SIMD3<Double>
    ) throws(QLawError) -> QLawSteering {
        let elements = try ModifiedEquinoctialElements(mu: parameters.mu, position: position, velocity: velocity)
        var p = try parameters.kernelValue()
        var r = [position.x, position.y, position.z]
        var v = [velocity.x, velocity.y, velocity.z]
        var out = gk_qlaw_steering()
        let code = gk_qlaw_steer(&p, &r, &v, &out)
        try checkSteering(code, elements: elements, kernel: "gk_qlaw_steer", parameters: parameters)
        return QLawSteering(out)
    }

    /// Best thrust direction at `elements` (only `directionRTN` is filled; `direction` is zero).
    public static func steer(
        _ parameters: QLawParameters, elements: ModifiedEquinoctialElements
    ) throws(QLawError) -> QLawSteering {
        var p = try parameters.kernelValue()
        var m = elements.kernelValue
        var out = gk_qlaw_steering()
        let code = gk_qlaw_steer_mee(&p, &m, &out)
        try checkSteering(code, elements: elements, kernel: "gk_qlaw_steer_mee", parameters: parameters)
        return QLawSteering(out)
    }

    /// Effectivity at `elements`, with the orbit's range from a direct evaluation at `samples` true longitudes
    /// 2πj / samples (no BLAS; `QLawEffectivityBatch` is the batched path).
    public static func effectivity(
        _ parameters: QLawParameters, elements: ModifiedEquinoctialElements, samples: Int
    ) throws(QLawError) -> QLawEffectivity {
        var p = try parameters.kernelValue()
        var m = elements.kernelValue
        var out = gk_qlaw_effectivity()
        let code = gk_qlaw_effectivity_direct(&p, &m, Int32(clamping: samples), &out)
        try checkSteering(code, elements: elements, kernel: "gk_qlaw_effectivity_direct", parameters: parameters)
        return QLawEffectivity(out)
    }

    private static func checkSteering(
        _ code: Int32, elements: ModifiedEquinoctialElements, kernel: String, parameters: QLawParameters
    ) throws(QLawError) {
        if code == Int32(GK_ERR_INVALID_ARGUMENT) && elements.eccentricity >= 1 {
            throw .unboundOrbit(eccentricity: elements.eccentricity)
        }
        try QLawError.check(code, kernel: kernel, context: "elements=\(elements) parameters=\(parameters)")
    }
}

import CPhysicsKernels
import Foundation

/// How a tick of a given length is cut into body substeps.
///
/// Short ticks use leapfrog substeps of at most `leapfrogMaxStepSeconds`; longer ones use Suzuki's
/// fourth-order composition with substeps of at most `order4MaxStepSeconds`. The defaults keep Phobos,
/// the fastest moon (7.65 h), within 1 km of a 1 s-step run after a simulated day, which
/// Benchmarks/BENCHMARKS.md measures; ships share the body substeps.
public struct IntegrationPolicy: Sendable, Equatable {
    public var leapfrogMaxStepSeconds: Double = 10
    public var order4MaxStepSeconds: Double = 300

    public init() {}

    public init(leapfrogMaxStepSeconds: Double, order4MaxStepSeconds: Double) {
        self.leapfrogMaxStepSeconds = leapfrogMaxStepSeconds
        self.order4MaxStepSeconds = order4MaxStepSeconds
    }

    /// Substep count and scheme for a tick of `seconds`.
    public func plan(seconds: Double) -> (substeps: Int, scheme: Int32) {
        if seconds <= leapfrogMaxStepSeconds * 4 {
            return (max(1, Int((seconds / leapfrogMaxStepSeconds).rounded(.up))), Int32(GK_SCHEME_LEAPFROG))
        }
        return (max(1, Int((seconds / order4MaxStepSeconds).rounded(.up))), Int32(GK_SCHEME_ORDER4))
    }
}

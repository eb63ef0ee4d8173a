import CPhysicsKernels
import Foundation
import GalaxyServer

/// One simulated day at 10,000x warp (ticks of 10,000 s), timed, with Phobos's distance from a run of
/// 1 s leapfrog steps over the same day.
enum WarpBench {
    static func run(catalog: SolarSystemCatalog) throws {
        let day = 86_400.0
        let reference = BodyStore(catalog: catalog)
        var referenceBodies = reference.kernelBodies()
        gk_nbody_advance(&referenceBodies, day, Int32(day), Int32(GK_SCHEME_LEAPFROG), nil)
        let phobos = reference.index(named: "Phobos")!
        let mars = reference.index(named: "Mars")!

        for warp in [1_000.0, 10_000.0] {
            var store = BodyStore(catalog: catalog)
            let trace = BodyTrace(stride: store.stride)
            let policy = IntegrationPolicy()
            let m = measure(repeats: 7) {
                store = BodyStore(catalog: catalog)
                var bodies = store.kernelBodies()
                var elapsed = 0.0
                while elapsed < day {
                    let dt = min(warp, day - elapsed)
                    let plan = policy.plan(seconds: dt)
                    trace.reserve(substeps: plan.substeps)
                    gk_nbody_advance(&bodies, dt, Int32(plan.substeps), plan.scheme, &trace.kernel)
                    elapsed += dt
                }
            }
            let error = (store.position(phobos) - reference.position(phobos)).length
            let relative = ((store.position(phobos) - store.position(mars)) - (reference.position(phobos) - reference.position(mars))).length
            emit([
                "bench": "nbody_day_at_warp", "warp": warp, "median_ms": m.median * 1e3, "min_ms": m.min * 1e3,
                "phobos_error_km": error / 1e3, "phobos_rel_mars_error_km": relative / 1e3,
            ])
        }
    }
}

import CPhysicsKernels
import Foundation
import GalaxyServer

/// The 29-body step for a 1 s tick: one leapfrog step with the post-Newtonian term, per instruction set.
enum NBodyBench {
    static func run(catalog: SolarSystemCatalog) throws {
        for isa in [GK_ISA_PORTABLE, GK_ISA_AVX2, GK_ISA_AVX512].map(Int32.init) where gk_isa_supported(isa) != 0 {
            gk_isa_select(isa)
            let store = BodyStore(catalog: catalog)
            var bodies = store.kernelBodies()
            let steps = 100_000
            let m = measure(repeats: 7) {
                for _ in 0..<steps { gk_nbody_advance(&bodies, 1, 1, Int32(GK_SCHEME_LEAPFROG), nil) }
            }
            emit([
                "bench": "nbody_step_1s", "isa": String(cString: gk_isa_name(isa)), "bodies": catalog.bodies.count,
                "median_us": m.median / Double(steps) * 1e6, "min_us": m.min / Double(steps) * 1e6,
            ])
        }
        gk_isa_select(Int32(GK_ISA_AUTO))
    }
}

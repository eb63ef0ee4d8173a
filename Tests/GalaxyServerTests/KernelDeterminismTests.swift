import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Every bit of a world's state, for comparisons that must be exact.
struct WorldBits: Equatable {
    var bodies: [UInt64]
    var ships: [UInt64]
    var flags: [UInt32]

    init(_ world: World) {
        bodies = world.bodyNames.indices.flatMap { i in
            let state = world.bodyState(i)
            return [state.position.x, state.position.y, state.position.z, state.velocity.x, state.velocity.y, state.velocity.z]
                .map(\.bitPattern)
        }
        let ships = world.allShips()
        self.ships = ships.flatMap { ship in
            [ship.position.x, ship.position.y, ship.position.z, ship.velocity.x, ship.velocity.y, ship.velocity.z]
                + [ship.attitude[0], ship.attitude[1], ship.attitude[2], ship.attitude[3], ship.fuelKg]
        }.map(\.bitPattern)
        flags = ships.map(\.condition.rawValue)
    }

    /// Runs the standard solar system with generated ships, some burning and turning, through 1 s ticks
    /// (Cartesian ship steps near their primaries) and 600 s ticks (Wisdom-Holman steps with tidal kicks).
    static func afterStandardRun(shipCount: Int, workerCount: Int) throws -> WorldBits {
        let world = World(catalog: try SolarSystemCatalog.standard(), workerCount: workerCount)
        let ids = try world.addGeneratedShips(shipCount)
        for (k, id) in ids.enumerated() where k % 3 == 0 {
            try world.apply(SteeringCommand(shipID: id, attitudeMode: .prograde, throttle: 0.2))
        }
        for (k, id) in ids.enumerated() where k % 3 == 1 {
            try world.apply(SteeringCommand(shipID: id, rotationRate: SIMD3(0.01, -0.02, 0.03)))
        }
        for _ in 0..<20 { try world.step(seconds: 1) }
        for _ in 0..<20 { try world.step(seconds: 600) }
        return WorldBits(world)
    }
}

/// Reruns, and different thread counts for the ship kernels, give bit-identical worlds.
@Suite struct KernelDeterminismTests {
    @Test func rerunIsBitIdentical() throws {
        let first = try WorldBits.afterStandardRun(shipCount: 200, workerCount: 1)
        let second = try WorldBits.afterStandardRun(shipCount: 200, workerCount: 1)
        #expect(first == second)
    }

    /// From 512 ships the world splits the ship kernels over threads; the split must not change any bit.
    @Test func threadCountDoesNotChangeResults() throws {
        let single = try WorldBits.afterStandardRun(shipCount: 600, workerCount: 1)
        let parallel = try WorldBits.afterStandardRun(shipCount: 600, workerCount: 4)
        #expect(single.bodies == parallel.bodies)
        #expect(single.ships == parallel.ships)
        #expect(single.flags == parallel.flags)
    }
}

/// The instruction-set paths of the gravity loops. `gk_isa_select` is process-wide, so these tests run one at a
/// time. Tests in other suites may run meanwhile on whichever path is selected, which is harmless because every
/// path gives the same bits, as checked here.
@Suite(.serialized) struct InstructionSetTests {
    static let paths = [GK_ISA_PORTABLE, GK_ISA_AVX2, GK_ISA_AVX512].map { Int32($0) }

    @Test func everySupportedPathMatchesPortable() throws {
        defer { _ = gk_isa_select(Int32(GK_ISA_AUTO)) }
        #expect(gk_isa_select(Int32(GK_ISA_PORTABLE)) == Int32(GK_ISA_PORTABLE))
        let portable = try WorldBits.afterStandardRun(shipCount: 100, workerCount: 1)
        for isa in Self.paths.dropFirst() where gk_isa_supported(isa) != 0 {
            let name = String(cString: gk_isa_name(isa))
            #expect(gk_isa_select(isa) == isa)
            #expect(gk_isa_current() == isa)
            let result = try WorldBits.afterStandardRun(shipCount: 100, workerCount: 1)
            #expect(result.bodies == portable.bodies, "\(name) body states differ from the portable path")
            #expect(result.ships == portable.ships, "\(name) ship states differ from the portable path")
        }
    }

    /// States and accelerations of the 29 bodies (four lane blocks of eight, the last with three padding entries)
    /// after a year of 1 h steps, per path.
    @Test func accelerationsMatchPortableOverManySteps() throws {
        defer { _ = gk_isa_select(Int32(GK_ISA_AUTO)) }
        var states: [Int32: [UInt64]] = [:]
        for isa in Self.paths where gk_isa_supported(isa) != 0 {
            #expect(gk_isa_select(isa) == isa)
            let store = BodyStore(catalog: try SolarSystemCatalog.standard())
            var bodies = store.kernelBodies()
            for _ in 0..<(365 * 24) {
                #expect(gk_nbody_advance(&bodies, 3_600, 12, Int32(GK_SCHEME_ORDER4), nil) == Int32(GK_OK))
            }
            gk_nbody_accelerations(&bodies)
            var bits: [UInt64] = []
            for i in 0..<store.count {
                bits += [bodies.x[i], bodies.y[i], bodies.z[i], bodies.vx[i], bodies.vy[i], bodies.vz[i]].map(\.bitPattern)
                bits += [bodies.ax[i], bodies.ay[i], bodies.az[i]].map(\.bitPattern)
            }
            states[isa] = bits
        }
        let portable = try #require(states[Int32(GK_ISA_PORTABLE)])
        for (isa, bits) in states {
            #expect(bits == portable, "\(String(cString: gk_isa_name(isa))) differs from the portable path")
        }
    }

    @Test func automaticSelectionPicksWidestSupportedPath() throws {
        defer { _ = gk_isa_select(Int32(GK_ISA_AUTO)) }
        let widest = Self.paths.last { gk_isa_supported($0) != 0 }
        #expect(gk_isa_select(Int32(GK_ISA_AUTO)) == widest)
        #expect(gk_isa_current() == widest)
    }

    @Test func unsupportedPathIsRejected() throws {
        defer { _ = gk_isa_select(Int32(GK_ISA_AUTO)) }
        #expect(gk_isa_supported(Int32(GK_ISA_AUTO)) == 1)
        #expect(gk_isa_supported(Int32(GK_ISA_PORTABLE)) == 1)
        #expect(gk_isa_supported(99) == 0)
        let before = gk_isa_current()
        #expect(gk_isa_select(99) == Int32(GK_ERR_INVALID_ARGUMENT))
        #expect(gk_isa_current() == before, "a rejected selection keeps the current path")
        for isa in Self.paths where gk_isa_supported(isa) == 0 {
            #expect(gk_isa_select(isa) == Int32(GK_ERR_INVALID_ARGUMENT))
        }
        #expect(String(cString: gk_isa_name(Int32(GK_ISA_PORTABLE))) == "portable")
        #expect(String(cString: gk_isa_name(Int32(GK_ISA_AVX2))) == "avx2")
        #expect(String(cString: gk_isa_name(Int32(GK_ISA_AVX512))) == "avx512")
    }
}

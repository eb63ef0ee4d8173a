import Foundation
import CPhysicsKernels

/// The massive bodies as the kernels see them: structure of arrays padded to whole SIMD lane blocks,
/// positions (m) and velocities (m/s) in ICRF barycentric coordinates at the world's current time.
package final class BodyStore {
    package let count: Int
    package let stride: Int
    package let names: [String]
    let parents: [Int?]
    private let columns: ColumnBuffer<Double>
    let relativitySource: Int32

    private enum Column: Int, CaseIterable {
        case x, y, z, vx, vy, vz, gm, ax, ay, az, radius, influence
    }

    package init(catalog: SolarSystemCatalog) {
        count = catalog.bodies.count
        stride = Int(gk_padded_count(Int32(count)))
        names = catalog.bodies.map(\.name)
        parents = catalog.bodies.map { body in body.parent.flatMap { p in catalog.bodies.firstIndex { $0.name == p } } }
        columns = ColumnBuffer(columns: Column.allCases.count, capacity: stride)
        relativitySource = Int32(catalog.bodies.firstIndex { $0.name == "Sun" } ?? -1)
        for (i, body) in catalog.bodies.enumerated() {
            setState(i, position: body.position, velocity: body.velocity)
            self[.gm][i] = body.gmM3PerS2
            self[.radius][i] = body.radiusMeters
        }
        updateInfluenceRadii()
    }

    private subscript(column: Column) -> UnsafeMutablePointer<Double> { columns.column(column.rawValue) }

    package var gm: UnsafeMutablePointer<Double> { self[.gm] }
    package var radius: UnsafeMutablePointer<Double> { self[.radius] }

    package func position(_ i: Int) -> SIMD3<Double> { SIMD3(self[.x][i], self[.y][i], self[.z][i]) }
    package func velocity(_ i: Int) -> SIMD3<Double> { SIMD3(self[.vx][i], self[.vy][i], self[.vz][i]) }

    package func setState(_ i: Int, position: SIMD3<Double>, velocity: SIMD3<Double>) {
        self[.x][i] = position.x
        self[.y][i] = position.y
        self[.z][i] = position.z
        self[.vx][i] = velocity.x
        self[.vy][i] = velocity.y
        self[.vz][i] = velocity.z
    }

    package func index(named name: String) -> Int? { names.firstIndex(of: name) }

    /// Sets each body's sphere of influence, the radius inside which it is a ship's primary:
    /// Laplace's d·(m/M)^(2/5) about its parent, but at least twice its own radius so that ships near a
    /// small moon can still hit it. A body without a parent gets an unbounded sphere.
    func updateInfluenceRadii() {
        for i in 0..<count {
            guard let parent = parents[i] else {
                self[.influence][i] = .infinity
                continue
            }
            let distance = (position(i) - position(parent)).length
            let laplace = distance * pow(gm[i] / gm[parent], 0.4)
            self[.influence][i] = max(laplace, 2 * radius[i])
        }
    }

    package var influence: UnsafeMutablePointer<Double> { self[.influence] }

    package func kernelBodies() -> gk_bodies {
        gk_bodies(
            count: Int32(count), stride: Int32(stride), x: self[.x], y: self[.y], z: self[.z], vx: self[.vx],
            vy: self[.vy], vz: self[.vz], gm: UnsafePointer(self[.gm]), ax: self[.ax], ay: self[.ay], az: self[.az],
            relativity_source: relativitySource)
    }

    package func kernelConstants() -> gk_body_constants {
        gk_body_constants(
            count: Int32(count), stride: Int32(stride), gm: UnsafePointer(self[.gm]),
            radius_m: UnsafePointer(self[.radius]), influence_m: UnsafePointer(self[.influence]))
    }

    /// Newtonian energy of the bodies times G (m⁵/s⁴), for conservation checks.
    package func energy() -> Double {
        var bodies = kernelBodies()
        return gk_nbody_energy(&bodies)
    }
}

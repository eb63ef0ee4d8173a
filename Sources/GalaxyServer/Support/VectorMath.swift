extension SIMD3 where Scalar == Double {

    package var length: Double { (self * self).sum().squareRoot() }

    package func dot(_ other: SIMD3<Double>) -> Double { (self * other).sum() }

    package func cross(_ other: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(y * other.z - z * other.y, z * other.x - x * other.z, x * other.y - y * other.x)
    }

    package var isFinite: Bool { x.isFinite && y.isFinite && z.isFinite }
}

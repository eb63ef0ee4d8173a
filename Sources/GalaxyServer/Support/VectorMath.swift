extension SIMD3 where Scalar == Double {
    var length: Double { (self * self).sum().squareRoot() }

    func dot(_ other: SIMD3<Double>) -> Double { (self * other).sum() }

    func cross(_ other: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(y * other.z - z * other.y, z * other.x - x * other.z, x * other.y - y * other.x)
    }

    var isFinite: Bool { x.isFinite && y.isFinite && z.isFinite }
}

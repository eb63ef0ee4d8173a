import COpenBLAS
import Foundation
import Testing

@testable import GalaxyServer

/// OpenBLAS's `cblas_dgemm` against the textbook triple loop C = alpha op(A) op(B) + beta C.
@Suite struct BlasTests {
    /// A dense matrix stored row by row.
    struct Matrix: Equatable {
        var rows: Int
        var columns: Int
        var values: [Double]

        subscript(i: Int, j: Int) -> Double { values[i * columns + j] }

        var transposed: Matrix {
            var result = Matrix(rows: columns, columns: rows, values: values)
            for i in 0..<rows {
                for j in 0..<columns { result.values[j * rows + i] = self[i, j] }
            }
            return result
        }

        /// Entries drawn uniformly from `range`, rounded to integers when `integers` is set.
        static func random(_ rows: Int, _ columns: Int, range: ClosedRange<Double>, integers: Bool, seed: UInt64) -> Matrix {
            var generator = SplitMix64(seed: seed)
            let values = (0..<(rows * columns)).map { _ in
                let value = range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUnit()
                return integers ? value.rounded() : value
            }
            return Matrix(rows: rows, columns: columns, values: values)
        }
    }

    func naiveProduct(_ a: Matrix, _ b: Matrix, alpha: Double, beta: Double, c: Matrix) -> Matrix {
        var result = c
        for i in 0..<a.rows {
            for j in 0..<b.columns {
                var sum = 0.0
                for k in 0..<a.columns { sum += a[i, k] * b[k, j] }
                result.values[i * b.columns + j] = alpha * sum + beta * c[i, j]
            }
        }
        return result
    }

    /// Calls `cblas_dgemm` on the stored (possibly transposed) operands, in row-major layout.
    func blasProduct(
        _ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool, alpha: Double, beta: Double, c: Matrix
    ) -> Matrix {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let n = transposeB ? b.rows : b.columns
        var result = c
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a.values, Int32(a.columns), b.values, Int32(b.columns), beta,
            &result.values, Int32(n))
        return result
    }

    /// Small integers make every product and partial sum exact, so any summation order gives the same bits.
    @Test(arguments: [(1, 1, 1), (3, 5, 2), (7, 13, 11), (64, 33, 65)])
    func integerProductIsExact(m: Int, k: Int, n: Int) throws {
        let a = Matrix.random(m, k, range: -8...8, integers: true, seed: 1)
        let b = Matrix.random(k, n, range: -8...8, integers: true, seed: 2)
        let zero = Matrix(rows: m, columns: n, values: Array(repeating: 0, count: m * n))
        let expected = naiveProduct(a, b, alpha: 1, beta: 0, c: zero)
        let result = blasProduct(a, transposeA: false, b, transposeB: false, alpha: 1, beta: 0, c: zero)
        #expect(result == expected)
    }

    /// Transposed operands, alpha and beta: 2.5 and -0.5 keep integer arithmetic exact.
    @Test(arguments: [(false, true), (true, false), (true, true)])
    func transposedProductIsExact(transposeA: Bool, transposeB: Bool) throws {
        let (m, k, n) = (9, 17, 6)
        let a = Matrix.random(m, k, range: -20...20, integers: true, seed: 3)
        let b = Matrix.random(k, n, range: -20...20, integers: true, seed: 4)
        let c = Matrix.random(m, n, range: -20...20, integers: true, seed: 5)
        let expected = naiveProduct(a, b, alpha: 2.5, beta: -0.5, c: c)
        let result = blasProduct(
            transposeA ? a.transposed : a, transposeA: transposeA, transposeB ? b.transposed : b, transposeB: transposeB,
            alpha: 2.5, beta: -0.5, c: c)
        #expect(result == expected)
    }

    /// General values: BLAS may sum in any order, so each entry must agree within the standard bound for a dot
    /// product of length k, |error| ≤ k ε (|A| |B|)ᵢⱼ.
    @Test func floatingProductWithinRoundingBound() throws {
        let (m, k, n) = (100, 80, 90)
        let a = Matrix.random(m, k, range: -1e3...1e3, integers: false, seed: 6)
        let b = Matrix.random(k, n, range: -1e-3...1e-3, integers: false, seed: 7)
        let zero = Matrix(rows: m, columns: n, values: Array(repeating: 0, count: m * n))
        let expected = naiveProduct(a, b, alpha: 1, beta: 0, c: zero)
        let result = blasProduct(a, transposeA: false, b, transposeB: false, alpha: 1, beta: 0, c: zero)
        let absA = Matrix(rows: m, columns: k, values: a.values.map(abs))
        let absB = Matrix(rows: k, columns: n, values: b.values.map(abs))
        let bound = naiveProduct(absA, absB, alpha: 1, beta: 0, c: zero)
        var violations = 0
        for index in result.values.indices {
            let allowed = 2 * Double(k) * Double.ulpOfOne * bound.values[index]
            if abs(result.values[index] - expected.values[index]) > allowed { violations += 1 }
        }
        #expect(violations == 0, "\(violations) of \(m * n) entries differ by more than the rounding bound")
    }
}

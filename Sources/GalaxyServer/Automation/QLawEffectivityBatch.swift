import CPhysicsKernels

/// Batched Q-law effectivity: the range of every ship's best Q-dot over its orbit, sampled at the true
/// longitudes 2πj / `samples` shared by all ships and computed with one OpenBLAS matrix product per block of
/// ships. Holds reusable buffers, so it is not thread-safe: use one instance per thread.
public final class QLawEffectivityBatch {
    /// Grid points per orbit.
    public let samples: Int
    /// Per ship after `run`: most negative best Q-dot on the grid (s).
    public private(set) var qDotMinimum: [Double] = []
    /// Per ship after `run`: least negative best Q-dot on the grid (s).
    public private(set) var qDotMaximum: [Double] = []
    /// Per ship after `run(…, keepSamples: true)`: `samples` values each, ship-major; otherwise empty.
    public private(set) var sampledQDot: [Double] = []

    private var basis: [Double]
    private var workspace: [Double] = []
    private var status: [Int32] = []

    public init(samples: Int) throws(QLawError) {
        guard samples >= 1, samples <= Int(Int32.max) / Int(GK_QLAW_POLYNOMIALS) else {
            throw .kernel(
                KernelError(
                    kernel: "gk_qlaw_basis_fill", code: Int32(GK_ERR_INVALID_ARGUMENT),
                    context: "samples=\(samples) must be at least 1"))
        }
        self.samples = samples
        basis = [Double](repeating: 0, count: Int(GK_QLAW_BASIS) * samples)
        try QLawError.check(
            gk_qlaw_basis_fill(Int32(samples), &basis), kernel: "gk_qlaw_basis_fill", context: "samples=\(samples)")
    }

    /// Evaluates every ship; returns the ships that failed (their outputs are NaN), by index.
    public func run(
        parameters: [QLawParameters], elements: [ModifiedEquinoctialElements], keepSamples: Bool = false
    ) throws(QLawError) -> [(index: Int, error: QLawError)] {
        precondition(parameters.count == elements.count, "one parameter set per ship")
        var kernelParameters: [gk_qlaw_params] = []
        kernelParameters.reserveCapacity(parameters.count)
        for p in parameters { kernelParameters.append(try p.kernelValue()) }
        let kernelElements = elements.map(\.kernelValue)
        try run(kernelParameters, kernelElements, keepSamples: keepSamples)
        return status.indices.compactMap { i -> (index: Int, error: QLawError)? in
            guard status[i] != Int32(GK_OK) else { return nil }
            if status[i] == Int32(GK_ERR_INVALID_ARGUMENT) && elements[i].eccentricity >= 1 {
                return (i, .unboundOrbit(eccentricity: elements[i].eccentricity))
            }
            let error = KernelError(
                kernel: "gk_qlaw_effectivity_batch", code: status[i], context: "ship \(i) elements=\(elements[i])")
            return (i, .kernel(error))
        }
    }

    /// Kernel-level entry for callers that keep `gk_qlaw_params` and `gk_mee` arrays between ticks.
    func run(_ parameters: [gk_qlaw_params], _ elements: [gk_mee], keepSamples: Bool) throws(QLawError) {
        let ships = parameters.count
        let size = gk_qlaw_batch_workspace_size(Int32(clamping: ships), Int32(samples))
        if workspace.count < size { workspace = [Double](repeating: 0, count: size) }
        qDotMinimum = [Double](repeating: 0, count: ships)
        qDotMaximum = [Double](repeating: 0, count: ships)
        sampledQDot = keepSamples ? [Double](repeating: 0, count: ships * samples) : []
        status = [Int32](repeating: 0, count: ships)
        let code = workspace.withUnsafeMutableBufferPointer { work in
            sampledQDot.withUnsafeMutableBufferPointer { sampled in
                gk_qlaw_effectivity_batch(
                    Int32(clamping: ships), parameters, elements, Int32(samples), basis, work.baseAddress, work.count,
                    &qDotMinimum, &qDotMaximum, keepSamples ? sampled.baseAddress : nil, &status)
            }
        }
        try QLawError.check(code, kernel: "gk_qlaw_effectivity_batch", context: "ships=\(ships) samples=\(samples)")
    }
}

import CPhysicsKernels

/// Storage for the body states recorded during one tick, read by the ship kernels (see gk_body_trace).
package final class BodyTrace {
    private(set) var capacity: Int
    let stride: Int
    private var boundary: UnsafeMutablePointer<Double>
    private var midpoint: UnsafeMutablePointer<Double>
    package var kernel: gk_body_trace

    package init(stride: Int, capacity: Int = 16) {
        self.stride = stride
        self.capacity = capacity
        boundary = .allocate(capacity: (capacity + 1) * 6 * stride)
        midpoint = .allocate(capacity: capacity * 3 * stride)
        kernel = gk_body_trace(
            capacity: Int32(capacity), stride: Int32(stride), steps: 0, step_s: 0, boundary: boundary,
            midpoint: midpoint)
    }

    deinit {
        boundary.deallocate()
        midpoint.deallocate()
    }

    package func reserve(substeps: Int) {
        guard substeps > capacity else { return }
        boundary.deallocate()
        midpoint.deallocate()
        capacity = max(substeps, capacity * 2)
        boundary = .allocate(capacity: (capacity + 1) * 6 * stride)
        midpoint = .allocate(capacity: capacity * 3 * stride)
        kernel = gk_body_trace(
            capacity: Int32(capacity), stride: Int32(stride), steps: 0, step_s: 0, boundary: boundary,
            midpoint: midpoint)
    }
}

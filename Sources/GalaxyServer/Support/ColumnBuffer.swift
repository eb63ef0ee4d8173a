/// Caller-owned storage for structure-of-arrays kernels: `columns` arrays of `capacity` elements each,
/// zero-filled, in one allocation. Growing keeps the first `count` elements of every column.
final class ColumnBuffer<Element: Numeric> {
    private(set) var capacity: Int
    let columns: Int
    private(set) var base: UnsafeMutablePointer<Element>

    init(columns: Int, capacity: Int) {
        self.columns = columns
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: columns * self.capacity)
        base.initialize(repeating: 0, count: columns * self.capacity)
    }

    deinit { base.deallocate() }

    func column(_ index: Int) -> UnsafeMutablePointer<Element> { base + index * capacity }

    func grow(toAtLeast needed: Int, keeping count: Int) {
        guard needed > capacity else { return }
        let newCapacity = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<Element>.allocate(capacity: columns * newCapacity)
        fresh.initialize(repeating: 0, count: columns * newCapacity)
        for c in 0..<columns {
            (fresh + c * newCapacity).update(from: base + c * capacity, count: count)
        }
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }
}

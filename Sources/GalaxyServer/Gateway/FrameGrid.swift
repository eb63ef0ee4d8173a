/// A uniform grid over the ships' positions in one frame, so that a view query visits the ships in the
/// cells its sphere touches instead of every ship. Built once per frame, queried once per client.
struct FrameGrid: Sendable {
    /// Edge of a cell, m. Equal to the default view radius, so a default view touches at most 27 cells.
    static let cellMeters = 1_000_000.0

    private struct Cell: Comparable {
        var x: Int32, y: Int32, z: Int32

        static func < (a: Cell, b: Cell) -> Bool { (a.x, a.y, a.z) < (b.x, b.y, b.z) }
    }

    /// Ship positions by rank (m, ICRF barycentric).
    private let positions: [SIMD3<Double>]
    /// Ranks grouped by cell, cells ascending, ranks ascending within a cell.
    private let rankByCell: [Int]
    /// The occupied cells, ascending, and the offset in `rankByCell` where each one's ranks start (with one
    /// more entry, the count). Cells of one (x, y) column are neighbours here, so a query takes one
    /// binary search per column instead of a hash lookup per cell.
    private let cells: [Cell]
    private let cellStarts: [Int]
    /// Ranks whose position has no cell (not finite, or beyond the Int32 cell range of about 2e15 m).
    private let outliers: [Int]
    /// Every rank with a cell, ascending, and the box around their positions (m). A sphere that contains
    /// the box gets this list without a test per ship.
    private let gridded: [Int]
    private let boxLow: SIMD3<Double>
    private let boxHigh: SIMD3<Double>

    init(positions: [SIMD3<Double>]) {
        self.positions = positions
        var entries: [(cell: Cell, rank: Int)] = []
        entries.reserveCapacity(positions.count)
        var outliers: [Int] = []
        var gridded: [Int] = []
        gridded.reserveCapacity(positions.count)
        var (low, high) = (SIMD3(repeating: Double.infinity), SIMD3(repeating: -Double.infinity))
        for (rank, position) in positions.enumerated() {
            if let cell = FrameGrid.cell(of: position) {
                entries.append((cell, rank))
                gridded.append(rank)
                low = pointwiseMin(low, position)
                high = pointwiseMax(high, position)
            } else {
                outliers.append(rank)
            }
        }
        entries.sort { $0.cell != $1.cell ? $0.cell < $1.cell : $0.rank < $1.rank }
        var cells: [Cell] = []
        var cellStarts: [Int] = []
        for k in entries.indices where k == 0 || entries[k - 1].cell != entries[k].cell {
            cells.append(entries[k].cell)
            cellStarts.append(k)
        }
        cellStarts.append(entries.count)
        rankByCell = entries.map(\.rank)
        self.cells = cells
        self.cellStarts = cellStarts
        self.outliers = outliers
        self.gridded = gridded
        (boxLow, boxHigh) = (low, high)
    }

    /// Returns the ranks of the ships within `radius` metres of `center` (inclusive), ascending.
    func ranks(within radius: Double, of center: SIMD3<Double>) -> [Int] {
        let r2 = radius * radius
        if !gridded.isEmpty && holdsBox(center, r2) {
            // Every gridded ship passes `isWithin` (see `holdsBox`), so only the outliers need a test.
            if outliers.isEmpty { return gridded }
            var found = gridded
            for rank in outliers where FrameGrid.isWithin(positions[rank], center, r2) { found.append(rank) }
            found.sort()
            return found
        }
        guard radius >= 0, let low = FrameGrid.cell(of: center - radius), let high = FrameGrid.cell(of: center + radius)
        else { return scanAll(within: radius, of: center) }
        let spans = (Double(high.x) - Double(low.x) + 1, Double(high.y) - Double(low.y) + 1, Double(high.z) - Double(low.z) + 1)
        // Past this many cells, most lookups would find empty cells and a plain scan is cheaper.
        guard spans.0 * spans.1 * spans.2 <= Double(max(64, positions.count / 8)) else {
            return scanAll(within: radius, of: center)
        }
        var found: [Int] = []
        found.reserveCapacity(64)
        positions.withUnsafeBufferPointer { positions in
            cells.withUnsafeBufferPointer { cells in
                rankByCell.withUnsafeBufferPointer { rankByCell in
                    // Columns come in ascending (x, y) order, so each search starts where the last one ended.
                    var first = 0
                    for x in low.x...high.x {
                        for y in low.y...high.y {
                            first = FrameGrid.lowerBound(Cell(x: x, y: y, z: low.z), in: cells, from: first)
                            var end = first
                            while end < cells.count && cells[end].x == x && cells[end].y == y && cells[end].z <= high.z { end += 1 }
                            guard end > first else { continue }
                            for k in cellStarts[first]..<cellStarts[end] where FrameGrid.isWithin(positions[rankByCell[k]], center, r2) {
                                found.append(rankByCell[k])
                            }
                            first = end
                        }
                    }
                }
            }
        }
        for rank in outliers where FrameGrid.isWithin(positions[rank], center, r2) { found.append(rank) }
        found.sort()
        return found
    }

    /// True when every gridded position passes `isWithin(_, center, r2)`. Rounding is monotonic, so no
    /// position inside the box is farther, as computed, than the box's farthest corner on each axis.
    private func holdsBox(_ center: SIMD3<Double>, _ r2: Double) -> Bool {
        let farthest = pointwiseMax((boxLow - center).magnitudeVector, (boxHigh - center).magnitudeVector)
        return (farthest * farthest).sum() <= r2
    }

    /// Index of the first cell in `cells` (ascending) not below `cell`, searching from index `start`.
    private static func lowerBound(_ cell: Cell, in cells: UnsafeBufferPointer<Cell>, from start: Int) -> Int {
        var (low, high) = (start, cells.count)
        while low < high {
            let middle = (low + high) / 2
            if cells[middle] < cell { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func scanAll(within radius: Double, of center: SIMD3<Double>) -> [Int] {
        let r2 = radius * radius
        return positions.withUnsafeBufferPointer { positions in
            positions.indices.filter { FrameGrid.isWithin(positions[$0], center, r2) }
        }
    }

    private static func isWithin(_ position: SIMD3<Double>, _ center: SIMD3<Double>, _ r2: Double) -> Bool {
        let d = position - center
        return (d * d).sum() <= r2
    }

    private static func cell(of position: SIMD3<Double>) -> Cell? {
        let scaled = (position / cellMeters).rounded(.down)
        let limit = Double(Int32.max)
        guard scaled.x.magnitude < limit, scaled.y.magnitude < limit, scaled.z.magnitude < limit else { return nil }
        return Cell(x: Int32(scaled.x), y: Int32(scaled.y), z: Int32(scaled.z))
    }
}

private extension SIMD3 where Scalar == Double {
    var magnitudeVector: SIMD3<Double> { SIMD3(x.magnitude, y.magnitude, z.magnitude) }
}

/// A uniform grid over the ships' positions in one frame, so that a view query visits the ships in the
/// cells its sphere touches instead of every ship. Built once per frame, queried once per client.
struct FrameGrid: Sendable {
    /// Edge of a cell, m. Equal to the default view radius, so a default view touches at most 27 cells.
    static let cellMeters = 1_000_000.0

    private struct Cell: Hashable, Comparable {
        var x: Int32, y: Int32, z: Int32

        static func < (a: Cell, b: Cell) -> Bool { (a.x, a.y, a.z) < (b.x, b.y, b.z) }
    }

    /// Ship positions by rank (m, ICRF barycentric).
    private let positions: [SIMD3<Double>]
    /// Ranks grouped by cell, ascending within a cell.
    private let rankByCell: [Int]
    private let cells: [Cell: Range<Int>]
    /// Ranks whose position has no cell (not finite, or beyond the Int32 cell range of about 2e15 m).
    private let outliers: [Int]

    init(positions: [SIMD3<Double>]) {
        self.positions = positions
        var entries: [(cell: Cell, rank: Int)] = []
        entries.reserveCapacity(positions.count)
        var outliers: [Int] = []
        for (rank, position) in positions.enumerated() {
            if let cell = FrameGrid.cell(of: position) {
                entries.append((cell, rank))
            } else {
                outliers.append(rank)
            }
        }
        entries.sort { $0.cell != $1.cell ? $0.cell < $1.cell : $0.rank < $1.rank }
        var cells: [Cell: Range<Int>] = [:]
        var start = 0
        for k in entries.indices where k + 1 == entries.count || entries[k + 1].cell != entries[k].cell {
            cells[entries[k].cell] = start..<(k + 1)
            start = k + 1
        }
        rankByCell = entries.map(\.rank)
        self.cells = cells
        self.outliers = outliers
    }

    /// Returns the ranks of the ships within `radius` metres of `center` (inclusive), ascending.
    func ranks(within radius: Double, of center: SIMD3<Double>) -> [Int] {
        guard radius >= 0, let low = FrameGrid.cell(of: center - radius), let high = FrameGrid.cell(of: center + radius)
        else { return scanAll(within: radius, of: center) }
        let spans = (Double(high.x) - Double(low.x) + 1, Double(high.y) - Double(low.y) + 1, Double(high.z) - Double(low.z) + 1)
        // Past this many cells, most lookups would find empty cells and a plain scan is cheaper.
        guard spans.0 * spans.1 * spans.2 <= Double(max(64, positions.count / 8)) else {
            return scanAll(within: radius, of: center)
        }
        let r2 = radius * radius
        var found: [Int] = []
        for x in low.x...high.x {
            for y in low.y...high.y {
                for z in low.z...high.z {
                    guard let range = cells[Cell(x: x, y: y, z: z)] else { continue }
                    for rank in rankByCell[range] where FrameGrid.isWithin(positions[rank], center, r2) {
                        found.append(rank)
                    }
                }
            }
        }
        for rank in outliers where FrameGrid.isWithin(positions[rank], center, r2) { found.append(rank) }
        found.sort()
        return found
    }

    private func scanAll(within radius: Double, of center: SIMD3<Double>) -> [Int] {
        let r2 = radius * radius
        return positions.indices.filter { FrameGrid.isWithin(positions[$0], center, r2) }
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

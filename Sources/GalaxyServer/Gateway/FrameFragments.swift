import Dispatch

/// Public JSON of the ships some client sees in this frame, encoded once for all clients. There are two
/// buffers, with and without the static fields name, kind and owner. Each contains every needed ship's
/// object preceded by a comma, in rank order. So the ships of consecutive needed ranks form one run of
/// bytes that many clients' messages can share.
struct FrameFragments: Sendable {
    enum Kind: Int, Sendable {
        case withStatic = 0
        case dynamic = 1
    }

    /// Buffer contents by kind.
    let buffers: [[UInt8]]
    /// Byte offsets of each rank's `,{...}` in the buffer of each kind, at `kind * ranks + rank`; -1 for
    /// ranks not needed.
    private let starts: [Int]
    private let ends: [Int]
    private let ranks: Int

    init(index: FrameIndex, needed: [Bool], workers: Int) {
        let count = index.shipAtRank.count
        let slices = count >= 2048 ? max(1, workers) : 1
        var outputs = [Slice?](repeating: nil, count: slices)
        outputs.withUnsafeMutableBufferPointer { buffer in
            let slots = UnsafeSendable(buffer)
            DispatchQueue.concurrentPerform(iterations: slices) { k in
                let ranks = (count * k / slices)..<(count * (k + 1) / slices)
                slots.value[k] = Slice(index: index, ranks: ranks, needed: needed)
            }
        }
        var buffers: [[UInt8]] = [[], []]
        for kind in 0..<2 {
            // One allocation of the final size, instead of growing and copying the first slices again.
            buffers[kind].reserveCapacity(outputs.reduce(0) { $0 + ($1?.buffers[kind].count ?? 0) })
        }
        var starts = [Int](repeating: -1, count: 2 * count)
        var ends = starts
        for slice in outputs.compactMap({ $0 }) {
            for kind in 0..<2 {
                let shift = buffers[kind].count
                for (k, rank) in slice.ranks.enumerated() where slice.starts[kind][k] >= 0 {
                    starts[kind * count + rank] = slice.starts[kind][k] + shift
                    ends[kind * count + rank] = slice.ends[kind][k] + shift
                }
                buffers[kind].append(contentsOf: slice.buffers[kind])
            }
        }
        self.buffers = buffers
        self.starts = starts
        self.ends = ends
        ranks = count
    }

    /// Fragments with the given buffers and no ranks, for tests of what is built on the buffers alone.
    init(buffers: [[UInt8]]) {
        self.buffers = buffers
        (starts, ends, ranks) = ([], [], 0)
    }

    /// Byte range of the fragments of ranks `first...last` in the buffer of `kind`, leading comma included.
    /// The ranks between them must all be needed, or the range would take other ships with it.
    func range(_ kind: Kind, from first: Int, through last: Int) -> Range<Int> {
        starts[kind.rawValue * ranks + first]..<ends[kind.rawValue * ranks + last]
    }

    /// Byte range of the fragment of `rank` in the buffer of `kind`, leading comma included, or nil when
    /// the rank was not needed.
    func range(_ kind: Kind, of rank: Int) -> Range<Int>? {
        let start = starts[kind.rawValue * ranks + rank]
        return start < 0 ? nil : start..<ends[kind.rawValue * ranks + rank]
    }

    /// True when the fragment of `rank` directly follows that of `previous` in the buffers (both
    /// buffers hold the same ranks in the same order, so checking one is enough).
    func isAdjacent(_ rank: Int, after previous: Int) -> Bool {
        starts[rank] >= 0 && starts[rank] == ends[previous]
    }

    /// One slice's encoding of a contiguous range of ranks, with offsets relative to its own buffers.
    private struct Slice {
        let ranks: Range<Int>
        var buffers: [[UInt8]] = [[], []]
        var starts: [[Int]]
        var ends: [[Int]]

        init(index: FrameIndex, ranks: Range<Int>, needed: [Bool]) {
            self.ranks = ranks
            starts = [[Int]](repeating: [Int](repeating: -1, count: ranks.count), count: 2)
            ends = starts
            var withStatic = JSONWriter(capacity: ranks.count * 200)
            var dynamic = JSONWriter(capacity: ranks.count * 160)
            let (staticKind, dynamicKind) = (Kind.withStatic.rawValue, Kind.dynamic.rawValue)
            for (k, rank) in ranks.enumerated() where needed[rank] {
                let ship = index.ship(atRank: rank)
                // Both kinds end with the same position, velocity and attitude, which take most of the
                // encoding time. They are written once and copied into the other buffer.
                starts[dynamicKind][k] = dynamic.bytes.count
                dynamic.bytes.append(UInt8(ascii: ","))
                StateEncoder.writeIdentity(ship, &dynamic, includeStatic: false)
                let motion = dynamic.bytes.count
                StateEncoder.writeMotion(ship, &dynamic)
                dynamic.bytes.append(UInt8(ascii: "}"))
                ends[dynamicKind][k] = dynamic.bytes.count
                starts[staticKind][k] = withStatic.bytes.count
                withStatic.bytes.append(UInt8(ascii: ","))
                StateEncoder.writeIdentity(ship, &withStatic, includeStatic: true)
                withStatic.bytes.append(contentsOf: dynamic.bytes[motion...])
                ends[staticKind][k] = withStatic.bytes.count
            }
            buffers = [withStatic.bytes, dynamic.bytes]
        }
    }
}

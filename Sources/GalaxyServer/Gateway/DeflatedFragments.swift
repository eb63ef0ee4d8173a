import CGateway
import Foundation

/// The form of a client's state messages: JSON text, that same text as a raw DEFLATE stream in a
/// binary message (docs/protocol.md, "Compressed state"), or a JSON head with fixed-size records of the
/// other ships (docs/protocol.md, "Binary state").
enum StateEncoding: String, Sendable {
    case json
    case deflate
    case binary
}

/// A frame's fragment buffers compressed once for every client that takes compressed state. Each buffer
/// is cut into blocks of `blockBytes` that are compressed independently, so a client's shared run reuses
/// the compressed bytes of the whole blocks it covers and sends its partial blocks at either end
/// uncompressed.
struct DeflatedFragments: Sendable {
    /// Bytes of uncompressed input per block. Smaller blocks leave less uncompressed at the ends of a
    /// run. Larger ones compress a little better: a 208 KB full-state message shrank 1.98, 2.05, 2.06 and
    /// 2.07 times with 1, 2, 4 and 8 KB blocks (zlib level 1).
    static let defaultBlockBytes = 2048
    /// zlib's fastest level. Even so, compressing the 200 KB buffer of a 1,000-ship frame takes about
    /// 6 ms of CPU (GalaxyBench broadcast). Level 6 made a 13 KB state message only 4 % smaller.
    static let level: Int32 = 1

    let blockBytes: Int
    /// Compressed bytes by fragment kind.
    let buffers: [[UInt8]]
    /// Start of each block in `buffers`, by kind; the last entry is the buffer's length.
    let blockStarts: [[Int]]

    /// Compresses the fragment buffers of `kinds` (all by default), with the blocks split over `workers`
    /// threads. Runs in the other buffers go out uncompressed.
    init?(
        _ fragments: FrameFragments, kinds: Set<FrameFragments.Kind>? = nil, workers: Int, blockBytes: Int = defaultBlockBytes
    ) {
        var buffers: [[UInt8]] = []
        var blockStarts: [[Int]] = []
        for (k, plain) in fragments.buffers.enumerated() {
            guard kinds?.contains(FrameFragments.Kind(rawValue: k)!) ?? true else {
                buffers.append([])
                blockStarts.append([0])
                continue
            }
            guard let (buffer, starts) = DeflatedFragments.compress(plain, blockBytes: blockBytes, workers: workers) else {
                return nil
            }
            buffers.append(buffer)
            blockStarts.append(starts)
        }
        self.blockBytes = blockBytes
        self.buffers = buffers
        self.blockStarts = blockStarts
    }

    /// Returns the whole blocks inside bytes `range` of the plain buffer of `kind`: the plain bytes they
    /// cover and their compressed bytes. Nil when the range covers no whole block.
    func wholeBlocks(_ kind: FrameFragments.Kind, within range: Range<Int>, plainCount: Int) -> (plain: Range<Int>, packed: Range<Int>)? {
        let starts = blockStarts[kind.rawValue]
        guard starts.count > 1 else { return nil }  // not compressed
        let first = (range.lowerBound + blockBytes - 1) / blockBytes
        // The last block may be short: it ends where the buffer does.
        let end = range.upperBound == plainCount ? starts.count - 1 : range.upperBound / blockBytes
        guard first < end else { return nil }
        return (first * blockBytes..<min(end * blockBytes, plainCount), starts[first]..<starts[end])
    }

    /// Compresses `plain` in slices of whole blocks, one per worker, and joins the outputs: a full flush
    /// ends each block on a byte boundary, so the slices' streams concatenate into one.
    private static func compress(_ plain: [UInt8], blockBytes: Int, workers: Int) -> ([UInt8], [Int])? {
        let blocks = (plain.count + blockBytes - 1) / blockBytes
        let slices = max(1, min(workers, blocks / 8))
        var outputs = [([UInt8], [Int])?](repeating: nil, count: slices)
        plain.withUnsafeBufferPointer { input in
            outputs.withUnsafeMutableBufferPointer { results in
                let (input, slots) = (UnsafeSendable(input), UnsafeSendable(results))
                DispatchQueue.concurrentPerform(iterations: slices) { k in
                    let first = blocks * k / slices, end = blocks * (k + 1) / slices
                    let range = first * blockBytes..<min(plain.count, end * blockBytes)
                    slots.value[k] = compressSlice(
                        UnsafeBufferPointer(rebasing: input.value[range]), blocks: end - first, blockBytes: blockBytes)
                }
            }
        }
        var joined: [UInt8] = []
        var starts: [Int] = [0]
        for output in outputs {
            guard let (bytes, offsets) = output else { return nil }
            let shift = joined.count
            starts.append(contentsOf: offsets.dropFirst().map { $0 + shift })
            joined.append(contentsOf: bytes)
        }
        return (joined, starts)
    }

    private static func compressSlice(_ input: UnsafeBufferPointer<UInt8>, blocks: Int, blockBytes: Int) -> ([UInt8], [Int])? {
        var offsets = [Int](repeating: 0, count: blocks + 1)
        var length = 0
        let output = offsets.withUnsafeMutableBufferPointer { starts in
            gw_deflate_blocks(input.baseAddress, input.count, blockBytes, level, starts.baseAddress, &length)
        }
        guard let output else { return nil }
        defer { free(output) }
        return (Array(UnsafeBufferPointer(start: output, count: length)), offsets)
    }
}

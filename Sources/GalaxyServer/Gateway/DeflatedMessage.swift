/// One client's state message as a raw DEFLATE stream (RFC 1951) that inflates to the JSON text of its
/// `FrameMessage`. The client's own bytes go in stored (uncompressed) blocks, and so do the partial
/// blocks at the ends of each shared run. The whole blocks of a run are the frame's compressed bytes,
/// which every compressed client shares. Every piece starts and ends on a byte boundary, so the pieces
/// join as they are.
struct DeflatedMessage {
    enum Part: Equatable {
        /// Bytes `range` of `own`.
        case own(Range<Int>)
        /// Bytes `range` of the compressed buffer of `kind`.
        case shared(FrameFragments.Kind, Range<Int>)
    }

    /// The bytes of this message only, in one buffer so that they are copied once.
    private(set) var own: [UInt8] = []
    private(set) var parts: [Part] = []

    init(_ message: FrameMessage, plain: FrameFragments, deflated: DeflatedFragments?) {
        // The head, the tail, at most one partial block at either end of each run, the headers and the end.
        let blockBytes = deflated?.blockBytes ?? 0
        let estimate = message.head.count + message.tail.count + message.runs.count * 2 * blockBytes
        own.reserveCapacity(estimate + 5 * (estimate / 65_535 + 2 * message.runs.count + 2) + 2)
        var ownStart = 0
        DeflatedMessage.store(message.head[...], into: &own)
        for run in message.runs {
            let bytes = plain.buffers[run.kind.rawValue]
            guard let whole = deflated?.wholeBlocks(run.kind, within: run.range, plainCount: bytes.count) else {
                DeflatedMessage.store(bytes[run.range], into: &own)
                continue
            }
            DeflatedMessage.store(bytes[run.range.lowerBound..<whole.plain.lowerBound], into: &own)
            parts.append(.own(ownStart..<own.count))
            parts.append(.shared(run.kind, whole.packed))
            ownStart = own.count
            DeflatedMessage.store(bytes[whole.plain.upperBound..<run.range.upperBound], into: &own)
        }
        DeflatedMessage.store(message.tail[...], into: &own)
        // An empty final block with fixed codes (BFINAL 1, BTYPE 01, end-of-block code): the stream ends.
        own.append(contentsOf: [0x03, 0x00])
        parts.append(.own(ownStart..<own.count))
    }

    /// Appends `bytes` as stored blocks of at most 65,535 bytes. Each block is a header byte (not final,
    /// type 00, padded to the byte), then the length and its complement as 16-bit little-endian, then the bytes.
    static func store(_ bytes: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(bytes.endIndex, start + 65_535)
            let length = UInt16(end - start)
            output.append(0x00)
            output.append(UInt8(length & 0xFF))
            output.append(UInt8(length >> 8))
            output.append(UInt8(~length & 0xFF))
            output.append(UInt8(~length >> 8))
            output.append(contentsOf: bytes[start..<end])
            start = end
        }
    }

    /// Bytes on the wire.
    var count: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .own(let range), .shared(_, let range): total + range.count
            }
        }
    }

    /// Returns the stream as one buffer (for tests and the fallback when shared buffers are missing).
    func joined(_ deflated: DeflatedFragments?) -> [UInt8] {
        parts.flatMap { part -> ArraySlice<UInt8> in
            switch part {
            case .own(let range): own[range]
            case .shared(let kind, let range): deflated.map { $0.buffers[kind.rawValue][range] } ?? []
            }
        }
    }
}

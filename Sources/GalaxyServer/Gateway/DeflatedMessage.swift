/// One client's state message as a raw DEFLATE stream (RFC 1951) that inflates to the JSON text of its
/// `FrameMessage`. The client's own bytes and the partial blocks at the ends of each shared run go in
/// stored (uncompressed) blocks; the whole blocks of a run are the frame's compressed bytes, shared by
/// every compressed client. Every piece starts and ends on a byte boundary, so the pieces join as they are.
struct DeflatedMessage {
    enum Part: Equatable {
        /// Bytes of this message only.
        case own([UInt8])
        /// Bytes `range` of the compressed buffer of `kind`.
        case shared(FrameFragments.Kind, Range<Int>)
    }

    private(set) var parts: [Part] = []

    init(_ message: FrameMessage, plain: FrameFragments, deflated: DeflatedFragments?) {
        var own: [UInt8] = []
        own.reserveCapacity(message.head.count + 64)
        DeflatedMessage.store(message.head[...], into: &own)
        for run in message.runs {
            let bytes = plain.buffers[run.kind.rawValue]
            guard let whole = deflated?.wholeBlocks(run.kind, within: run.range, plainCount: bytes.count) else {
                DeflatedMessage.store(bytes[run.range], into: &own)
                continue
            }
            DeflatedMessage.store(bytes[run.range.lowerBound..<whole.plain.lowerBound], into: &own)
            parts.append(.own(own))
            parts.append(.shared(run.kind, whole.packed))
            own = []
            DeflatedMessage.store(bytes[whole.plain.upperBound..<run.range.upperBound], into: &own)
        }
        DeflatedMessage.store(message.tail[...], into: &own)
        // An empty final block with fixed codes (BFINAL 1, BTYPE 01, end-of-block code): the stream ends.
        own.append(contentsOf: [0x03, 0x00])
        parts.append(.own(own))
    }

    /// Appends `bytes` as stored blocks: a header byte (not final, type 00, padded to the byte), the
    /// length and its complement, both 16-bit little-endian, then the bytes; at most 65,535 per block.
    static func store(_ bytes: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(bytes.endIndex, start + 65_535)
            let length = UInt16(end - start)
            output.append(contentsOf: [0x00, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)])
            output.append(contentsOf: bytes[start..<end])
            start = end
        }
    }

    /// Returns the stream as one buffer (for tests and the fallback when shared buffers are missing).
    func joined(_ deflated: DeflatedFragments?) -> [UInt8] {
        parts.flatMap { part -> [UInt8] in
            switch part {
            case .own(let bytes): bytes
            case .shared(let kind, let range): deflated.map { Array($0.buffers[kind.rawValue][range]) } ?? []
            }
        }
    }
}

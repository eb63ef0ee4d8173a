/// Little-endian binary writing for the frames the engine publishes to gateways.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func f64(_ v: Double) { u64(v.bitPattern) }

    mutating func vector(_ v: SIMD3<Double>) {
        f64(v.x)
        f64(v.y)
        f64(v.z)
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func optionalF64(_ v: Double?) {
        u8(v == nil ? 0 : 1)
        if let v { f64(v) }
    }

    mutating func optionalString(_ s: String?) {
        u8(s == nil ? 0 : 1)
        if let s { string(s) }
    }
}

/// Reads what `ByteWriter` wrote; every read checks the remaining length, so a truncated or corrupt
/// message throws instead of reading past the end.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func u8() throws(FrameDecodingError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u32() throws(FrameDecodingError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[offset + k]) << (8 * k) }
        offset += 4
        return v
    }

    mutating func u64() throws(FrameDecodingError) -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[offset + k]) << (8 * k) }
        offset += 8
        return v
    }

    mutating func f64() throws(FrameDecodingError) -> Double { Double(bitPattern: try u64()) }

    mutating func vector() throws(FrameDecodingError) -> SIMD3<Double> { SIMD3(try f64(), try f64(), try f64()) }

    mutating func string() throws(FrameDecodingError) -> String {
        let count = Int(try u32())
        try need(count)
        defer { offset += count }
        return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
    }

    mutating func optionalF64() throws(FrameDecodingError) -> Double? { try flag() ? try f64() : nil }

    mutating func optionalString() throws(FrameDecodingError) -> String? { try flag() ? try string() : nil }

    /// Reads a count of elements that each take at least `minimumBytes` and checks it against the bytes left.
    mutating func count(minimumBytes: Int) throws(FrameDecodingError) -> Int {
        let n = Int(try u32())
        try need(n * max(1, minimumBytes))
        return n
    }

    private mutating func flag() throws(FrameDecodingError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        case let v: throw FrameDecodingError("flag byte must be 0 or 1, got \(v) at offset \(offset - 1)")
        }
    }

    private func need(_ n: Int) throws(FrameDecodingError) {
        guard n >= 0, bytes.count - offset >= n else {
            throw FrameDecodingError("message truncated: need \(n) bytes at offset \(offset) of \(bytes.count)")
        }
    }
}

struct FrameDecodingError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

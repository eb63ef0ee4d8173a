import Foundation

/// Appends JSON text to a byte buffer without building intermediate objects; the per-tick frames are
/// written this way because Foundation's encoders cost several times more per client.
struct JSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: String) {
        var text = text
        // withUTF8 reads a native string in place, where appending `text.utf8` goes through a slower
        // generic copy.
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Appends a number in its shortest round-trip form. Non-finite values become null because JSON has no
    /// literal for them.
    mutating func number(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        // A finite value is integral when truncation leaves it unchanged; truncation is one instruction,
        // where `rounded()` calls the C library.
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            decimal(UInt64(value.magnitude), negative: value < 0)
        } else {
            // These are the same digits as `value.description`. Writing to a TextOutputStream hands them
            // over as bytes instead of a new String.
            var sink = ASCIISink()
            swap(&sink.bytes, &bytes)
            value.write(to: &sink)
            swap(&sink.bytes, &bytes)
        }
    }

    mutating func number<T: BinaryInteger>(_ value: T) {
        guard let magnitude = UInt64(exactly: value.magnitude) else { return raw(String(value)) }
        decimal(magnitude, negative: value < 0)
    }

    /// Appends the decimal digits of `magnitude`, after a minus sign when `negative` (and `magnitude` is
    /// not zero, so that -0.0 is written as 0 like `Int64(-0.0)`).
    private mutating func decimal(_ magnitude: UInt64, negative: Bool) {
        if negative && magnitude != 0 { bytes.append(UInt8(ascii: "-")) }
        // UInt64.max has 20 digits.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = magnitude
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        // Only ASCII bytes are escaped, and every other byte of valid UTF-8 is copied as it is, so a byte
        // loop writes what a loop over Unicode scalars would.
        value.withUTF8 { utf8 in
            var pending = 0
            for (offset, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[pending..<offset]))
                pending = offset + 1
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case UInt8(ascii: "\n"): raw("\\n")
                case UInt8(ascii: "\r"): raw("\\r")
                case UInt8(ascii: "\t"): raw("\\t")
                default:
                    raw("\\u00")
                    bytes.append(UInt8(ascii: "0") + byte >> 4)
                    let low = byte & 0xf
                    bytes.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[pending...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends a JSON array of numbers.
    mutating func numbers(_ values: Double...) {
        raw("[")
        for (k, value) in values.enumerated() {
            if k > 0 { raw(",") }
            number(value)
        }
        raw("]")
    }

    /// Appends a JSON array of the first `count` lanes of `lanes`, without the array that the variadic
    /// form allocates.
    mutating func numbers(lanes: SIMD4<Double>, count: Int = 4) {
        bytes.append(UInt8(ascii: "["))
        for k in 0..<count {
            if k > 0 { bytes.append(UInt8(ascii: ",")) }
            number(lanes[k])
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func vector(_ v: SIMD3<Double>) { numbers(lanes: SIMD4(v, 0), count: 3) }

    mutating func key(_ name: String) {
        string(name)
        raw(":")
    }

    /// Appends `,"key":` for an object member after the first. Keys are literals, so they are copied
    /// without the escaping loop of `string`.
    private mutating func memberKey(_ key: StaticString) {
        key.withUTF8Buffer { utf8 in
            assert(!utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }, "key needs escaping")
            bytes.append(UInt8(ascii: ","))
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// Appends `,"key":value` for an object member after the first.
    mutating func member(_ key: StaticString, _ value: Double) {
        memberKey(key)
        number(value)
    }

    mutating func member<T: BinaryInteger>(_ key: StaticString, _ value: T) {
        memberKey(key)
        number(value)
    }

    mutating func member(_ key: StaticString, _ value: String) {
        memberKey(key)
        string(value)
    }

    mutating func member(_ key: StaticString, _ value: SIMD3<Double>) {
        memberKey(key)
        vector(value)
    }

    /// Appends `,"key":value`, or `,"key":null` for nil.
    mutating func member(_ key: StaticString, _ value: Double?) {
        memberKey(key)
        if let value { number(value) } else { raw("null") }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }
}

/// Receives a number's text from `TextOutputStreamable.write(to:)`. The standard library (Swift 6.3)
/// passes a number's ASCII text through `_writeASCII` as bytes; `write` covers any other path.
private struct ASCIISink: TextOutputStream {
    var bytes: [UInt8] = []

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
}

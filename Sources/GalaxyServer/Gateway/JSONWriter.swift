import Foundation

/// Appends JSON text to a byte buffer without building intermediate objects; the per-tick frames are
/// written this way because Foundation's encoders cost several times more per client.
struct JSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func raw(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Appends a number in its shortest round-trip form. Non-finite values become null because JSON has no
    /// literal for them.
    mutating func number(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        if value == value.rounded(), abs(value) < 1e15 {
            raw(String(Int64(value)))
        } else {
            raw(value.description)
        }
    }

    mutating func number<T: BinaryInteger>(_ value: T) { raw(String(value)) }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": raw("\\\"")
            case "\\": raw("\\\\")
            case "\n": raw("\\n")
            case "\r": raw("\\r")
            case "\t": raw("\\t")
            case _ where scalar.value < 0x20: raw("\\u" + String(format: "%04x", scalar.value))
            default: bytes.append(contentsOf: String(scalar).utf8)
            }
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

    mutating func vector(_ v: SIMD3<Double>) { numbers(v.x, v.y, v.z) }

    mutating func key(_ name: String) {
        string(name)
        raw(":")
    }

    /// Appends `,"key":value` for an object member after the first.
    mutating func member(_ key: String, _ value: Double) {
        raw(",")
        self.key(key)
        number(value)
    }

    mutating func member<T: BinaryInteger>(_ key: String, _ value: T) {
        raw(",")
        self.key(key)
        number(value)
    }

    mutating func member(_ key: String, _ value: String) {
        raw(",")
        self.key(key)
        string(value)
    }

    mutating func member(_ key: String, _ value: SIMD3<Double>) {
        raw(",")
        self.key(key)
        vector(value)
    }

    /// Appends `,"key":value`, or `,"key":null` for nil.
    mutating func member(_ key: String, _ value: Double?) {
        raw(",")
        self.key(key)
        if let value { number(value) } else { raw("null") }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }
}

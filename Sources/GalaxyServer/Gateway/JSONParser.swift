/// The reason a text is not JSON, and the byte offset where the parser gave up.
struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    let offset: Int
    let reason: String

    var description: String { "\(reason) at byte \(offset)" }
}

/// A strict RFC 8259 parser straight from bytes. Players' commands arrive once per tick from every
/// client, and Foundation's JSONDecoder spent more time on them than the rest of command handling.
///
/// Stricter than the RFC where it allows choice: numbers must fit a finite double (`1e999` is an
/// error, not infinity), a key may appear once per object, strings must be valid UTF-8 without lone
/// surrogates, and nesting stops at `maximumDepth`.
struct JSONParser {
    /// Client messages nest three levels at most; the limit keeps recursion far from the stack's end.
    static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.error("unexpected text after the value")
        }
        return value
    }

    private func error(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: index, reason: reason) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        guard let byte = current else { throw error("expected a value, found the end of the text") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("expected a value, found '\(Self.show(byte))'")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        let matches = index + count <= bytes.count
            && (0..<count).allSatisfy { bytes[index + $0] == word.utf8Start[$0] }
        guard matches else { throw error("expected '\(word)'") }
        index += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("nested deeper than \(Self.maximumDepth) levels")
        }
        index += 1  // the opening bracket
        skipWhitespace()
    }

    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        var fields: [String: JSONValue] = [:]
        if current == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(fields)
        }
        while true {
            guard current == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let keyOffset = index
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
            index += 1
            skipWhitespace()
            let field = try value()
            if fields.updateValue(field, forKey: key) != nil {
                throw JSONSyntaxError(offset: keyOffset, reason: "key '\(key)' appears twice")
            }
            skipWhitespace()
            if try closes(UInt8(ascii: "}"), in: "an object") { return .object(fields) }
        }
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        if current == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            if try closes(UInt8(ascii: "]"), in: "an array") { return .array(elements) }
        }
    }

    /// After a member: true past the closing bracket, false past a comma (with another member due).
    private mutating func closes(_ bracket: UInt8, in container: String) throws(JSONSyntaxError) -> Bool {
        switch current {
        case bracket:
            index += 1
            depth -= 1
            return true
        case UInt8(ascii: ","):
            index += 1
            skipWhitespace()
            return false
        default:
            throw error("expected ',' or '\(Self.show(bracket))' in \(container)")
        }
    }

    private mutating func number() throws(JSONSyntaxError) -> Double {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw error("expected a digit")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            if digits() == 0 { throw error("expected a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { throw error("expected a digit in the exponent") }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONSyntaxError(offset: start, reason: "number \(text) is beyond the range of a double")
        }
        return value
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            index += 1
        }
        return index - start
    }

    /// Reads a quoted string, starting on its opening quote. Unescaped runs are copied whole.
    private mutating func string() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        var decoded: [UInt8] = []
        var runStart = index
        while true {
            guard let byte = current else {
                throw JSONSyntaxError(offset: start, reason: "string is not closed")
            }
            if byte == UInt8(ascii: "\"") {
                break
            } else if byte == UInt8(ascii: "\\") {
                decoded.append(contentsOf: bytes[runStart..<index])
                try escape(into: &decoded)
                runStart = index
            } else if byte < 0x20 {
                throw error("control character 0x\(String(byte, radix: 16)) inside a string; escape it")
            } else {
                index += 1
            }
        }
        let run = UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])
        index += 1  // the closing quote
        let text: String?
        if decoded.isEmpty {
            text = String(validating: run, as: UTF8.self)
        } else {
            decoded.append(contentsOf: run)
            text = String(validating: decoded, as: UTF8.self)
        }
        guard let text else { throw JSONSyntaxError(offset: start, reason: "string is not valid UTF-8") }
        return text
    }

    /// Reads one escape sequence, starting on its backslash, and appends the UTF-8 it stands for.
    private mutating func escape(into output: inout [UInt8]) throws(JSONSyntaxError) {
        index += 1
        guard let letter = current else { throw error("string ends inside an escape") }
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(letter)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"): output.append(contentsOf: String(Character(try unicodeEscape())).utf8)
        default:
            index -= 1
            throw error("unknown escape '\\\(Self.show(letter))'")
        }
    }

    /// Reads the scalar of a \uXXXX escape, starting past the 'u'; joins a surrogate pair.
    private mutating func unicodeEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
        let start = index - 2
        let first = try hexQuad()
        var value = first
        if (0xD800...0xDBFF).contains(first) {
            let pairs = index + 1 < bytes.count && bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u")
            guard pairs else { throw JSONSyntaxError(offset: start, reason: "high surrogate without a low surrogate") }
            index += 2
            let second = try hexQuad()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw JSONSyntaxError(offset: start, reason: "high surrogate without a low surrogate")
            }
            value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw JSONSyntaxError(offset: start, reason: "low surrogate without a high surrogate")
        }
        return scalar
    }

    private mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexValue(byte) else {
                throw error("expected four hex digits after \\u")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Shows a byte in an error message: printable ASCII as itself, anything else in hex.
    private static func show(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }
}

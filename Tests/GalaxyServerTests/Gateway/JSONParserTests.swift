import Foundation
import Testing

@testable import GalaxyServer

struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBytes { try JSONParser.parse($0) }
    }

    func failure(_ bytes: [UInt8]) -> JSONSyntaxError? {
        do {
            _ = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
            return nil
        } catch {
            return error as? JSONSyntaxError
        }
    }

    @Test func readsASteerMessage() throws {
        let value = try parse(#" {"type": "steer", "seq": 7, "ship_id": 12, "throttle": 0.25, "on": true, "x": null} "#)
        #expect(
            value
                == .object([
                    "type": .string("steer"), "seq": .number(7), "ship_id": .number(12), "throttle": .number(0.25),
                    "on": .bool(true), "x": .null,
                ]))
    }

    @Test func readsNestingAndEmptyContainers() throws {
        #expect(try parse("[[], {}, [1, [2, {\"a\": []}]]]")
            == .array([.array([]), .object([:]), .array([.number(1), .array([.number(2), .object(["a": .array([])])])])]))
        #expect(try parse("\"top\"") == .string("top"))
        #expect(try parse("-0") == .number(-0.0))
    }

    @Test(arguments: [
        ("0", 0.0), ("-12", -12.0), ("3.5", 3.5), ("1e3", 1000.0), ("1E+3", 1000.0), ("2.5e-3", 0.0025),
        ("1e-400", 0.0), ("1.7976931348623157e308", 1.7976931348623157e308), ("5e-324", 5e-324),
    ])
    func readsNumbers(text: String, expected: Double) throws {
        #expect(try parse(text) == .number(expected))
    }

    @Test func readsEveryDoubleBackExactly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            #expect(try parse(value.description) == .number(value), "\(value)")
        }
    }

    @Test func decodesEscapesAndUnicode() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try parse(#""\u00e9\u4E2D\ud83d\ude80""#) == .string("é中🚀"))
        #expect(try parse("\"raw é 中 🚀\"") == .string("raw é 中 🚀"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test(arguments: [
        ("", "end of the text"), ("{", "quoted key"), ("{\"a\" 1}", "':'"), ("{\"a\": 1,}", "quoted key"),
        ("[1,]", "expected a value"), ("[1 2]", "',' or ']'"), ("{\"a\": 1 \"b\": 2}", "',' or '}'"),
        ("01", "after the value"), ("1.", "after '.'"), ("1e", "exponent"), ("-", "digit"), ("+1", "expected a value"),
        (".5", "expected a value"), ("NaN", "expected a value"), ("Infinity", "expected a value"), ("-Infinity", "digit"),
        ("1e999", "beyond the range"), ("2e308", "beyond the range"), ("-1e400", "beyond the range"), ("tru", "'true'"), ("nul", "'null'"),
        ("\"open", "not closed"), ("\"tab\there\"", "control character 0x9"), (#""\x""#, #"unknown escape '\x'"#),
        (#""\u12""#, "four hex digits"), (#""\ud83d""#, "high surrogate"), (#""\ud83d\u0041""#, "high surrogate"),
        (#""\ude80""#, "low surrogate"), ("{\"a\": 1, \"a\": 2}", "key 'a' appears twice"), ("{} {}", "after the value"),
        ("{\"a\": 1}x", "after the value"),
    ])
    func rejects(text: String, reason: String) {
        let error = failure(Array(text.utf8))
        #expect(error?.reason.contains(reason) == true, "\(text): \(String(describing: error))")
    }

    @Test func rejectsInvalidUTF8AndNamesTheOffset() {
        #expect(failure([0x22, 0x61, 0xFF, 0x22])?.reason == "string is not valid UTF-8")
        #expect(failure([0x22, 0xED, 0xA0, 0x80, 0x22]) != nil)  // an encoded surrogate
        #expect(failure(Array("[1, 2, x]".utf8)) == JSONSyntaxError(offset: 7, reason: "expected a value, found 'x'"))
    }

    @Test func stopsAtTheDepthLimit() throws {
        let limit = JSONParser.maximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try parse(deepest) }
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(failure(Array(tooDeep.utf8))?.reason.contains("nested deeper") == true)
        // A hostile message nested a million levels is refused without exhausting the stack.
        #expect(failure(Array(repeating: UInt8(ascii: "["), count: 1_000_000)) != nil)
    }

    /// Random documents written by Foundation read back as the same values.
    @Test func agreesWithFoundationOnRandomDocuments() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let object = randomObject(depth: 0, &generator)
            let data = try JSONSerialization.data(withJSONObject: object)
            let parsed = try data.withUnsafeBytes { try JSONParser.parse($0) }
            #expect(parsed == expected(object), "\(String(decoding: data, as: UTF8.self))")
        }
    }

    private func randomObject(depth: Int, _ generator: inout SystemRandomNumberGenerator) -> [String: Any] {
        var object: [String: Any] = [:]
        for k in 0..<Int.random(in: 0...4, using: &generator) {
            object["k\(k)\u{e9}\"\n"] = randomValue(depth: depth + 1, &generator)
        }
        return object
    }

    private func randomValue(depth: Int, _ generator: inout SystemRandomNumberGenerator) -> Any {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
        case 0: return NSNull()
        case 1: return Double.random(in: -1e12...1e12, using: &generator)
        case 2: return Int.random(in: -1_000_000...1_000_000, using: &generator)
        case 3: return String((0..<Int.random(in: 0...8, using: &generator)).map { _ in "aZ\\\"/\u{1}é🚀 ".randomElement()! })
        case 4: return (0..<Int.random(in: 0...3, using: &generator)).map { _ in randomValue(depth: depth + 1, &generator) }
        default: return randomObject(depth: depth, &generator)
        }
    }

    private func expected(_ value: Any) -> JSONValue {
        switch value {
        case is NSNull: .null
        case let number as Double: .number(number)
        case let number as Int: .number(Double(number))
        case let text as String: .string(text)
        case let array as [Any]: .array(array.map(expected))
        case let object as [String: Any]: .object(object.mapValues(expected))
        default: .null
        }
    }
}

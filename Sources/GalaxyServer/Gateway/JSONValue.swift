/// Any JSON value, decoded strictly: a boolean never reads as a number or the reverse, so field checks
/// can name the type a client actually sent.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Returns the value, or nil for text that is not JSON. `JSONParser.parse` throws the reason instead.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        try? JSONParser.parse(bytes)
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

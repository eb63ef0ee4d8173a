/// Minimal `--name value` parser: every option takes one value; `--help` is a flag.
struct Arguments {
    private(set) var values: [String: String] = [:]
    private(set) var help = false

    init(_ arguments: ArraySlice<String>, allowed: Set<String>) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--help" || argument == "-h" {
                help = true
                continue
            }
            guard argument.hasPrefix("--") else { throw UsageError("unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard allowed.contains(name) else { throw UsageError("unknown option --\(name)") }
            guard let given = value ?? iterator.next() else { throw UsageError("option --\(name) needs a value") }
            values[name] = given
        }
    }

    func string(_ name: String, environment: String? = nil) -> String? {
        values[name] ?? environment.flatMap { Environment.value($0) }
    }

    func double(_ name: String, environment: String? = nil) throws -> Double? {
        guard let text = string(name, environment: environment) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw UsageError("--\(name) must be a number, got '\(text)'")
        }
        return value
    }

    func int(_ name: String, environment: String? = nil) throws -> Int? {
        guard let text = string(name, environment: environment) else { return nil }
        guard let value = Int(text) else { throw UsageError("--\(name) must be an integer, got '\(text)'") }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

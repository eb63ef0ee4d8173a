import Foundation
import Synchronization

/// A small structured logger: one line per message, `time level message key=value ...`, to standard error.
/// Child loggers carry extra metadata (connection or player ids). Never pass a secret as a value.
public struct Logger: Sendable {
    public enum Level: Int, Comparable, Sendable, CaseIterable {
        case trace, debug, info, warning, error

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        public var name: String { String(describing: self) }

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
            self = level
        }
    }

    public var label: String
    public var minimumLevel: Level
    public var metadata: [(String, String)] = []
    private let sink: @Sendable (String) -> Void

    public init(label: String, minimumLevel: Level = .info, sink: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.minimumLevel = minimumLevel
        self.sink = sink ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Returns a logger that adds `key=value` to every line.
    public func with(_ key: String, _ value: CustomStringConvertible) -> Logger {
        var child = self
        child.metadata.append((key, value.description))
        return child
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ extra: [(String, CustomStringConvertible)] = []) {
        guard level >= minimumLevel else { return }
        var line = "\(Logger.timestamp()) \(level.name) \(label): \(message())"
        for (key, value) in metadata { line += " \(key)=\(Logger.quoted(value))" }
        for (key, value) in extra { line += " \(key)=\(Logger.quoted(value.description))" }
        sink(line)
    }

    public func debug(_ message: @autoclosure () -> String, _ extra: [(String, CustomStringConvertible)] = []) {
        log(.debug, message(), extra)
    }
    public func info(_ message: @autoclosure () -> String, _ extra: [(String, CustomStringConvertible)] = []) {
        log(.info, message(), extra)
    }
    public func warning(_ message: @autoclosure () -> String, _ extra: [(String, CustomStringConvertible)] = []) {
        log(.warning, message(), extra)
    }
    public func error(_ message: @autoclosure () -> String, _ extra: [(String, CustomStringConvertible)] = []) {
        log(.error, message(), extra)
    }

    private static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}

/// Lets a repeated message through at most once per `interval` seconds and counts what it held back.
public final class RateLimiter: Sendable {
    private struct State { var last = -Double.infinity; var suppressed = 0 }
    private let state = Mutex(State())
    public let interval: Double

    public init(interval: Double) { self.interval = interval }

    /// Returns the number of suppressed repeats to report, or nil to stay silent now.
    public func admit(now: Double) -> Int? {
        state.withLock { s in
            guard now - s.last >= interval else {
                s.suppressed += 1
                return nil
            }
            let count = s.suppressed
            s.last = now
            s.suppressed = 0
            return count
        }
    }
}

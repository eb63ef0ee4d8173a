import Synchronization

/// A histogram's state: cumulative counts per upper bound, plus sum and count of observations.
public struct HistogramValue: Sendable, Equatable {
    public var bounds: [Double]
    public var counts: [UInt64]
    public var sum: Double = 0
    public var count: UInt64 = 0

    public init(bounds: [Double]) {
        self.bounds = bounds.sorted()
        counts = Array(repeating: 0, count: bounds.count)
    }

    public mutating func observe(_ value: Double) {
        for (k, bound) in bounds.enumerated() where value <= bound { counts[k] += 1 }
        sum += value
        count += 1
    }
}

/// Prometheus metrics rendered in the text exposition format (version 0.0.4). Values are either stored
/// here (`set`, `increment`, `observe`) or read from their owner at render time, which keeps the tick
/// path to one lock of the owner's own. Thread-safe.
public final class MetricsRegistry: Sendable {
    public enum Kind: String, Sendable { case gauge, counter, histogram }

    private enum Source: Sendable {
        case stored(Double)
        case read(@Sendable () -> Double)
        case histogram(HistogramValue)
        case readHistogram(@Sendable () -> HistogramValue)
    }

    private struct Family: Sendable {
        var help: String
        var kind: Kind
        var source: Source
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    public func register(_ name: String, kind: Kind, help: String, buckets: [Double] = []) {
        let source: Source = kind == .histogram ? .histogram(HistogramValue(bounds: buckets)) : .stored(0)
        add(name, Family(help: help, kind: kind, source: source))
    }

    /// Registers a gauge or counter whose value is read from `read` at render time.
    public func register(_ name: String, kind: Kind, help: String, read: @escaping @Sendable () -> Double) {
        add(name, Family(help: help, kind: kind, source: .read(read)))
    }

    /// Registers a histogram whose state is read from `read` at render time.
    public func registerHistogram(_ name: String, help: String, read: @escaping @Sendable () -> HistogramValue) {
        add(name, Family(help: help, kind: .histogram, source: .readHistogram(read)))
    }

    private func add(_ name: String, _ family: Family) {
        families.withLock { all in
            if all[name] == nil { all[name] = family }
        }
    }

    public func set(_ name: String, _ value: Double) {
        families.withLock { all in
            if case .stored = all[name]?.source { all[name]?.source = .stored(value) }
        }
    }

    public func increment(_ name: String, by amount: Double = 1) {
        families.withLock { all in
            if case .stored(let value) = all[name]?.source { all[name]?.source = .stored(value + amount) }
        }
    }

    public func observe(_ name: String, _ value: Double) {
        families.withLock { all in
            if case .histogram(var histogram) = all[name]?.source {
                histogram.observe(value)
                all[name]?.source = .histogram(histogram)
            }
        }
    }

    /// Current value of a gauge or counter, or the observation count of a histogram.
    public func value(_ name: String) -> Double? {
        guard let source = families.withLock({ $0[name]?.source }) else { return nil }
        switch source {
        case .stored(let value): return value
        case .read(let read): return read()
        case .histogram(let h): return Double(h.count)
        case .readHistogram(let read): return Double(read().count)
        }
    }

    /// All metrics in the Prometheus text format, sorted by name.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            switch family.source {
            case .stored(let value): out += "\(name) \(format(value))\n"
            case .read(let read): out += "\(name) \(format(read()))\n"
            case .histogram(let h): out += render(name, h)
            case .readHistogram(let read): out += render(name, read())
            }
        }
        return out
    }

    private func render(_ name: String, _ h: HistogramValue) -> String {
        var out = ""
        for (k, bound) in h.bounds.enumerated() {
            out += "\(name)_bucket{le=\"\(format(bound))\"} \(h.counts[k])\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n"
        out += "\(name)_sum \(format(h.sum))\n\(name)_count \(h.count)\n"
        return out
    }

    private func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

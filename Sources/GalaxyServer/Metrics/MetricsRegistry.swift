import Synchronization

/// Prometheus metrics kept in memory and rendered in the text exposition format (version 0.0.4).
/// Thread-safe: the tick thread writes, any thread renders.
public final class MetricsRegistry: Sendable {
    public enum Kind: String, Sendable { case gauge, counter, histogram }

    private struct Family: Sendable {
        var help: String
        var kind: Kind
        var value: Double = 0
        var buckets: [Double] = []
        var bucketCounts: [UInt64] = []
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    public func register(_ name: String, kind: Kind, help: String, buckets: [Double] = []) {
        families.withLock { all in
            guard all[name] == nil else { return }
            var family = Family(help: help, kind: kind)
            family.buckets = buckets.sorted()
            family.bucketCounts = Array(repeating: 0, count: buckets.count)
            all[name] = family
        }
    }

    public func set(_ name: String, _ value: Double) {
        families.withLock { $0[name]?.value = value }
    }

    public func increment(_ name: String, by amount: Double = 1) {
        families.withLock { $0[name]?.value += amount }
    }

    public func observe(_ name: String, _ value: Double) {
        families.withLock { all in
            guard var family = all[name] else { return }
            for (k, bound) in family.buckets.enumerated() where value <= bound {
                family.bucketCounts[k] += 1
            }
            family.sum += value
            family.count += 1
            all[name] = family
        }
    }

    public func value(_ name: String) -> Double? {
        families.withLock { $0[name].map { $0.kind == .histogram ? Double($0.count) : $0.value } }
    }

    /// All metrics in the Prometheus text format, sorted by name.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            if family.kind == .histogram {
                for (k, bound) in family.buckets.enumerated() {
                    out += "\(name)_bucket{le=\"\(format(bound))\"} \(family.bucketCounts[k])\n"
                }
                out += "\(name)_bucket{le=\"+Inf\"} \(family.count)\n"
                out += "\(name)_sum \(format(family.sum))\n\(name)_count \(family.count)\n"
            } else {
                out += "\(name) \(format(family.value))\n"
            }
        }
        return out
    }

    private func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

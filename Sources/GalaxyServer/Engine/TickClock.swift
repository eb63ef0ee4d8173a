import Foundation

/// Time source of the tick loop, injectable so tests can drive overruns without waiting.
public protocol TickClock: Sendable {
    /// Monotonic seconds.
    func now() -> Double
    func sleep(until deadline: Double)
}

public struct SystemClock: TickClock {
    public init() {}

    public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    public func sleep(until deadline: Double) {
        let remaining = deadline - now()
        if remaining > 0 { Thread.sleep(forTimeInterval: remaining) }
    }
}

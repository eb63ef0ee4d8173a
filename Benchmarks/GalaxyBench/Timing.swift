import Dispatch

/// Median, min and max of repeated timings, in seconds.
struct Measurement {
    var samples: [Double]

    var median: Double {
        let sorted = samples.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
    }
    var min: Double { samples.min() ?? .nan }
    var max: Double { samples.max() ?? .nan }
}

/// Runs `body` once to warm up, then `repeats` times, timing each run.
func measure(repeats: Int, _ body: () throws -> Void) rethrows -> Measurement {
    try body()
    var samples: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return Measurement(samples: samples)
}

import CPhysicsKernels
import Foundation
import Testing

@testable import GalaxyServer

/// Effectivity: the batched BLAS path against direct evaluation of the Gauss equations at each sample, and
/// the absolute and relative cut-offs on the GTO to GEO transfer.
@Suite struct QLawEffectivityTests {
    let mu = QLawFixture.mu

    /// Best Q-dot at true longitude `longitude`, evaluated directly from the Gauss matrix at that longitude.
    func directQDot(_ parameters: QLawParameters, _ elements: ModifiedEquinoctialElements, at longitude: Double) throws
        -> Double
    {
        var p = try parameters.kernelValue()
        let x = QLawFixture.slow(elements)
        let gradient = QLawFixture.value(&p, x).gradient
        var qdot = 0.0
        #expect(gk_qlaw_qdot_at(&p, x, gradient, longitude, &qdot) == Int32(GK_OK))
        return qdot
    }

    func randomShips(count: Int, seed: UInt64) throws -> (
        parameters: [QLawParameters], elements: [ModifiedEquinoctialElements]
    ) {
        var generator = SplitMix64(seed: seed)
        var parameters: [QLawParameters] = []
        var elements: [ModifiedEquinoctialElements] = []
        for index in 0..<count {
            var orbit = QLawFixture.randomOrbit(&generator)
            if index % 10 == 0 { orbit.eccentricity = 0 }
            if index % 10 == 1 { orbit.inclination = 0 }
            let accel = pow(10, -4 + 4 * generator.nextUnit())
            parameters.append(QLawFixture.parameters(QLawFixture.randomTarget(&generator), thrustAcceleration: accel))
            elements.append(try ModifiedEquinoctialElements(elements: orbit))
        }
        return (parameters, elements)
    }

    @Test(arguments: [64, 360])
    func batchedSamplesMatchDirectEvaluation(samples: Int) throws {
        let ships = try randomShips(count: 1_000, seed: UInt64(samples))
        let batch = try QLawEffectivityBatch(samples: samples)
        let failures = try batch.run(parameters: ships.parameters, elements: ships.elements, keepSamples: true)
        #expect(failures.isEmpty)
        var worst = 0.0
        for ship in 0..<1_000 {
            var lowest = Double.infinity
            var highest = -Double.infinity
            for j in 0..<samples {
                let longitude = 2 * Double.pi * Double(j) / Double(samples)
                let direct = try directQDot(ships.parameters[ship], ships.elements[ship], at: longitude)
                let batched = batch.sampledQDot[ship * samples + j]
                worst = max(worst, TestMath.relativeDifference(batched, direct))
                lowest = min(lowest, direct)
                highest = max(highest, direct)
            }
            #expect(TestMath.relativeDifference(batch.qDotMinimum[ship], lowest) < 1e-9)
            #expect(TestMath.relativeDifference(batch.qDotMaximum[ship], highest) < 1e-9)
        }
        #expect(worst < 1e-9, "largest relative difference \(worst)")
        print("batched vs direct Q-dot, 1,000 ships x \(samples) samples: largest relative difference \(worst)")
    }

    /// Without requested samples the range is the same, and a bad ship fails alone.
    @Test func batchRangeWithoutSamplesAndFailedShip() throws {
        var ships = try randomShips(count: 300, seed: 3)
        let batch = try QLawEffectivityBatch(samples: 64)
        _ = try batch.run(parameters: ships.parameters, elements: ships.elements, keepSamples: true)
        let minimum = batch.qDotMinimum
        let maximum = batch.qDotMaximum
        ships.elements[7].f = 1.5
        let failures = try batch.run(parameters: ships.parameters, elements: ships.elements)
        #expect(batch.sampledQDot.isEmpty)
        #expect(failures.map(\.index) == [7])
        #expect(failures.first?.error == .unboundOrbit(eccentricity: ships.elements[7].eccentricity))
        #expect(batch.qDotMinimum[7].isNaN)
        for ship in 0..<300 where ship != 7 {
            #expect(batch.qDotMinimum[ship] == minimum[ship])
            #expect(batch.qDotMaximum[ship] == maximum[ship])
        }
    }

    /// Splitting the ships into chunks, evaluated serially or on concurrent threads with one batch each, gives
    /// bit-identical values, so a caller may divide ships among threads freely.
    @Test func batchIndependentOfSplit() throws {
        let ships = try randomShips(count: 300, seed: 4)
        let whole = try QLawEffectivityBatch(samples: 64)
        _ = try whole.run(parameters: ships.parameters, elements: ships.elements, keepSamples: true)
        for chunk in [1, 7, 64] {
            let part = try QLawEffectivityBatch(samples: 64)
            for begin in stride(from: 0, to: 300, by: chunk) {
                let range = begin..<min(begin + chunk, 300)
                _ = try part.run(
                    parameters: Array(ships.parameters[range]), elements: Array(ships.elements[range]),
                    keepSamples: true)
                #expect(part.sampledQDot == Array(whole.sampledQDot[(range.lowerBound * 64)..<(range.upperBound * 64)]))
                #expect(part.qDotMinimum == Array(whole.qDotMinimum[range]))
            }
        }
        let halves = [0..<150, 150..<300]
        let results = ConcurrentResults(count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let batch = try? QLawEffectivityBatch(samples: 64)
            let range = halves[index]
            _ = try? batch?.run(
                parameters: Array(ships.parameters[range]), elements: Array(ships.elements[range]), keepSamples: true)
            results.store(batch?.sampledQDot ?? [], at: index)
        }
        #expect(results.values[0] + results.values[1] == whole.sampledQDot)
    }

    /// Outputs written by concurrent workers, one slot each.
    final class ConcurrentResults: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [[Double]]

        init(count: Int) { values = Array(repeating: [], count: count) }

        func store(_ value: [Double], at index: Int) {
            lock.lock()
            values[index] = value
            lock.unlock()
        }
    }

    /// Each sampled value recomputes the Gauss matrix at its own longitude: on the GTO, the samples at
    /// 0°, 90°, 180° and 270° (true anomaly equals true longitude here) equal direct evaluations there.
    @Test func gtoSamplesEqualDirectEvaluation() throws {
        let parameters = QLawFixture.parameters(QLawFixture.geo)
        let elements = try ModifiedEquinoctialElements(elements: QLawFixture.gto())
        for samples in [4, 360] {
            let batch = try QLawEffectivityBatch(samples: samples)
            _ = try batch.run(parameters: [parameters], elements: [elements], keepSamples: true)
            for j in 0..<samples {
                let direct = try directQDot(parameters, elements, at: 2 * .pi * Double(j) / Double(samples))
                #expect(TestMath.relativeDifference(batch.sampledQDot[j], direct) < 1e-12, "sample \(j) of \(samples)")
            }
        }
    }

    /// When the ship sits on a sample, its current Q-dot is that sample's value, in the direct and the
    /// batched paths alike.
    @Test func currentEffectivityAtSampleEqualsSample() throws {
        let parameters = QLawFixture.parameters(QLawFixture.geo)
        let batch = try QLawEffectivityBatch(samples: 4)
        for (j, nu) in [0.0, 0.5 * .pi, .pi, 1.5 * .pi].enumerated() {
            let elements = try ModifiedEquinoctialElements(elements: QLawFixture.gto(trueAnomaly: nu))
            _ = try batch.run(parameters: [parameters], elements: [elements], keepSamples: true)
            let direct = try QLaw.effectivity(parameters, elements: elements, samples: 4)
            #expect(TestMath.relativeDifference(direct.qDotCurrent, batch.sampledQDot[j]) < 1e-12)
            #expect(TestMath.relativeDifference(direct.qDotMinimum, batch.qDotMinimum[0]) < 1e-12)
            #expect(TestMath.relativeDifference(direct.qDotMaximum, batch.qDotMaximum[0]) < 1e-12)
        }
    }

    /// The named values follow their definitions: absolute = current / best, relative = (current − worst) /
    /// (best − worst), checked on hand-made numbers where the two differ.
    @Test func effectivityDefinitions() {
        let e = QLawEffectivity(qDotCurrent: -6, qDotMinimum: -10, qDotMaximum: -5)
        #expect(e.absolute == 0.6)
        #expect(e.relative == 0.2)
        #expect(e.allowsThrust(EffectivityCutoffs(absolute: 0.5)))
        #expect(!e.allowsThrust(EffectivityCutoffs(relative: 0.5)))
        let flat = QLawEffectivity(qDotCurrent: -5, qDotMinimum: -5, qDotMaximum: -5 * (1 - 1e-12))
        #expect(flat.relative == 1, "a constant Q-dot around the orbit makes every point the best")
        let atTarget = QLawEffectivity(qDotCurrent: 0, qDotMinimum: 0, qDotMaximum: 0)
        #expect(atTarget.absolute == 0)
        #expect(atTarget.relative == 0)
    }

    /// GTO to GEO: along the transfer orbit, (η_rel = 0.9, η_abs = 0) and (η_rel = 0, η_abs = 0.9) give
    /// different thrust arcs. Because the best Q-dot is negative everywhere, relative ≤ absolute, so the
    /// relative arc lies inside the absolute one and is shorter. Swapped values would reverse that.
    @Test func gtoCutoffsGiveDifferentCoastArcs() throws {
        let parameters = QLawFixture.parameters(QLawFixture.geo)
        let relativeOnly = EffectivityCutoffs(absolute: 0, relative: 0.9)
        let absoluteOnly = EffectivityCutoffs(absolute: 0.9, relative: 0)
        var relativeArc: [Int] = []
        var absoluteArc: [Int] = []
        for degree in 0..<360 {
            let elements = try ModifiedEquinoctialElements(
                elements: QLawFixture.gto(trueAnomaly: TestMath.radians(Double(degree))))
            let e = try QLaw.effectivity(parameters, elements: elements, samples: 360)
            #expect(TestMath.relativeDifference(e.absolute, e.qDotCurrent / e.qDotMinimum) < 1e-15)
            let relative = (e.qDotCurrent - e.qDotMaximum) / (e.qDotMinimum - e.qDotMaximum)
            #expect(TestMath.relativeDifference(e.relative, relative) < 1e-15)
            #expect(e.relative <= e.absolute + 1e-12)
            if e.allowsThrust(relativeOnly) { relativeArc.append(degree) }
            if e.allowsThrust(absoluteOnly) { absoluteArc.append(degree) }
        }
        #expect(relativeArc != absoluteArc)
        #expect(!relativeArc.isEmpty)
        #expect(relativeArc.count < absoluteArc.count)
        #expect(Set(relativeArc).isSubset(of: Set(absoluteArc)))
        print(
            "GTO thrust arcs (true anomaly, deg): relative 0.9 -> \(relativeArc.count) of 360, absolute 0.9 -> \(absoluteArc.count) of 360"
        )
    }
}

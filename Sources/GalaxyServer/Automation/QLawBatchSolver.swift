import CPhysicsKernels
import Dispatch

/// One ship's Q-law problem: parameters in kernel form and the state (m, m/s) relative to the central body.
struct QLawJob {
    var parameters: gk_qlaw_params
    var position: SIMD3<Double>
    var velocity: SIMD3<Double>
}

/// One ship's Q-law solution. `status` is the kernel's code, and the other fields are meaningful only for GK_OK.
struct QLawSolution {
    var status: Int32
    var steering: gk_qlaw_steering
    var effectivity: QLawEffectivity?
}

/// Steering and batched effectivity for every Q-law ship of a tick. Ships are split into chunks of a fixed
/// size, each evaluated with its own `QLawEffectivityBatch`, so the results do not depend on how many
/// threads run the chunks.
final class QLawBatchSolver {
    let chunkSize: Int
    let samples: Int
    private var batches: [QLawEffectivityBatch] = []

    init(samples: Int = 64, chunkSize: Int = 512) throws(QLawError) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.samples = samples
        self.chunkSize = chunkSize
        batches.append(try QLawEffectivityBatch(samples: samples))
    }

    /// Solves every job, on up to `workerCount` threads when there is more than one chunk.
    func solve(_ jobs: [QLawJob], workerCount: Int) -> [QLawSolution] {
        let chunks = (jobs.count + chunkSize - 1) / chunkSize
        guard chunks > 0 else { return [] }
        while batches.count < chunks {
            // `init` built a batch with this grid size, and the size is the only thing the initializer checks.
            batches.append(try! QLawEffectivityBatch(samples: samples))
        }
        var solutions = [QLawSolution](
            repeating: QLawSolution(status: Int32(GK_ERR_INVALID_ARGUMENT), steering: gk_qlaw_steering()),
            count: jobs.count)
        solutions.withUnsafeMutableBufferPointer { buffer in
            let output = SolutionBuffer(base: buffer.baseAddress!)
            let batches = BatchList(batches: self.batches)
            let size = chunkSize
            if chunks == 1 || workerCount <= 1 {
                for chunk in 0..<chunks {
                    QLawBatchSolver.solveChunk(chunk, size: size, jobs: jobs, batches: batches, output: output)
                }
            } else {
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    QLawBatchSolver.solveChunk(chunk, size: size, jobs: jobs, batches: batches, output: output)
                }
            }
        }
        return solutions
    }

    private static func solveChunk(
        _ chunk: Int, size: Int, jobs allJobs: [QLawJob], batches: BatchList, output buffer: SolutionBuffer
    ) {
        let begin = chunk * size
        let jobs = allJobs[begin..<min(allJobs.count, begin + size)]
        let batch = batches.batches[chunk]
        let output = buffer.base + begin
        let count = jobs.count
        var parameters = jobs.map(\.parameters)
        var positions = [Double](repeating: 0, count: 3 * count)
        var velocities = [Double](repeating: 0, count: 3 * count)
        for (offset, job) in jobs.enumerated() {
            for axis in 0..<3 {
                positions[3 * offset + axis] = job.position[axis]
                velocities[3 * offset + axis] = job.velocity[axis]
            }
        }
        var steering = [gk_qlaw_steering](repeating: gk_qlaw_steering(), count: count)
        var status = [Int32](repeating: 0, count: count)
        gk_qlaw_steer_batch(Int32(count), &parameters, positions, velocities, &steering, &status)

        let solved = (0..<count).filter { status[$0] == Int32(GK_OK) }
        let solvedParameters = solved.map { parameters[$0] }
        let solvedElements = solved.map { steering[$0].mee }
        let batchRan = (try? batch.run(solvedParameters, solvedElements, keepSamples: false)) != nil
        for offset in 0..<count {
            output[offset] = QLawSolution(status: status[offset], steering: steering[offset])
        }
        guard batchRan else { return }
        for (row, offset) in solved.enumerated() {
            let minimum = batch.qDotMinimum[row]
            let maximum = batch.qDotMaximum[row]
            guard minimum.isFinite, maximum.isFinite else { continue }
            output[offset].effectivity = QLawEffectivity(
                qDotCurrent: steering[offset].qdot, qDotMinimum: minimum, qDotMaximum: maximum)
        }
    }
}

/// Output rows shared across chunk threads; each chunk writes only its own disjoint range.
private struct SolutionBuffer: @unchecked Sendable {
    let base: UnsafeMutablePointer<QLawSolution>
}

/// Per-chunk batches shared across threads. Chunk `c` uses only `batches[c]`.
private struct BatchList: @unchecked Sendable {
    let batches: [QLawEffectivityBatch]
}

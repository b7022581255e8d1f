import Synchronization
import Testing
@testable import Inverse

/// Acceptance experiments of spec blind-calibration.md §7 (E1, E3, a smaller E4) through the
/// public experiment API. The full E4 (n = m = 1024) and the phase-transition map are wb-bench
/// modes (docs/benchmarks.md).
@Suite(.serialized) struct CalibrationAcceptanceTests {
    /// E1: n = m = 64, ρ = 0.5, 40 trials: success ≥ 95 % at p = 8, ≤ 10 % at p = 2.
    @Test func phaseTransitionEdge() throws {
        var c = CalibrationExperiments.PhaseTransitionConfiguration()
        c.axisValues = [64]
        c.snapshots = [2, 8]
        c.trials = 40
        let r = try CalibrationExperiments.phaseTransition(c)
        record("E1 success p=2", r.successRate[0][0])
        record("E1 success p=8", r.successRate[0][1])
        record("E1 median iterations p=8", r.medianIterations[0][1])
        record("E1 median iterations to 1e-6 p=8", r.medianIterationsToThreshold[0][1])
        record("E1 wall seconds", r.wallSeconds)
        #expect(r.successRate[0][1] >= 0.95)
        #expect(r.successRate[0][0] <= 0.10)
        #expect(r.skipped == [[false, false]])
        #expect(abs(r.oversampling[0][1] - 4) < 1e-12)
    }

    /// Results do not depend on the number of workers; underdetermined cells are skipped.
    @Test func experimentsAreIndependentOfThreadCount() throws {
        var c = CalibrationExperiments.PhaseTransitionConfiguration()
        c.axisValues = [16, 24]
        c.fixedDimension = 16
        c.snapshots = [1, 3, 6]
        c.trials = 4
        c.maxIterations = 400
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        ComputeThreads.set(1)
        let one = try CalibrationExperiments.phaseTransition(c)
        ComputeThreads.set(2)
        let calls = Counter()
        let two = try CalibrationExperiments.phaseTransition(c) { done, total in calls.bump(done, total) }
        #expect(one.successRate == two.successRate)
        #expect(one.cappedTrials == two.cappedTrials)
        #expect(one.medianIterations.flatMap { $0 }.map(\.bitPattern) == two.medianIterations.flatMap { $0 }.map(\.bitPattern))
        #expect(one.skipped[0][0] && one.skipped[1][0] && !one.skipped[0][1])   // p = 1: mp < n + m − 1
        #expect(calls.count == 2 * 2 * 4 && calls.lastTotal == 16)
    }

    /// E3: n = m = 64, p = 10, ρ = 0.5, 20 trials: median relative signal errors within a factor 2
    /// of 3.7e-2, 3.6e-3, 3.6e-4 at 20/40/60 dB; ratios 10 ± 3; gain errors of the same order.
    @Test func noiseDegradesLinearly() throws {
        let r = try CalibrationExperiments.noise(CalibrationExperiments.NoiseConfiguration())
        let expected = [3.7e-2, 3.6e-3, 3.6e-4]
        for (s, e) in expected.enumerated() {
            record("E3 median signal error \(r.configuration.snrs[s]) dB", r.medianSignalError[s])
            record("E3 median gain error \(r.configuration.snrs[s]) dB", r.medianGainError[s])
            let factor: Double = r.medianSignalError[s] / e
            #expect(factor >= 0.5 && factor <= 2)
            let gainToSignal: Double = r.medianGainError[s] / r.medianSignalError[s]
            #expect(gainToSignal >= 0.2 && gainToSignal <= 5)
        }
        for s in 0..<2 {
            let ratio = r.medianSignalError[s] / r.medianSignalError[s + 1]
            #expect(ratio >= 7 && ratio <= 13, "ratio \(ratio)")
        }
    }

    /// E4 control at n = m = 256, p = 4 (spec: 10/10, median ≈ 1700): random convolution by FFT.
    /// The full n = m = 1024 case is `wb-bench calibration --sensing convolution --n 1024 …`.
    @Test func fftConvolutionRecovers() throws {
        var c = CalibrationExperiments.PhaseTransitionConfiguration()
        c.sensing = "convolution"
        c.axisValues = [256]
        c.fixedDimension = 256
        c.snapshots = [4]
        c.trials = 10
        c.maxIterations = 20000
        let r = try CalibrationExperiments.phaseTransition(c)
        record("E4(256) successes/10", 10 * r.successRate[0][0])
        record("E4(256) median iterations", r.medianIterations[0][0])
        record("E4(256) median iterations to 1e-6", r.medianIterationsToThreshold[0][0])
        #expect(r.successRate[0][0] >= 0.9)
    }
}

/// Thread-safe progress recorder.
final class Counter: Sendable {
    private let state = Mutex<(count: Int, total: Int)>((0, 0))
    func bump(_ done: Int, _ total: Int) { state.withLock { $0.count += 1; $0.total = total } }
    var count: Int { state.withLock { $0.count } }
    var lastTotal: Int { state.withLock { $0.total } }
}

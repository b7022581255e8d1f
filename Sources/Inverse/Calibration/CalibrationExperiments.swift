import CBLAS
import Synchronization

/// The calibration experiments of the spec (§4b, §7): phase transition over (m or n, p) and the
/// noise sweep. Trials run in parallel on ``ComputeThreads/count`` workers (each trial is one
/// solver run on one worker; OpenBLAS is set to one thread meanwhile, so there is one level of
/// parallelism), and every trial's seed is `RandomSource.derivedSeed(seed, "<experiment> <cell> trial <t>")`,
/// so the numbers (not the timings) are the same for any thread count.
public enum CalibrationExperiments {
    /// One seeded trial's outcome.
    public struct TrialOutcome: Sendable, Equatable {
        /// Errors after the normalisation (``CalibrationErrors``).
        public var errors: CalibrationErrors
        /// Iterations until the stop.
        public var iterations: Int
        /// First iteration at which max(e_x, e_d) ≤ the success threshold (nil if never).
        public var iterationsToThreshold: Int?
        /// Whether the iteration cap stopped the run.
        public var reachedMaxIterations: Bool
        /// Solver wall time.
        public var seconds: Double
    }

    /// Simulates the spec §7 problem for `configuration` (its seed is the trial seed) and solves it
    /// with Algorithm 1 (exact line search, `tolerance` on the relative change, `maxIterations`),
    /// also recording when max(e_x, e_d) first fell to `threshold`.
    public static func trial(_ configuration: CalibrationSimulation.Configuration, tolerance: Double,
                             maxIterations: Int, threshold: Double) throws -> TrialOutcome {
        let problem = try CalibrationSimulation.simulate(configuration)
        var options = BlindCalibration<AnySensing>.Options()
        options.tolerance = tolerance
        options.maxIterations = maxIterations
        options.recordHistory = false
        let solver = try BlindCalibration(sensing: problem.makeOperator(matrix: configuration.matrix),
                                          measurements: problem.measurements, options: options)
        var first: Int?
        let clock = ContinuousClock()
        let t0 = clock.now
        let result = solver.run(inspect: { it, x, d in
            guard first == nil else { return }
            if let e = CalibrationErrors(signal: x, gains: d, trueSignal: problem.trueSignal, trueGains: problem.trueGains),
               e.maximum <= threshold { first = it }
        })
        let seconds = secondsBetween(t0, clock.now)
        guard let errors = CalibrationErrors(signal: result.signal, gains: result.gains,
                                             trueSignal: problem.trueSignal, trueGains: problem.trueGains) else {
            throw CalibrationInputError.invalidOption("true gains sum to zero: errors undefined")
        }
        return TrialOutcome(errors: errors, iterations: result.iterations, iterationsToThreshold: first,
                            reachedMaxIterations: result.reachedMaxIterations, seconds: seconds)
    }

    /// Runs `count` independent jobs on ``ComputeThreads/count`` workers (dynamic scheduling:
    /// each worker takes the next job index), OpenBLAS on one thread meanwhile. Results in job order.
    static func runParallel<T: Sendable>(count: Int, progress: (@Sendable (Int, Int) -> Void)?,
                                         _ job: @Sendable (Int) throws -> T) throws -> [T] {
        let workers = Swift.max(1, Swift.min(ComputeThreads.count, count))
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let results = Mutex<[T?]>([T?](repeating: nil, count: count))
        let failure = Mutex<(any Error)?>(nil)
        // workPerItem large: always dispatch the workers (each runs many solver iterations).
        ComputeThreads.withSerialBLAS {
            parallelFor(count: workers, workPerItem: 1 << 30) { range in
                for _ in range {
                    while true {
                        let j = next.add(1, ordering: .relaxed).oldValue
                        if j >= count || failure.withLock({ $0 != nil }) { break }
                        do {
                            let r = try job(j)
                            results.withLock { $0[j] = r }
                            let d = done.add(1, ordering: .relaxed).newValue
                            progress?(d, count)
                        } catch {
                            failure.withLock { $0 = error }
                            break
                        }
                    }
                }
            }
        }
        if let e = failure.withLock({ $0 }) { throw e }
        return results.withLock { $0.map { $0! } }
    }

    /// The median (mean of the two middle values for an even count); NaN for no values.
    public static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }

    /// Which dimension varies along the first axis of the phase-transition grid.
    public enum Axis: String, Sendable, CaseIterable {
        /// m varies; n = `fixedDimension`.
        case sensors
        /// n varies; m = `fixedDimension`.
        case unknowns
    }

    /// The phase-transition grid (spec §4b; issue 5: p ∈ 1…16, m ∈ {16, 32, 64, 128}, n = 64, 20 trials).
    public struct PhaseTransitionConfiguration: Sendable {
        public var axis: Axis = .sensors
        public var axisValues: [Int] = [16, 32, 64, 128]
        public var snapshots: [Int] = Array(1...16)
        /// n when `axis` is `.sensors`, m when it is `.unknowns`.
        public var fixedDimension: Int = 64
        /// Gain range ρ.
        public var range: Double = 0.5
        public var trials: Int = 20
        /// Success ⇔ max(e_x, e_d) ≤ threshold.
        public var threshold: Double = 1e-6
        /// "gaussian", "bernoulli" or "convolution".
        public var sensing: String = "gaussian"
        public var maxIterations: Int = 5000
        /// Relative-change tolerance of the stop.
        public var tolerance: Double = 1e-12
        public var seed: UInt64 = 1
        public init() {}
    }

    /// Rates and costs per grid cell, indexed [axisIndex][snapshotIndex].
    public struct PhaseTransitionResult: Sendable {
        public var configuration: PhaseTransitionConfiguration
        /// Fraction of successful trials (0 for skipped cells).
        public var successRate: [[Double]]
        /// Median stop iterations among successes (NaN when none).
        public var medianIterations: [[Double]]
        /// Median iterations to reach the threshold among successes (NaN when none).
        public var medianIterationsToThreshold: [[Double]]
        /// Trials stopped by the iteration cap.
        public var cappedTrials: [[Int]]
        /// Cells with mp < n + m − 1 (underdetermined: not run, rate 0).
        public var skipped: [[Bool]]
        /// Summed solver seconds per cell.
        public var seconds: [[Double]]
        /// mp/(n + m) per cell.
        public var oversampling: [[Double]]
        /// Wall time of the whole experiment.
        public var wallSeconds: Double
        /// Workers used.
        public var threads: Int

        /// For each axis value, the smallest mp/(n + m) from which on (in p) every cell has a
        /// success rate ≥ `rate` (nil when no such p in the grid).
        public func transition(rate: Double = 0.9) -> [Double?] {
            successRate.indices.map { a in
                var from: Int?
                for j in successRate[a].indices.reversed() {
                    if successRate[a][j] >= rate { from = j } else { break }
                }
                return from.map { oversampling[a][$0] }
            }
        }
    }

    /// Runs the grid; `progress(done, total)` is called (from worker threads) after each trial.
    public static func phaseTransition(_ c: PhaseTransitionConfiguration,
                                       progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> PhaseTransitionResult {
        guard !c.axisValues.isEmpty, !c.snapshots.isEmpty, c.trials > 0 else {
            throw CalibrationInputError.invalidOption("phase transition: need axis values, snapshot counts and trials > 0")
        }
        guard c.axisValues.allSatisfy({ $0 > 0 }), c.snapshots.allSatisfy({ $0 > 0 }), c.fixedDimension > 0 else {
            throw CalibrationInputError.invalidOption("phase transition: dimensions and snapshot counts must be positive")
        }
        guard c.range >= 0, c.range < 1 else { throw CalibrationInputError.invalidOption("gain range ρ must be in [0, 1), got \(c.range)") }
        guard c.threshold > 0, c.maxIterations > 0, c.tolerance >= 0 else {
            throw CalibrationInputError.invalidOption("threshold > 0, maxIterations > 0, tolerance ≥ 0 required")
        }
        guard ["gaussian", "bernoulli", "convolution"].contains(c.sensing) else {
            throw CalibrationInputError.invalidSensing("phase transition: sensing must be gaussian, bernoulli or convolution, got '\(c.sensing)'")
        }
        let dims: [(n: Int, m: Int)] = c.axisValues.map { c.axis == .sensors ? (c.fixedDimension, $0) : ($0, c.fixedDimension) }
        if c.sensing == "convolution", let bad = dims.first(where: { $0.m > $0.n }) {
            throw CalibrationInputError.invalidSensing("convolution sensing needs m ≤ n, got m = \(bad.m), n = \(bad.n)")
        }
        let A = dims.count, P = c.snapshots.count, T = c.trials
        var jobs: [(a: Int, j: Int, t: Int)] = []
        for a in 0..<A { for j in 0..<P where dims[a].m * c.snapshots[j] >= dims[a].n + dims[a].m - 1 {
            for t in 0..<T { jobs.append((a, j, t)) }
        } }
        let jobList = jobs
        let clock = ContinuousClock()
        let t0 = clock.now
        let outcomes = try runParallel(count: jobList.count, progress: progress) { k in
            let (a, j, t) = jobList[k]
            var s = CalibrationSimulation.Configuration(unknowns: dims[a].n, sensors: dims[a].m, snapshots: c.snapshots[j])
            s.gains = .random(range: c.range)
            s.sensing = c.sensing
            s.seed = RandomSource.derivedSeed(c.seed, "phase transition n \(dims[a].n) m \(dims[a].m) p \(c.snapshots[j]) trial \(t)")
            return try trial(s, tolerance: c.tolerance, maxIterations: c.maxIterations, threshold: c.threshold)
        }
        let wall = secondsBetween(t0, clock.now)
        var rate = [[Double]](repeating: [Double](repeating: 0, count: P), count: A)
        var medIt = [[Double]](repeating: [Double](repeating: .nan, count: P), count: A)
        var medTh = medIt, secs = rate
        var capped = [[Int]](repeating: [Int](repeating: 0, count: P), count: A)
        var skipped = [[Bool]](repeating: [Bool](repeating: true, count: P), count: A)
        var over = rate
        var groups: [Int: [TrialOutcome]] = [:]
        for (k, o) in outcomes.enumerated() { groups[jobList[k].a * P + jobList[k].j, default: []].append(o) }
        for a in 0..<A { for j in 0..<P {
            over[a][j] = Double(dims[a].m * c.snapshots[j]) / Double(dims[a].n + dims[a].m)
            guard let g = groups[a * P + j] else { continue }
            skipped[a][j] = false
            let ok = g.filter { $0.errors.maximum <= c.threshold }
            rate[a][j] = Double(ok.count) / Double(T)
            medIt[a][j] = median(ok.map { Double($0.iterations) })
            medTh[a][j] = median(ok.compactMap { $0.iterationsToThreshold.map(Double.init) })
            capped[a][j] = g.filter(\.reachedMaxIterations).count
            secs[a][j] = g.reduce(0) { $0 + $1.seconds }
        } }
        return PhaseTransitionResult(configuration: c, successRate: rate, medianIterations: medIt,
                                     medianIterationsToThreshold: medTh, cappedTrials: capped, skipped: skipped,
                                     seconds: secs, oversampling: over, wallSeconds: wall,
                                     threads: Swift.max(1, Swift.min(ComputeThreads.count, jobList.count)))
    }

    /// The noise sweep (spec §7 E3: n = m = 64, p = 10, ρ = 0.5, 20/40/60 dB, 20 trials, tol 1e-10).
    public struct NoiseConfiguration: Sendable {
        public var unknowns = 64
        public var sensors = 64
        public var snapshots = 10
        public var range = 0.5
        /// SNR levels in dB (``CalibrationSimulation/noiseSigma(clean:snr:)``).
        public var snrs: [Double] = [20, 40, 60]
        public var trials = 20
        public var tolerance = 1e-10
        public var maxIterations = 5000
        public var sensing = "gaussian"
        public var seed: UInt64 = 1
        public init() {}
    }

    /// Errors per SNR level, indexed [snrIndex] (and [snrIndex][trial]).
    public struct NoiseResult: Sendable {
        public var configuration: NoiseConfiguration
        public var medianSignalError: [Double]
        public var medianGainError: [Double]
        public var medianIterations: [Double]
        public var signalErrors: [[Double]]
        public var gainErrors: [[Double]]
        public var wallSeconds: Double
    }

    /// Runs the noise sweep.
    public static func noise(_ c: NoiseConfiguration,
                             progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> NoiseResult {
        guard !c.snrs.isEmpty, c.snrs.allSatisfy(\.isFinite), c.trials > 0 else {
            throw CalibrationInputError.invalidOption("noise experiment: need finite SNR levels and trials > 0")
        }
        let S = c.snrs.count, T = c.trials
        let clock = ContinuousClock()
        let t0 = clock.now
        let outcomes = try runParallel(count: S * T, progress: progress) { k in
            let (s, t) = (k / T, k % T)
            var sim = CalibrationSimulation.Configuration(unknowns: c.unknowns, sensors: c.sensors, snapshots: c.snapshots)
            sim.gains = .random(range: c.range)
            sim.sensing = c.sensing
            sim.snr = c.snrs[s]
            // The same problems (signal, gains, operator) at every SNR: only the noise level differs.
            sim.seed = RandomSource.derivedSeed(c.seed, "noise trial \(t)")
            return try trial(sim, tolerance: c.tolerance, maxIterations: c.maxIterations, threshold: 0)
        }
        let ex = (0..<S).map { s in (0..<T).map { outcomes[s * T + $0].errors.signal } }
        let ed = (0..<S).map { s in (0..<T).map { outcomes[s * T + $0].errors.gains } }
        let it = (0..<S).map { s in median((0..<T).map { Double(outcomes[s * T + $0].iterations) }) }
        return NoiseResult(configuration: c, medianSignalError: ex.map(median), medianGainError: ed.map(median),
                           medianIterations: it, signalErrors: ex, gainErrors: ed,
                           wallSeconds: secondsBetween(t0, clock.now))
    }
}

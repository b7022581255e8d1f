// wb-bench modes for blind gain calibration (issue 5; docs/benchmarks.md "Issue 5"):
//   calibration            success rate of T seeded trials at one (n, m, p) (parallel trials)
//   calibration-iteration  seconds per solver iteration (dense Gaussian, the NumPy peer's problem;
//                          --passes automatic (default), fused or separate)
//   calibration-phase      the phase-transition map (p × m grid at fixed n)
//   calibration-noise      the SNR sweep (spec §7 E3)
//   calibration-complex    complex gains (spec §7 E5) at --phase radians
// Each prints one JSON line.
import Imaging
import Inverse

func jsonArray(_ v: [Double]) -> String { "[" + v.map { $0.isNaN ? "null" : "\($0)" }.joined(separator: ",") + "]" }

func calibrationBench(_ mode: String) throws {
    let n = Int(argument("n", "64"))!, m = Int(argument("m", "64"))!, p = Int(argument("p", "8"))!
    let rho = Double(argument("rho", "0.5"))!
    let trials = Int(argument("trials", "40"))!
    let sensing = argument("sensing", "gaussian")
    let cap = Int(argument("max-iterations", "5000"))!
    let seed = UInt64(argument("seed", "1"))!
    let threads = ComputeThreads.count
    switch mode {
    case "calibration":
        if argument("spectrum", "gaussian") == "rademacher" {
            // FFT study: flat-spectrum filters (ConvolutionSensing spectrum .rademacher), serial trials.
            var successes = 0
            var its: [Double] = [], toThreshold: [Double] = []
            for t in 0..<trials {
                var c = CalibrationSimulation.Configuration(unknowns: n, sensors: m, snapshots: p)
                c.gains = .random(range: rho); c.seed = RandomSource.derivedSeed(seed, "rademacher trial \(t)")
                let base = try CalibrationSimulation.simulate(c)
                let a = ConvolutionSensing(snapshots: p, sensors: m, unknowns: n, seed: base.sensing.seed!, spectrum: .rademacher)
                var rng = RandomSource(seed: 1)
                let y = CalibrationSimulation.measurements(a, signal: base.trueSignal, gains: base.trueGains, rng: &rng)
                var o = BlindCalibration<ConvolutionSensing>.Options()
                o.tolerance = 1e-12; o.maxIterations = cap; o.recordHistory = false
                var first: Int?
                let r = try BlindCalibration(sensing: a, measurements: y, options: o).run(inspect: { it, x, d in
                    if first == nil, let e = CalibrationErrors(signal: x, gains: d, trueSignal: base.trueSignal, trueGains: base.trueGains),
                       e.maximum <= 1e-6 { first = it }
                })
                let e = CalibrationErrors(signal: r.signal, gains: r.gains, trueSignal: base.trueSignal, trueGains: base.trueGains)!
                if e.maximum <= 1e-6 { successes += 1; its.append(Double(r.iterations)); toThreshold.append(Double(first ?? -1)) }
            }
            print("{\"mode\":\"calibration\",\"sensing\":\"convolution-rademacher\",\"n\":\(n),\"m\":\(m),\"p\":\(p),\"trials\":\(trials),\"successes\":\(successes),\"median_iterations_successes\":\(CalibrationExperiments.median(its)),\"median_iterations_to_1e-6\":\(CalibrationExperiments.median(toThreshold))}")
            return
        }
        var c = CalibrationExperiments.PhaseTransitionConfiguration()
        c.axisValues = [m]; c.fixedDimension = n; c.snapshots = [p]; c.trials = trials
        c.range = rho; c.sensing = sensing; c.maxIterations = cap; c.seed = seed
        let r = try CalibrationExperiments.phaseTransition(c)
        print("{\"mode\":\"calibration\",\"sensing\":\"\(sensing)\",\"n\":\(n),\"m\":\(m),\"p\":\(p),\"rho\":\(rho),\"trials\":\(trials),\"successes\":\(Int((r.successRate[0][0] * Double(trials)).rounded())),\"median_iterations_successes\":\(r.medianIterations[0][0]),\"median_iterations_to_1e-6\":\(r.medianIterationsToThreshold[0][0]),\"max_iterations_reached\":\(r.cappedTrials[0][0]),\"threads\":\(r.threads),\"wall_seconds\":\(r.wallSeconds)}")
    case "calibration-iteration":
        // Seconds per iteration: (time of K iterations − time of 0 iterations)/K, median of --reps runs.
        let k = Int(argument("iterations", "50"))!
        let reps = Int(argument("reps", "5"))!
        // --passes fused | separate | automatic (default: fuse when A exceeds the L3 cache)
        let passes = argument("passes", "automatic")
        var c = CalibrationSimulation.Configuration(unknowns: n, sensors: m, snapshots: p)
        c.seed = seed
        let problem = try CalibrationSimulation.simulate(c)
        let a = DenseSensing(.gaussian, snapshots: p, sensors: m, unknowns: n, seed: problem.sensing.seed!)
        func solve(_ iterations: Int) throws -> Double {
            var o = BlindCalibration<DenseSensing>.Options()
            o.tolerance = 0; o.residualTolerance = 0; o.maxIterations = iterations; o.recordHistory = false
            o.passFusion = passes == "fused" ? .always : passes == "separate" ? .never : .automatic
            let s = try BlindCalibration(sensing: a, measurements: problem.measurements, options: o)
            let t = now()
            let r = s.run()
            let dt = now() - t
            precondition(r.iterations == iterations)
            return dt
        }
        _ = try solve(k)
        var per: [Double] = []
        for _ in 0..<reps { let t0 = try solve(0), tk = try solve(k); per.append((tk - t0) / Double(k)) }
        print("{\"mode\":\"calibration-iteration\",\"n\":\(n),\"m\":\(m),\"p\":\(p),\"threads\":\(threads),\"iterations\":\(k),\"passes\":\"\(passes)\",\"seconds_per_iteration\":\(CalibrationExperiments.median(per))}")
    case "calibration-phase":
        var c = CalibrationExperiments.PhaseTransitionConfiguration()
        c.fixedDimension = n; c.trials = Int(argument("trials", "20"))!; c.range = rho; c.sensing = sensing
        c.maxIterations = cap; c.seed = seed
        c.axisValues = argument("ms", "16,32,64,128").split(separator: ",").map { Int($0)! }
        c.snapshots = argument("ps", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16").split(separator: ",").map { Int($0)! }
        let r = try CalibrationExperiments.phaseTransition(c)
        let rates = "[" + r.successRate.map(jsonArray).joined(separator: ",") + "]"
        let its = "[" + r.medianIterations.map(jsonArray).joined(separator: ",") + "]"
        let transition = jsonArray(r.transition(rate: 0.9).map { $0 ?? .nan })
        print("{\"mode\":\"calibration-phase\",\"n\":\(n),\"ms\":\(c.axisValues),\"ps\":\(c.snapshots),\"trials\":\(c.trials),\"rho\":\(rho),\"success_rate\":\(rates),\"median_iterations\":\(its),\"transition_mp_over_n_plus_m_at_90\":\(transition),\"threads\":\(r.threads),\"wall_seconds\":\(r.wallSeconds)}")
    case "calibration-noise":
        var c = CalibrationExperiments.NoiseConfiguration()
        c.unknowns = n; c.sensors = m; c.snapshots = Int(argument("p", "10"))!; c.range = rho
        c.trials = Int(argument("trials", "20"))!; c.seed = seed; c.sensing = sensing
        c.snrs = argument("snrs", "20,40,60").split(separator: ",").map { Double($0)! }
        let r = try CalibrationExperiments.noise(c)
        print("{\"mode\":\"calibration-noise\",\"n\":\(n),\"m\":\(m),\"p\":\(c.snapshots),\"snrs\":\(jsonArray(c.snrs)),\"median_signal_error\":\(jsonArray(r.medianSignalError)),\"median_gain_error\":\(jsonArray(r.medianGainError)),\"median_iterations\":\(jsonArray(r.medianIterations)),\"wall_seconds\":\(r.wallSeconds)}")
    case "calibration-complex":
        let phase = Double(argument("phase", "1"))!, amplitude = Double(argument("amplitude", "0.3"))!
        let t0 = now()
        var successes = 0, capped = 0
        var its: [Double] = []
        for t in 0..<trials {
            let (a, y, x, d) = ComplexCalibrationSimulation.problem(unknowns: n, sensors: m, snapshots: p, amplitudeRange: amplitude,
                                                                    phaseRange: phase, seed: RandomSource.derivedSeed(seed, "complex trial \(t)"))
            var o = ComplexBlindCalibration.Options()
            o.tolerance = 1e-12; o.maxIterations = cap; o.recordHistory = false
            let r = try ComplexBlindCalibration(sensing: a, measurements: y, options: o).run()
            let e = ComplexCalibrationErrors(signal: r.signal, gains: r.gains, trueSignal: x, trueGains: d)!
            if e.maximum <= 1e-6 { successes += 1; its.append(Double(r.iterations)) }
            if r.reachedMaxIterations { capped += 1 }
        }
        print("{\"mode\":\"calibration-complex\",\"n\":\(n),\"m\":\(m),\"p\":\(p),\"amplitude\":\(amplitude),\"phase\":\(phase),\"trials\":\(trials),\"successes\":\(successes),\"median_iterations_successes\":\(CalibrationExperiments.median(its)),\"max_iterations_reached\":\(capped),\"seconds\":\(now() - t0)}")
    default:
        fatalError("wb-bench: unknown calibration mode \(mode)")
    }
}

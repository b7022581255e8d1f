// Acceptance experiments B and C of spec tv-foe-bilevel §7 (bilevel learning with MAID), one
// JSON line of results per mode plus human-readable progress lines on stderr.
import Imaging
import Inverse
#if canImport(Glibc)
import Glibc
#endif

func bilevelLog(_ s: String) { let line = s + "\n"; _ = line.withCString { write(2, $0, strlen($0)) } }

/// `count` seeded size×size crops of the training images (one per image, cycling), values in
/// [0, 1], with Gaussian noise σ.
func bilevelCrops(count: Int, size: Int, sigma: Double, seed: UInt64) throws -> (clean: [Grid], noisy: [Grid]) {
    let dir = argument("images", "/work/shared/data/images/train")
    let names = ["camera.png", "kodim23.png", "coffee.png", "ascent.png", "brick.png", "rocket.png", "retina.png", "grass.png"]
    var rng = RandomSource(seed: seed)
    var clean: [Grid] = [], noisy: [Grid] = []
    for i in 0..<count {
        let image = try PNG.read(dir + "/" + names[i % names.count])
        let h = image.shape[0], w = image.shape[1]
        let r0 = Int(rng.uniform() * Double(h - size)), c0 = Int(rng.uniform() * Double(w - size))
        var crop = Grid.image(height: size, width: size)
        for r in 0..<size { for c in 0..<size { crop[r, c] = image[r0 + r, c0 + c] } }
        var noise = RandomSource(seed: RandomSource.derivedSeed(seed, "noise \(i)"))
        var y = crop
        y.axpy(sigma, noise.gaussianGrid(crop.shape))
        clean.append(crop); noisy.append(y)
    }
    return (clean, noisy)
}

/// Processor time of this process (user + system), in seconds.
func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
}

func json(_ pairs: [(String, Any)]) -> String {
    "{" + pairs.map { k, v in
        if let s = v as? String { return "\"\(k)\":\"\(s)\"" }
        if let d = v as? Double { return "\"\(k)\":\(d.isFinite ? "\(d)" : "null")" }
        if let a = v as? [Double] { return "\"\(k)\":[\(a.map { "\($0)" }.joined(separator: ","))]" }
        return "\"\(k)\":\(v)"
    }.joined(separator: ",") + "}"
}

/// Runs L-BFGS on the tight-accuracy loss from θ0 until ‖∇f‖ ≤ tol or `maxIterations`.
func bilevelLBFGS<M: BilevelModel>(_ problem: BilevelProblem<M>, from theta0: [Double], epsilon: Double, delta: Double,
                                   tolerance: Double, maxIterations: Int, label: String) -> (theta: [Double], loss: Double, functional: BilevelLossFunctional<M>) {
    let f = BilevelLossFunctional(problem: problem, epsilon: epsilon, delta: delta)
    var solver = LBFGS(objective: f, initialGuess: Grid(shape: Shape(theta0.count), storage: theta0))
    let report = solver.run(maxIterations: maxIterations, tolerance: tolerance) { s in
        if s.iteration % 10 == 0 { bilevelLog("\(label) L-BFGS \(s.iteration): f \(s.objective ?? .nan) ‖∇f‖ \(s.residual ?? .nan)") }
    }
    bilevelLog("\(label) L-BFGS: \(report.stopReason) after \(report.final.iteration) iterations, f \(report.final.objective ?? .nan), ‖∇f‖ \(report.final.residual ?? .nan)")
    let theta = problem.model.clip(solver.iterate.storage)
    return (theta, f.value(Grid(shape: Shape(theta.count), storage: theta)), f)
}

/// The reference's own parametrisation of the bounded TV model, independent of MAID's projection:
/// θ' = [log λ, log(ν − ν_min)] (unconstrained up to the clip at [−12, 6]), so that the plain
/// L-BFGS of the reference sees no bound; θ = [log λ, log ν] of ``TVBilevelModel`` via ``theta(_:)``.
struct ShiftedSmoothingTVModel: BilevelModel {
    let base: TVBilevelModel
    var parameterCount: Int { 2 }
    var lowerBounds: [Double] { [-12, -12] }
    var upperBounds: [Double] { [6, 6] }
    func theta(_ shifted: [Double]) -> [Double] { [shifted[0], log(base.minimumSmoothing + exp(shifted[1]))] }
    func shifted(_ theta: [Double]) -> [Double] { [theta[0], log(max(exp(theta[1]) - base.minimumSmoothing, exp(-12)))] }
    func regularizer(theta: [Double], height: Int, width: Int) -> SmoothedTV {
        base.regularizer(theta: self.theta(theta), height: height, width: width)
    }
    /// (λ ∂_λ, (ν − ν_min) ∂_ν) = (λ ∂_λ, ((ν − ν_min)/ν) · ν ∂_ν).
    func mixedDerivative(_ r: SmoothedTV, theta: [Double], at x: Grid, direction w: Grid) -> [Double] {
        let d = base.mixedDerivative(r, theta: self.theta(theta), at: x, direction: w)
        return [d[0], d[1] * (r.smoothing - base.minimumSmoothing) / r.smoothing]
    }
    func lipschitzConstant(_ r: SmoothedTV) -> Double { base.lipschitzConstant(r) }
}

/// Best TV (λ, ν ≥ ν_min) on a training set: 25×15 grid + tight L-BFGS (in the shifted
/// parametrisation log(ν − ν_min), see ``ShiftedSmoothingTVModel``). Returns θ = [log λ, log ν]
/// of `problem.model`, the loss and the PSNR.
func bilevelTVReference(_ problem: BilevelProblem<TVBilevelModel>) throws -> (theta: [Double], loss: Double, psnr: Double) {
    let model = problem.model
    let shiftedModel = ShiftedSmoothingTVModel(base: model)
    let shiftedProblem = try BilevelProblem(model: shiftedModel, clean: problem.clean, noisy: problem.noisy)
    let grid = BilevelLossFunctional(problem: problem, epsilon: 1e-6, delta: 1e-8)
    var best = (theta: [0.0, 0.0], loss: Double.infinity)
    for i in 0..<25 {
        for j in 0..<15 {
            let lambda = exp(log(0.005) + (log(0.5) - log(0.005)) * Double(i) / 24)
            let nu = model.minimumSmoothing + exp(log(1e-3) + (log(0.5) - log(1e-3)) * Double(j) / 14)
            let theta = try model.initialTheta(weight: lambda, smoothing: nu)
            let v = grid.value(Grid(shape: Shape(2), storage: theta))
            if v < best.loss { best = (theta, v) }
        }
    }
    bilevelLog("TV grid best: λ \(model.parameters(best.theta).weight) ν \(model.parameters(best.theta).smoothing) f \(best.loss)")
    let r = bilevelLBFGS(shiftedProblem, from: shiftedModel.shifted(best.theta), epsilon: 1e-9, delta: 1e-11,
                         tolerance: Double(argument("reference-tolerance", "1e-6"))!,
                         maxIterations: Int(argument("reference-iterations", "40"))!, label: "TV reference")
    let theta = shiftedModel.theta(r.theta)
    bilevelLog("TV reference: λ \(model.parameters(theta).weight) ν \(model.parameters(theta).smoothing) f \(r.loss)")
    let psnr = problem.meanPSNR(try r.functional.evaluator.evaluate(theta: r.theta, epsilon: 1e-9).reconstructions)
    return (theta, r.loss, psnr)
}

/// MAID options from the command line shared by bilevel-b and bilevel-c: --direction, --memory.
func bilevelDirectionOptions(_ options: inout MAIDOptions) {
    let name = argument("direction", "lbfgs")
    guard let direction = MAIDDirection(rawValue: name) else {
        bilevelLog("error: --direction \(name): expected gradient or lbfgs"); exit(2)
    }
    options.direction = direction
    options.memory = Int(argument("memory", "10"))!
}

func runBilevelBench(_ mode: String) throws {
    let sigma = Double(argument("sigma", "0.1"))!
    let seed = UInt64(argument("seed", "0"))!
    let size = Int(argument("size", "64"))!
    let count = Int(argument("count", "4"))!
    let data = try bilevelCrops(count: count, size: size, sigma: sigma, seed: seed)
    switch mode {
    case "bilevel-b":
        let nuMin = Double(argument("nu-min", "0.01"))!
        let model = try TVBilevelModel(minimumSmoothing: nuMin)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        let t0 = now()
        let ref = try bilevelTVReference(problem)
        let refSeconds = now() - t0
        var options = MAIDOptions()
        options.maxOuterIterations = Int(argument("outer", "200"))!
        options.gradientTolerance = Double(argument("tolerance", "1e-4"))!
        bilevelDirectionOptions(&options)
        let result = try MAID.run(problem: problem, initialTheta: try model.initialTheta(weight: 0.01, smoothing: 0.05),
                                  options: options) { e in
            if e.iteration % 10 == 0 { bilevelLog("MAID \(e.iteration): f \(e.loss) [\(e.lossLower), \(e.lossUpper)] ε \(e.epsilon) ‖z‖ \(e.hypergradientNorm) ω \(e.errorBound)") }
        }
        let check = BilevelLossFunctional(problem: problem, epsilon: 1e-9, delta: 1e-11)
        let f = check.value(Grid(shape: Shape(2), storage: result.theta))
        let psnr = problem.meanPSNR(check.evaluator.reconstructions)
        let (lambda, nu) = model.parameters(result.theta), (lambdaRef, nuRef) = model.parameters(ref.theta)
        print(json([("mode", mode), ("images", Double(count)), ("size", Double(size)), ("sigma", sigma), ("nu_min", nuMin),
                    ("direction", options.direction.rawValue), ("memory", Double(options.memory)),
                    ("lambda_ref", lambdaRef), ("nu_ref", nuRef), ("f_ref", ref.loss), ("psnr_ref", ref.psnr),
                    ("reference_seconds", refSeconds),
                    ("lambda_maid", lambda), ("nu_maid", nu), ("f_maid", f), ("psnr_maid", psnr),
                    ("log_lambda_error", log(lambda / lambdaRef)), ("log_nu_error", log(nu / nuRef)),
                    ("f_relative_error", f / ref.loss - 1), ("psnr_difference", psnr - ref.psnr),
                    ("outer_iterations", Double(result.history.count)), ("stop", result.stopReason.description),
                    ("lower_level_iterations", Double(result.lowerLevelIterations)),
                    ("lower_level_iterations_stacked", Double(result.stackedLowerLevelIterations)),
                    ("cg_iterations", Double(result.cgIterations)), ("seconds", result.seconds)]))
    case "bilevel-c":
        let k = Int(argument("filters", "8")), s = Int(argument("filter-size", "5"))
        let boundary = ConvolutionBoundary(rawValue: argument("boundary", "reflect"))!
        let model = try FoEBilevelModel(filterCount: k!, filterSize: s!, boundary: boundary, minimumSmoothing: 0)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        let w0 = Double(argument("weight", "0.05"))!, nu0 = Double(argument("smoothing", "0.05"))!
        let theta0 = try model.initialTheta(filters: FieldOfExperts.dctFilters(size: s!, count: k!),
                                            weights: Array(repeating: w0, count: k!), smoothings: Array(repeating: nu0, count: k!))
        // cpu: processor seconds since the start of the run at the end of each history entry.
        func report(_ label: String, _ r: BilevelResult, cpu: [Double], fRef: Double?) -> [(String, Any)] {
            let check = BilevelLossFunctional(problem: problem, epsilon: 1e-7, delta: 1e-9)
            let f = check.value(Grid(shape: Shape(r.theta.count), storage: r.theta))
            let psnr = problem.meanPSNR(check.evaluator.reconstructions)
            var out: [(String, Any)] = [("\(label)_f", f), ("\(label)_psnr", psnr), ("\(label)_seconds", r.seconds),
                                        ("\(label)_outer", Double(r.history.count)), ("\(label)_stop", r.stopReason.description),
                                        ("\(label)_lower_level", Double(r.lowerLevelIterations)), ("\(label)_cg", Double(r.cgIterations))]
            if let fRef {
                // First iterate whose loss (g at x̃) and whose certified upper bound are within 1 % of f_ref.
                // (The entry of iteration k holds the state at θ_k and the work up to the end of
                // iteration k; the work at which θ_k was reached is the previous entry's.)
                func first(_ test: (BilevelHistoryEntry) -> Bool) -> Int? { r.history.firstIndex(where: test) }
                func work(_ i: Int?) -> Double {
                    guard let i else { return .nan }
                    return i == 0 ? 0 : Double(r.history[i - 1].lowerLevelIterations + r.history[i - 1].cgIterations)
                }
                func at(_ i: Int?, _ v: [Double]) -> Double { guard let i else { return .nan }; return i == 0 ? 0 : v[i - 1] }
                let byLoss = first { $0.loss <= 1.01 * fRef }, byUpper = first { $0.lossUpper <= 1.01 * fRef }
                out.append(("\(label)_work_to_1pct", work(byLoss)))
                out.append(("\(label)_work_to_1pct_certified", work(byUpper)))
                out.append(("\(label)_outer_to_1pct", byLoss.map(Double.init) ?? .nan))
                out.append(("\(label)_seconds_to_1pct", at(byLoss, r.history.map(\.seconds))))
                out.append(("\(label)_cpu_seconds_to_1pct", at(byLoss, cpu)))
            }
            return out
        }
        var fields: [(String, Any)] = [("mode", mode), ("images", Double(count)), ("size", Double(size)), ("sigma", sigma),
                                       ("filters", Double(k!)), ("filter_size", Double(s!)), ("boundary", boundary.rawValue)]
        var fRef: Double? = nil
        // The L-BFGS reference (ε = 1e-7, δ = 1e-9, ‖∇f‖ ≤ 1e-6 or the iteration cap) is slow: its
        // results are cached in --reference-cache under a key of every setting that defines it.
        // --reference 1: use the cache when its key matches, else run and write it; force: always
        // run; 0: no reference.
        let referenceIterations = Int(argument("reference-iterations", "400"))!
        let cacheKey = "bilevel-c images=\(count) size=\(size) sigma=\(sigma) seed=\(seed) filters=\(k!) filter-size=\(s!) boundary=\(boundary.rawValue) weight=\(w0) smoothing=\(nu0) reference-iterations=\(referenceIterations) epsilon=1e-7 delta=1e-9 tolerance=1e-6"
        let cachePath = argument("reference-cache", ".build/bilevel-c-reference.txt")
        let referenceMode = argument("reference", "1")
        if referenceMode == "1", let cached = bilevelReadCache(cachePath), cached["key"] == cacheKey,
           let f = cached["f_ref"].flatMap(Double.init), let p = cached["psnr_ref"].flatMap(Double.init) {
            bilevelLog("FoE reference from the cache \(cachePath): f \(f), PSNR \(p) (\(cached["note"] ?? ""))")
            fRef = f
            fields += [("f_ref", f), ("psnr_ref", p), ("reference_cached", "\(cachePath)"),
                       ("reference_seconds", cached["reference_seconds"].flatMap(Double.init) ?? .nan)]
        } else if referenceMode == "1" || referenceMode == "force" {
            let t0 = now()
            let ref = bilevelLBFGS(problem, from: theta0, epsilon: 1e-7, delta: 1e-9, tolerance: 1e-6,
                                   maxIterations: referenceIterations, label: "FoE reference")
            fRef = ref.loss
            let psnrRef = problem.meanPSNR(ref.functional.evaluator.reconstructions)
            let seconds = now() - t0
            fields += [("f_ref", ref.loss), ("psnr_ref", psnrRef), ("reference_seconds", seconds),
                       ("reference_lower_level", Double(ref.functional.evaluator.lowerLevelIterations)),
                       ("reference_cg", Double(ref.functional.evaluator.cgIterations))]
            bilevelWriteCache(cachePath, [("key", cacheKey), ("f_ref", "\(ref.loss)"), ("psnr_ref", "\(psnrRef)"),
                                          ("reference_seconds", "\(seconds)"), ("note", "computed by wb-bench bilevel-c"),
                                          ("theta", ref.theta.map { "\($0)" }.joined(separator: " "))])
        }
        if let v = Double(argument("f-ref", "")) { fRef = v; fields.append(("f_ref", v)) }
        var options = MAIDOptions()
        bilevelDirectionOptions(&options)
        fields += [("direction", options.direction.rawValue), ("memory", Double(options.memory))]
        options.initialStep = Double(argument("step", "0.01"))!
        fields.append(("initial_step", options.initialStep))
        options.maxOuterIterations = Int(argument("outer", "300"))!
        options.gradientTolerance = Double(argument("tolerance", "1e-5"))!
        options.maxSeconds = Double(argument("max-seconds", "55"))!
        options.maxLowerLevelIterations = Int(argument("max-lower-level", "1000000000"))!
        options.tightenWhenDecreaseMasked = argument("tighten-masked", "1") == "1"
        fields.append(("tighten_masked", options.tightenWhenDecreaseMasked ? 1 : 0))
        let cpu0 = cpuSeconds()
        var maidCPU: [Double] = []
        var maidOptions = options
        if argument("maid", "1") == "0" { maidOptions.maxOuterIterations = 1 }   // baseline only
        let maid = try MAID.run(problem: problem, initialTheta: theta0, options: maidOptions) { e in
            maidCPU.append(cpuSeconds() - cpu0)
            if e.iteration % 10 == 0 { bilevelLog("MAID \(e.iteration): f \(e.loss) [\(e.lossLower), \(e.lossUpper)] ε \(e.epsilon) ‖z‖ \(e.hypergradientNorm) ω \(e.errorBound) it \(e.lowerLevelIterations)+\(e.cgIterations) \(e.seconds) s") }
        }
        fields.append(("maid_cpu_seconds", cpuSeconds() - cpu0))
        let historyPath = argument("history", "")
        // --history FILE: one line per outer iteration of MAID (FILE) and of the baseline
        // (FILE.fixed): iteration, loss, upper, lower, cumulative FISTA, CG, seconds, CPU seconds.
        func writeHistory(_ path: String, _ r: BilevelResult, _ cpu: [Double]) {
            guard !path.isEmpty else { return }
            bilevelWriteCache(path, r.history.enumerated().map { i, e in
                ("\(e.iteration)", "\(e.loss) \(e.lossUpper) \(e.lossLower) \(e.lowerLevelIterations) \(e.cgIterations) \(e.seconds) \(cpu[i]) \(e.epsilon) \(e.accepted ? 1 : 0) \(e.quasiNewton ? 1 : 0)")
            })
        }
        writeHistory(historyPath, maid, maidCPU)
        fields += report("maid", maid, cpu: maidCPU, fRef: fRef)
        if let fRef { fields.append(("maid_f_ratio", (fields.first { $0.0 == "maid_f" }!.1 as! Double) / fRef)) }
        if let p = fields.first(where: { $0.0 == "psnr_ref" })?.1 as? Double {
            fields.append(("maid_psnr_minus_ref", (fields.first { $0.0 == "maid_psnr" }!.1 as! Double) - p))
        }
        fields.append(("maid_masked_failures", Double(maid.history.filter(\.decreaseMasked).count)))
        fields += [("maid_quasi_newton_steps", Double(maid.history.filter { $0.accepted && $0.quasiNewton }.count)),
                   ("maid_accepted_steps", Double(maid.history.filter(\.accepted).count))]
        if argument("baseline", "1") == "1" {
            var fixed = options
            fixed.schedule = .fixed
            fixed.initialAccuracy = 1e-5
            fixed.initialCGTolerance = 1e-5
            fixed.minimumAccuracy = 1e-5
            fixed.maxSeconds = Double(argument("baseline-seconds", "120"))!
            var baseCPU: [Double] = []
            let cpuBase = cpuSeconds()
            let base = try MAID.run(problem: problem, initialTheta: theta0, options: fixed) { e in
                baseCPU.append(cpuSeconds() - cpuBase)
                if e.iteration % 10 == 0 { bilevelLog("fixed \(e.iteration): f \(e.loss) it \(e.lowerLevelIterations)+\(e.cgIterations) \(e.seconds) s") }
            }
            fields.append(("fixed_cpu_seconds", cpuSeconds() - cpuBase))
            writeHistory(historyPath.isEmpty ? "" : historyPath + ".fixed", base, baseCPU)
            fields += report("fixed", base, cpu: baseCPU, fRef: fRef)
        }
        if argument("tv", "1") == "1" {
            let tvModel = try TVBilevelModel(minimumSmoothing: Double(argument("nu-min", "0.01"))!)
            let tv = try bilevelTVReference(try BilevelProblem(model: tvModel, clean: data.clean, noisy: data.noisy))
            fields += [("tv_psnr", tv.psnr), ("tv_f", tv.loss),
                       ("foe_psnr_margin_over_tv", (fields.first { $0.0 == "maid_psnr" }!.1 as! Double) - tv.psnr)]
        }
        print(json(fields))
    default:
        bilevelLog("bilevel modes: bilevel-b, bilevel-c")
    }
}

/// `name=value` lines of a reference cache file (nil when it cannot be read).
func bilevelReadCache(_ path: String) -> [String: String]? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var out: [String: String] = [:]
    var buffer = [CChar](repeating: 0, count: 1 << 16)
    while fgets(&buffer, Int32(buffer.count), f) != nil {
        var line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if line.hasSuffix("\n") { line.removeLast() }
        guard let eq = line.firstIndex(of: "=") else { continue }
        out[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return out
}

/// Writes `name=value` lines (the reference cache); a failure is reported and otherwise ignored.
func bilevelWriteCache(_ path: String, _ items: [(String, String)]) {
    guard let f = fopen(path, "w") else { bilevelLog("warning: cannot write the reference cache \(path)"); return }
    for (k, v) in items { fputs("\(k)=\(v)\n", f) }
    fclose(f)
}

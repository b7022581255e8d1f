// wb-bench foe-kernels: the field-of-experts lower level of bilevel learning, kernel by kernel.
//
//   wb-bench foe-kernels [--setting c|real|both] [--boundary reflect|periodic|both] [--reps R] [--threads T]
//
// For the spec's acceptance C setting (4 images 64×64, 8 filters 5×5) and the real-image
// setting (16 images 96×96, 24 filters 7×7), times per image (processor time of the one thread,
// so that other processes on the cores disturb it little; best of R runs of a loop of ≳ 20 ms): one regulariser value+gradient, one Hessian-vector product,
// one mixed-derivative application, one FISTA iteration of ½‖x − y‖² + R (gradient + vector
// updates), one CG iteration on I + ∇²R(x), and the FISTA Lipschitz constant (once per θ);
// then all images at once as the bilevel evaluator runs them (images in parallel on --threads;
// wall clock). The Lipschitz constant is timed for a new θ, cold (new model) and warm.
// Effective GFLOP/s use the direct-convolution count (2 flops per tap per pixel per convolution).
// One JSON line per (setting, boundary).
import Imaging
import Inverse
#if canImport(Glibc)
import Glibc
#endif

/// Processor time of the calling thread, in seconds (robust to other processes sharing the cores).
func threadSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Best over `reps` runs of the mean seconds per call of `body`, with the repeat count chosen so
/// that one run takes about 20 ms (after one warm-up call). `clock` is `threadSeconds` for
/// single-threaded kernels (processor time of this thread) or `now` (wall clock).
func perCall(reps: Int, clock: () -> Double = threadSeconds, _ body: () -> Void) -> Double {
    body()
    let t0 = clock(); body()
    let one = max(clock() - t0, 1e-7)
    let n = max(1, Int(0.02 / one))
    var best = Double.infinity
    for _ in 0..<reps {
        let t = clock()
        for _ in 0..<n { body() }
        best = min(best, (clock() - t) / Double(n))
    }
    return best
}

func runFoEKernelBench(reps: Int, threads: Int) throws {
    let settingArg = argument("setting", "both"), boundaryArg = argument("boundary", "both")
    let settings: [(name: String, images: Int, size: Int, filters: Int, filterSize: Int)] =
        [("c", 4, 64, 8, 5), ("real", 16, 96, 24, 7)].filter { settingArg == "both" || settingArg == $0.0 }
    let boundaries = ConvolutionBoundary.allCases.filter { boundaryArg == "both" || boundaryArg == $0.rawValue }
    guard !settings.isEmpty, !boundaries.isEmpty else {
        bilevelLog("foe-kernels: --setting c|real|both, --boundary reflect|periodic|both"); exit(2)
    }
    for setting in settings {
        let data = try bilevelCrops(count: setting.images, size: setting.size, sigma: 0.1, seed: 0)
        for boundary in boundaries {
            let k = setting.filters, s = setting.filterSize, n = setting.size
            let model = try FoEBilevelModel(filterCount: k, filterSize: s, boundary: boundary)
            // A state like one met during learning: DCT filters, moderate weights, and x a partly
            // denoised image (the noisy crop, smoothed a little by a few gradient steps).
            let theta = try model.initialTheta(filters: FieldOfExperts.dctFilters(size: s, count: k),
                                               weights: Array(repeating: 0.05, count: k),
                                               smoothings: Array(repeating: 0.05, count: k))
            let r = model.regularizer(theta: theta, height: n, width: n)
            let y = data.noisy[0]
            let h = DenoisingObjective(noisy: y, regularizer: r)
            let lipschitz = 1 + model.lipschitzConstant(r)
            var x = y, g = Grid(shape: y.shape), w = h.makeWorkspace()
            for _ in 0..<5 { _ = h.valueAndGradient(x, gradient: &g, workspace: &w); x.axpy(-1 / lipschitz, g) }
            var rng = RandomSource(seed: 7)
            let v = rng.gaussianGrid(y.shape)
            var out = Grid(shape: y.shape)

            let pixels = Double(n * n), taps = Double(s * s), kk = Double(k)
            let convFlops = 2 * taps * pixels * kk            // one convolution per filter
            let tGradient = perCall(reps: reps) { _ = r.valueAndGradient(x, gradient: &g, workspace: &w); blackHole(g) }
            let tHVP = perCall(reps: reps) { r.hessianVectorProduct(x, direction: v, into: &out); blackHole(out) }
            let tMixed = perCall(reps: reps) { blackHole(model.mixedDerivative(r, theta: theta, at: x, direction: v)) }
            // One FISTA iteration exactly as the lower-level solver does it (gradient at y_k, norm,
            // gradient step, extrapolation).
            var fy = x, fx = x, fprev = x
            let beta = 0.5
            let tFISTA = perCall(reps: reps) {
                _ = h.valueAndGradient(fy, gradient: &g, workspace: &w)
                blackHole(g.norm)
                swap(&fx, &fprev)
                fx.assign(fy); fx.axpy(-1 / lipschitz, g)
                fy.assign(fx); fy.scale(by: 1 + beta); fy.axpy(-beta, fprev)
            }
            // One CG iteration on I + ∇²R(x) (the operator the hypergradient solves with).
            // (10 steps from a zero start per call, so that CG never runs into its breakdown test).
            let tCG = perCall(reps: reps) {
                var cg = ConjugateGradient(operator: h.hessian(at: x), rightHandSide: v, absoluteTolerance: 0, relativeTolerance: 0)
                for _ in 0..<10 { cg.step() }
                blackHole(cg.residualNorm)
            } / 10
            // The Lipschitz constant of a new θ: cold (a new model, no cached value or warm start)
            // and warm (the same model, a slightly different θ each call).
            let tLipschitz = perCall(reps: reps) {
                blackHole(try! FoEBilevelModel(filterCount: k, filterSize: s, boundary: boundary).lipschitzConstant(r))
            }
            var bump = 0.0
            let tLipschitzWarm = perCall(reps: reps) {
                bump += 1e-4
                blackHole(model.lipschitzConstant(r.with(weights: r.weights.map { $0 * (1 + bump) })))
            }

            // All images of the setting at once, images in parallel as BilevelEvaluator runs them:
            // one FISTA gradient per image and one HVP per image.
            let regs = data.noisy.map { _ in model.regularizer(theta: theta, height: n, width: n) }
            let states = data.noisy
            let work = n * n * 1000
            final class Box: @unchecked Sendable { var g: [Grid]; var w: [Grid]; init(_ g: [Grid], _ w: [Grid]) { self.g = g; self.w = w } }
            let box = Box(states.map { Grid(shape: $0.shape) }, regs.map { $0.makeWorkspace() })
            let tAllGradients = perCall(reps: reps, clock: now) {
                parallelFor(count: states.count, workPerItem: work) { range in
                    for i in range { _ = regs[i].valueAndGradient(states[i], gradient: &box.g[i], workspace: &box.w[i]) }
                }
            }
            let tAllHVP = perCall(reps: reps, clock: now) {
                parallelFor(count: states.count, workPerItem: work) { range in
                    for i in range { regs[i].hessianVectorProduct(states[i], direction: v, into: &box.g[i]) }
                }
            }
            func ms(_ t: Double) -> Double { (t * 1e5).rounded() / 100 }
            func gflops(_ f: Double, _ t: Double) -> Double { (f / t / 1e7).rounded() / 100 }
            bilevelLog("foe-kernels \(setting.name) \(boundary.rawValue): \(setting.images) × \(n)² images, \(k) filters \(s)×\(s); per image: "
                       + "gradient \(ms(tGradient)) ms, HVP \(ms(tHVP)) ms, mixed \(ms(tMixed)) ms, FISTA it \(ms(tFISTA)) ms, "
                       + "CG it \(ms(tCG)) ms, Lipschitz cold \(ms(tLipschitz)) ms, warm \(ms(tLipschitzWarm)) ms; all images (\(threads) threads): gradients \(ms(tAllGradients)) ms, HVPs \(ms(tAllHVP)) ms")
            print(json([("mode", "foe-kernels"), ("setting", setting.name), ("boundary", boundary.rawValue),
                        ("images", Double(setting.images)), ("size", Double(n)), ("filters", Double(k)), ("filter_size", Double(s)),
                        ("threads", Double(threads)),
                        ("gradient_ms", ms(tGradient)), ("gradient_gflops", gflops(2 * convFlops, tGradient)),
                        ("hvp_ms", ms(tHVP)), ("hvp_gflops", gflops(3 * convFlops, tHVP)),
                        ("mixed_ms", ms(tMixed)), ("mixed_gflops", gflops(4 * convFlops, tMixed)),
                        ("fista_iteration_ms", ms(tFISTA)), ("fista_iteration_gflops", gflops(2 * convFlops, tFISTA)),
                        ("cg_iteration_ms", ms(tCG)), ("lipschitz_cold_ms", ms(tLipschitz)), ("lipschitz_warm_ms", ms(tLipschitzWarm)),
                        ("all_images_gradient_ms", ms(tAllGradients)), ("all_images_hvp_ms", ms(tAllHVP)),
                        ("all_images_gradient_gflops", gflops(2 * convFlops * Double(setting.images), tAllGradients))]))
        }
    }
}

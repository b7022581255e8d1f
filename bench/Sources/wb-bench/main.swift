// wb-bench: one timed measurement per invocation, printed as one JSON line, so that
// bench/compare.py can alternate wb and its peers (A B A B …) per docs/benchmarks.md.
import CFFTW
import Imaging
import Inverse
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

func argument(_ name: String, _ fallback: String) -> String {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: "--" + name), i + 1 < a.count { return a[i + 1] }
    return fallback
}

func smoothImage(_ n: Int, seed: UInt64) -> Grid {
    var rng = RandomSource(seed: seed)
    var g = Grid.image(height: n, width: n)
    for i in 0..<n { for j in 0..<n { g[i, j] = 0.5 + 0.3 * sin(Double(i) / 17) * cos(Double(j) / 23) + 0.05 * rng.gaussian() } }
    return g
}

/// Best of `reps` timings of `body` after one warm-up call.
func time(reps: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var best = Double.infinity
    for _ in 0..<reps { let t = now(); try body(); best = min(best, now() - t) }
    return best
}

let mode = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "help"
let threads = Int(argument("threads", "2"))!
ComputeThreads.set(threads)
let reps = Int(argument("reps", "3"))!

switch mode {
case "blur":
    // wb's GaussianBlur (FFT convolution, cached plans) on an n×n image.
    let n = Int(argument("size", "512"))!
    let x = smoothImage(n, seed: 1)
    let op = GaussianBlur(shape: Shape(n, n), sigma: 3)
    var y = Grid.image(height: n, width: n)
    let t = time(reps: reps) { op.apply(x, into: &y); blackHole(y) }
    print("{\"mode\":\"blur\",\"size\":\(n),\"threads\":\(threads),\"seconds\":\(t)}")
case "fftw-pair":
    // The bare FFTW reference: r2c, multiply by a transfer function, c2r, on FFTW-malloc'd buffers.
    let n = Int(argument("size", "512"))!
    let half = n / 2 + 1
    fftw_init_threads()
    fftw_plan_with_nthreads(Int32(threads))
    let real = fftw_alloc_real(n * n)!, spec = fftw_alloc_complex(n * half)!
    // --new-array 1: execute on other buffers than the planning ones, as wb's plan cache does.
    let newArray = argument("new-array", "0") == "1"
    let real2 = newArray ? fftw_alloc_real(n * n)! : real, spec2 = newArray ? fftw_alloc_complex(n * half)! : spec
    let fwd = fftw_plan_dft_r2c_2d(Int32(n), Int32(n), real, spec, UInt32(FFTW_ESTIMATE))
    let inv = fftw_plan_dft_c2r_2d(Int32(n), Int32(n), spec, real, UInt32(FFTW_ESTIMATE))
    let x = smoothImage(n, seed: 1)
    var h = [Double](repeating: 0, count: n * half)
    for i in 0..<n { for j in 0..<half {
        let fi = Double(min(i, n - i)) / Double(n), fj = Double(j) / Double(n)
        h[i * half + j] = exp(-2 * Double.pi * Double.pi * 9 * (fi * fi + fj * fj)) / Double(n * n)
    } }
    var y = [Double](repeating: 0, count: n * n)
    let t = time(reps: reps) {
        x.storage.withUnsafeBufferPointer { real2.update(from: $0.baseAddress!, count: n * n) }
        if newArray { fftw_execute_dft_r2c(fwd, real2, spec2) } else { fftw_execute(fwd) }
        let sp = newArray ? spec2 : spec
        for k in 0..<(n * half) { sp[k].0 *= h[k]; sp[k].1 *= h[k] }
        if newArray { fftw_execute_dft_c2r(inv, spec2, real2) } else { fftw_execute(inv) }
        y.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: real2, count: n * n) }
        blackHole(y)
    }
    print("{\"mode\":\"fftw-pair\",\"size\":\(n),\"threads\":\(threads),\"seconds\":\(t)}")
case "hdf5":
    // Write + read a frames×n×n float32 stack (gzip 4 + shuffle, one frame per chunk).
    let raw = argument("raw", "")
    let frames = Int(argument("frames", "16"))!, n = Int(argument("size", "2048"))!
    let path = argument("out", "/tmp/wb-bench-stack.h5")
    var stack = Grid(shape: Shape(frames, n, n))
    if !raw.isEmpty {
        guard let f = fopen(raw, "rb") else { fatalError("wb-bench: cannot open \(raw)") }
        var buf = [Float](repeating: 0, count: frames * n * n)
        let got = fread(&buf, 4, buf.count, f)
        fclose(f)
        precondition(got == buf.count, "wb-bench: \(raw) is too short")
        stack.storage.withUnsafeMutableBufferPointer { d in for i in 0..<buf.count { d[i] = Double(buf[i]) } }
    }
    let tw = try time(reps: 1) {
        unlink(path)
        let f = try HDF5File(path, mode: .create)
        try f.write(stack, to: "/stack", precision: .float32, compression: 4, chunks: [1, n, n])
        f.close()
    }
    var back = Grid(shape: Shape(1))
    let tr = try time(reps: 1) {
        let f = try HDF5File(path)
        back = try f.readGrid("/stack")
        f.close()
    }
    precondition(back.count == stack.count)
    unlink(path)
    print("{\"mode\":\"hdf5\",\"frames\":\(frames),\"size\":\(n),\"write_seconds\":\(tw),\"read_seconds\":\(tr)}")
case "png":
    // 16-bit gray PNG write + read of an n×n image.
    let n = Int(argument("size", "1024"))!
    let path = argument("out", "/tmp/wb-bench.png")
    var x = smoothImage(n, seed: 2)
    x.clamp(to: 0...1)
    let tw = try time(reps: reps) { unlink(path); _ = try PNG.write(x, to: path, bitDepth: 16) }
    var back = Grid(shape: Shape(1))
    let tr = try time(reps: reps) { back = try PNG.read(path) }
    precondition(back.count == x.count)
    unlink(path)
    print("{\"mode\":\"png\",\"size\":\(n),\"write_seconds\":\(tw),\"read_seconds\":\(tr)}")
case "calibration", "calibration-iteration", "calibration-phase", "calibration-noise", "calibration-complex": try calibrationBench(mode)
case "tv-input":
    // The benchmark input: camera.png and its seeded noisy version (wb's generator), raw float64.
    let clean = try PNG.read(argument("image", "data/images/camera.png"), channels: .gray)
    let sigma = Double(argument("sigma", "0.1"))!, seed = UInt64(argument("seed", "0"))!
    let noisy = try Noise.add(.gaussian(sigma: sigma), to: clean, seed: seed)
    for (grid, path) in [(clean, argument("clean", "/tmp/wb-tv-clean.f64")), (noisy, argument("noisy", "/tmp/wb-tv-noisy.f64"))] {
        guard let f = fopen(path, "wb") else { fatalError("wb-bench: cannot write \(path)") }
        _ = grid.storage.withUnsafeBufferPointer { fwrite($0.baseAddress!, 8, $0.count, f) }
        fclose(f)
    }
    print("{\"mode\":\"tv-input\",\"height\":\(clean.shape[0]),\"width\":\(clean.shape[1])}")
case "tv":
    // ROF denoising (½‖x − y‖² + λ TV(x), isotropic) of a raw float64 image with wb's solvers:
    //   time to reach an objective ≤ --target (gap and objective every --gap-every iterations,
    //   included in the time), the objective reached within --budget seconds, PSNR at the target,
    //   and seconds per iteration (no gap) of the fused kernel and of the generic PrimalDual.
    func readRaw(_ path: String, _ h: Int, _ w: Int) -> Grid {
        guard let f = fopen(path, "rb") else { fatalError("wb-bench: cannot open \(path)") }
        var g = Grid.image(height: h, width: w)
        let got = g.storage.withUnsafeMutableBufferPointer { fread($0.baseAddress!, 8, $0.count, f) }
        fclose(f)
        precondition(got == h * w, "wb-bench: \(path) is too short")
        return g
    }
    let h = Int(argument("height", "512"))!, w = Int(argument("width", "512"))!
    let noisy = readRaw(argument("noisy", "/tmp/wb-tv-noisy.f64"), h, w)
    let clean = readRaw(argument("clean", "/tmp/wb-tv-clean.f64"), h, w)
    let lambda = Double(argument("lambda", "0.1"))!
    let target = Double(argument("target", "0"))!, budget = Double(argument("budget", "0"))!
    let gapEvery = Int(argument("gap-every", "5"))!
    let perIteration = Int(argument("iterations", "100"))!
    // Warm-up (thread pool, page faults).
    var warm = ROFPrimalDual(noisy: noisy, lambda: lambda, gapInterval: 1_000_000)
    for _ in 0..<10 { warm.step() }
    // Seconds per iteration, fused kernel without gap, and with the gap every iteration.
    func secondsPerIteration(gapInterval: Int) -> Double {
        var s = ROFPrimalDual(noisy: noisy, lambda: lambda, gapInterval: gapInterval)
        let t = now()
        for _ in 0..<perIteration { s.step() }
        return (now() - t) / Double(perIteration)
    }
    var fusedBest = Double.infinity, fusedGapBest = Double.infinity
    for _ in 0..<reps {
        fusedBest = min(fusedBest, secondsPerIteration(gapInterval: 1_000_000))
        fusedGapBest = min(fusedGapBest, secondsPerIteration(gapInterval: 1))
    }
    var genericBest = Double.infinity
    if argument("generic", "1") == "1" {
        for _ in 0..<reps {
            var g = PrimalDual(primal: SquaredL2Distance(target: noisy), dual: GroupL21Norm(weight: lambda),
                               operator: Gradient(shape: noisy.shape), initialGuess: noisy, operatorNorm: 8.0.squareRoot(),
                               primalStrongConvexity: TVDenoising.accelerationModulus, gapInterval: 1_000_000)
            let n = max(perIteration / 5, 10)
            let t = now()
            for _ in 0..<n { g.step() }
            genericBest = min(genericBest, (now() - t) / Double(n))
        }
    }
    // Time to the target objective (best of reps), with the PSNR and gap there.
    var toTarget = Double.infinity, iterations = 0, psnr = 0.0, objective = 0.0, gap = 0.0
    if target > 0 {
        for _ in 0..<reps {
            var s = ROFPrimalDual(noisy: noisy, lambda: lambda, gapInterval: gapEvery)
            let t = now()
            while true {
                s.step()
                if let o = s.statistics().objective, o <= target { break }
                precondition(s.statistics().iteration < 100_000, "wb-bench tv: target \(target) not reached")
            }
            let elapsed = now() - t
            if elapsed < toTarget {
                toTarget = elapsed
                iterations = s.statistics().iteration
                objective = s.statistics().objective!
                gap = s.statistics().gap!
                psnr = Metrics.psnr(s.iterate, reference: clean, dataRange: 1)
            }
        }
    }
    // Objective reached within the budget (stop at the first iteration whose end passes it;
    // the objective is evaluated after the clock stops).
    var inBudget = 0.0, budgetIterations = 0, budgetPSNR = 0.0
    if budget > 0 {
        var s = ROFPrimalDual(noisy: noisy, lambda: lambda, gapInterval: 1_000_000)
        let t = now()
        while now() - t < budget { s.step() }
        let x = s.iterate
        inBudget = TVDenoising.objective(x, noisy: noisy, lambda: lambda)
        budgetIterations = s.statistics().iteration
        budgetPSNR = Metrics.psnr(x, reference: clean, dataRange: 1)
    }
    print("{\"mode\":\"tv\",\"threads\":\(threads),\"fused_seconds_per_iteration\":\(fusedBest),"
          + "\"fused_gap_seconds_per_iteration\":\(fusedGapBest),\"generic_seconds_per_iteration\":\(genericBest),"
          + "\"target\":\(target),\"seconds_to_target\":\(toTarget),\"iterations_to_target\":\(iterations),"
          + "\"objective_at_target\":\(objective),\"gap_at_target\":\(gap),\"psnr_at_target\":\(psnr),"
          + "\"budget\":\(budget),\"objective_in_budget\":\(inBudget),\"iterations_in_budget\":\(budgetIterations),"
          + "\"psnr_in_budget\":\(budgetPSNR)}")
case "foe-kernels": do { try runFoEKernelBench(reps: reps, threads: threads) } catch { bilevelLog("error: \(error)"); exit(1) }
case let m where m.hasPrefix("bilevel"): do { try runBilevelBench(m) } catch { bilevelLog("error: \(error)"); exit(1) }
case "nn": try runNNBench(threads: threads, reps: reps)
case "nn-gemm": try runNNGemmBench(threads: threads, reps: reps)
default:
    print("usage: wb-bench blur|fftw-pair|hdf5|png|calibration[-iteration|-phase|-noise|-complex]|tv-input|tv|bilevel-b|bilevel-c|foe-kernels|nn|nn-gemm [--size N] [--threads T] [--reps R] [--frames F --raw FILE.f32] [calibration: --n N --m M --p P --rho R --trials T --sensing gaussian|bernoulli|convolution --max-iterations K, see Calibration.swift] [tv: --noisy F --clean F --target OBJ --budget S --gap-every K] [bilevel: see Bilevel.swift] [foe-kernels: --setting c|real|both --boundary reflect|periodic|both, see FoEKernels.swift] [nn: see NN.swift]")
}

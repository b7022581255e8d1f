import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// A complex vector as separate real and imaginary parts (no C or numerics type in the API).
public struct SplitComplex: Sendable, Equatable {
    public var real: [Double]
    public var imaginary: [Double]
    public init(real: [Double], imaginary: [Double]) {
        precondition(real.count == imaginary.count, "SplitComplex: parts differ in length")
        self.real = real; self.imaginary = imaginary
    }
    /// Number of complex entries.
    public var count: Int { real.count }

    init(interleaved v: [Double]) {
        real = stride(from: 0, to: v.count, by: 2).map { v[$0] }
        imaginary = stride(from: 1, to: v.count, by: 2).map { v[$0] }
    }
    var interleaved: [Double] {
        var v = [Double](repeating: 0, count: 2 * count)
        for i in 0..<count { v[2 * i] = real[i]; v[2 * i + 1] = imaginary[i] }
        return v
    }
}

/// Complex dense sensing matrices A_1 … A_p (each m×n) stacked as one (p·m)×n complex matrix
/// (interleaved re/im, row-major); forward = one `cblas_zgemv`, adjoint Σ_l A_lᴴ w_l = one
/// conjugate-transposed `cblas_zgemv`. Seeded entries are circular complex Gaussian CN(0, 1)
/// (re, im ~ N(0, ½)), so E aaᴴ = I_n as in the real case.
public struct ComplexDenseSensing: Sendable {
    public let snapshots: Int
    public let sensors: Int
    public let unknowns: Int
    /// The seed, or nil for user-given matrices.
    public let seed: UInt64?
    /// 2·p·m·n interleaved entries.
    let entries: [Double]

    /// Seeded CN(0, 1) entries drawn in storage order (re then im) from `RandomSource(seed:)`.
    public init(snapshots p: Int, sensors m: Int, unknowns n: Int, seed: UInt64) {
        precondition(p > 0 && m > 0 && n > 0, "ComplexDenseSensing: p, m, n must be positive")
        var rng = RandomSource(seed: seed)
        let s = (0.5).squareRoot()
        entries = (0..<(2 * p * m * n)).map { _ in s * rng.gaussian() }
        snapshots = p; sensors = m; unknowns = n; self.seed = seed
    }

    /// User-given matrices, (p·m)×n row-major real and imaginary parts.
    public init(snapshots p: Int, sensors m: Int, unknowns n: Int, real: [Double], imaginary: [Double]) throws {
        guard p > 0, m > 0, n > 0 else { throw CalibrationInputError.invalidSensing("n, m and p must be positive") }
        guard real.count == p * m * n, imaginary.count == p * m * n else {
            throw CalibrationInputError.invalidSensing("complex sensing matrices: expected p·m·n = \(p * m * n) values per part")
        }
        guard real.allSatisfy(\.isFinite), imaginary.allSatisfy(\.isFinite) else {
            throw CalibrationInputError.invalidSensing("complex sensing matrices contain NaN or infinity")
        }
        entries = SplitComplex(real: real, imaginary: imaginary).interleaved
        snapshots = p; sensors = m; unknowns = n; seed = nil
    }

    /// y ← 𝒜x (interleaved; x: 2n, y: 2pm).
    func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        gemv(CblasNoTrans, x, y)
    }

    /// x ← 𝒜ᴴy.
    func applyAdjoint(_ y: UnsafePointer<Double>, into x: UnsafeMutablePointer<Double>) {
        gemv(CblasConjTrans, y, x)
    }

    private func gemv(_ t: CBLAS_TRANSPOSE, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        var one: (Double, Double) = (1, 0), zero: (Double, Double) = (0, 0)
        entries.withUnsafeBufferPointer { a in
            withUnsafePointer(to: &one) { alpha in
                withUnsafePointer(to: &zero) { beta in
                    cblas_zgemv(CblasRowMajor, t, Int32(snapshots * sensors), Int32(unknowns), alpha, a.baseAddress,
                                Int32(unknowns), v, 1, beta, out, 1)
                }
            }
        }
    }

    /// 𝒜x for split-complex x (p·m entries).
    public func callAsFunction(_ x: SplitComplex) -> SplitComplex {
        precondition(x.count == unknowns, "ComplexDenseSensing: expected \(unknowns) entries")
        let xi = x.interleaved
        var y = [Double](repeating: 0, count: 2 * snapshots * sensors)
        xi.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { apply(xp.baseAddress!, into: $0.baseAddress!) } }
        return SplitComplex(interleaved: y)
    }

    /// 𝒜ᴴy for split-complex y (n entries).
    public func adjoint(_ y: SplitComplex) -> SplitComplex {
        precondition(y.count == snapshots * sensors, "ComplexDenseSensing: expected \(snapshots * sensors) entries")
        let yi = y.interleaved
        var x = [Double](repeating: 0, count: 2 * unknowns)
        yi.withUnsafeBufferPointer { yp in x.withUnsafeMutableBufferPointer { applyAdjoint(yp.baseAddress!, into: $0.baseAddress!) } }
        return SplitComplex(interleaved: x)
    }
}

/// Blind calibration with complex signals and complex gains (experimental; spec §8 and E5, not
/// covered by the paper's theory). Same objective f = (1/2mp) Σ_l ‖γ ⊙ A_l ξ − y_l‖² with the
/// Wirtinger gradients
///
///     ∇_ξ f = (1/mp) Σ_l A_lᴴ(conj(γ) ⊙ r_l),   ∇_γ f = (1/mp) Σ_l conj(A_l ξ) ⊙ r_l,
///
/// the gain gradient projected onto 1^⊥ by removing its complex mean (so 1ᵀγ = m, complex), start
/// ξ₀ = (1/mp) Σ A_lᴴ y_l, γ₀ = 1, and the exact real-step line search per block,
/// μ_ξ = mp‖g_ξ‖² / Σ_l ‖γ ⊙ A_l g_ξ‖², μ_γ = mp‖g_γ‖² / Σ_l ‖g_γ ⊙ A_l ξ‖² (the minimisers of f
/// along −g with real μ). No gain box. Stopping as ``BlindCalibration``. Only `.lineSearch`.
public struct ComplexBlindCalibration: Sendable {
    public typealias Options = BlindCalibration<DenseSensing>.Options

    /// The estimate and how it was reached.
    public struct Result: Sendable {
        public var signal: SplitComplex
        /// γ̂ with 1ᵀγ̂ = m.
        public var gains: SplitComplex
        public var report: SolverReport
        public var finalResidual: Double
        public var reachedMaxIterations: Bool { report.stopReason == .maxIterations }
        public var iterations: Int { report.final.iteration }
    }

    public let sensing: ComplexDenseSensing
    public let measurements: SplitComplex
    public let options: Options
    let y: [Double]   // interleaved

    /// Validates sizes, finiteness, mp ≥ n + m − 1 (complex counts), no dead sensor, options.
    public init(sensing: ComplexDenseSensing, measurements: SplitComplex, options: Options = Options()) throws {
        let p = sensing.snapshots, m = sensing.sensors, n = sensing.unknowns
        guard measurements.count == p * m else { throw CalibrationInputError.sizeMismatch(expected: p * m, got: measurements.count) }
        guard measurements.real.allSatisfy(\.isFinite), measurements.imaginary.allSatisfy(\.isFinite) else {
            throw CalibrationInputError.nonFinite
        }
        guard measurements.real.contains(where: { $0 != 0 }) || measurements.imaginary.contains(where: { $0 != 0 }) else {
            throw CalibrationInputError.zeroMeasurements
        }
        guard m * p >= n + m - 1 else { throw CalibrationInputError.tooFewMeasurements(equations: m * p, unknowns: n + m - 1) }
        for i in 0..<m where (0..<p).allSatisfy({ measurements.real[$0 * m + i] == 0 && measurements.imaginary[$0 * m + i] == 0 }) {
            throw CalibrationInputError.deadSensor(i)
        }
        guard options.stepRule == .lineSearch else {
            throw CalibrationInputError.invalidOption("the complex solver supports only the exact line search")
        }
        guard options.maxIterations >= 0, options.refreshInterval >= 1,
              options.tolerance >= 0, options.residualTolerance >= 0 else {
            throw CalibrationInputError.invalidOption("maxIterations ≥ 0, refreshInterval ≥ 1 and tolerances ≥ 0 required")
        }
        self.sensing = sensing; self.measurements = measurements; self.options = options
        y = measurements.interleaved
    }

    /// f(ξ, γ).
    public func objective(signal: SplitComplex, gains: SplitComplex) -> Double {
        let ax = sensing(signal)
        let m = sensing.sensors, pm = sensing.snapshots * m
        var s = 0.0
        for k in 0..<pm {
            let i = k % m
            let re = gains.real[i] * ax.real[k] - gains.imaginary[i] * ax.imaginary[k] - measurements.real[k]
            let im = gains.real[i] * ax.imaginary[k] + gains.imaginary[i] * ax.real[k] - measurements.imaginary[k]
            s += re * re + im * im
        }
        return s / Double(2 * pm)
    }

    /// The Wirtinger gradients (∇_ξ f, ∇_γ f), the gain gradient not projected: for real
    /// perturbations t·e, ∂f/∂t = Re⟨∇, e⟩ = Σ (Re ∇ · Re e + Im ∇ · Im e).
    public func gradients(signal: SplitComplex, gains: SplitComplex) -> (signal: SplitComplex, gains: SplitComplex) {
        let ax = sensing(signal)
        let m = sensing.sensors, pm = sensing.snapshots * m
        let s = 1 / Double(pm)
        var w = SplitComplex(real: [Double](repeating: 0, count: pm), imaginary: [Double](repeating: 0, count: pm))
        var gg = SplitComplex(real: [Double](repeating: 0, count: m), imaginary: [Double](repeating: 0, count: m))
        for k in 0..<pm {
            let i = k % m
            let gr = gains.real[i], gi = gains.imaginary[i], ar = ax.real[k], ai = ax.imaginary[k]
            let rr = gr * ar - gi * ai - measurements.real[k], ri = gr * ai + gi * ar - measurements.imaginary[k]
            w.real[k] = gr * rr + gi * ri; w.imaginary[k] = gr * ri - gi * rr          // conj(γ) r
            gg.real[i] += s * (ar * rr + ai * ri); gg.imaginary[i] += s * (ar * ri - ai * rr)   // conj(Aξ) r
        }
        var gx = sensing.adjoint(w)
        for j in 0..<gx.count { gx.real[j] *= s; gx.imaginary[j] *= s }
        return (gx, gg)
    }

    /// Runs the complex variant from (ξ₀, γ₀ = 1).
    public func run(monitor: ((IterationStatistics) -> Void)? = nil) -> Result {
        let p = sensing.snapshots, m = sensing.sensors, n = sensing.unknowns
        let pm = p * m
        let inv = 1 / Double(pm)
        let clock = ContinuousClock()
        let start = clock.now
        var yNorm2 = 0.0
        for v in y { yNorm2 += v * v }
        let yNorm = yNorm2.squareRoot()

        var xi = [Double](repeating: 0, count: 2 * n)
        var gamma = [Double](repeating: 0, count: 2 * m)
        for i in 0..<m { gamma[2 * i] = 1 }
        var gammaOld = gamma
        var ax = [Double](repeating: 0, count: 2 * pm), ag = ax, r = ax, w = ax
        var gx = [Double](repeating: 0, count: 2 * n)
        var gg = [Double](repeating: 0, count: 2 * m)
        var history: [IterationStatistics] = []

        func forward(_ v: [Double], _ out: inout [Double]) {
            v.withUnsafeBufferPointer { vp in out.withUnsafeMutableBufferPointer { sensing.apply(vp.baseAddress!, into: $0.baseAddress!) } }
        }
        func residual() -> Double {
            var s = 0.0
            for k in 0..<pm {
                let i = k % m
                let gr = gamma[2 * i], gi = gamma[2 * i + 1], ar = ax[2 * k], ai = ax[2 * k + 1]
                let rr = gr * ar - gi * ai - y[2 * k], ri = gr * ai + gi * ar - y[2 * k + 1]
                r[2 * k] = rr; r[2 * k + 1] = ri
                s += rr * rr + ri * ri
            }
            return s
        }
        y.withUnsafeBufferPointer { yp in xi.withUnsafeMutableBufferPointer { sensing.applyAdjoint(yp.baseAddress!, into: $0.baseAddress!) } }
        for j in 0..<(2 * n) { xi[j] *= inv }
        forward(xi, &ax)
        var rr = residual()
        var stop = StopReason.maxIterations
        var last = IterationStatistics(iteration: 0, objective: 0.5 * inv * rr, residual: rr.squareRoot() / yNorm,
                                       relativeChange: .infinity, stepSize: 0, seconds: 0, elapsedSeconds: 0)
        if rr.squareRoot() / yNorm < options.residualTolerance { stop = .converged }
        var iteration = 0
        while iteration < options.maxIterations && stop != .converged {
            let t0 = clock.now
            for j in 0..<(2 * m) { gg[j] = 0 }
            for k in 0..<pm {
                let i = k % m
                let gr = gamma[2 * i], gi = gamma[2 * i + 1], ar = ax[2 * k], ai = ax[2 * k + 1]
                let xr = r[2 * k], xim = r[2 * k + 1]
                w[2 * k] = gr * xr + gi * xim; w[2 * k + 1] = gr * xim - gi * xr
                gg[2 * i] += ar * xr + ai * xim; gg[2 * i + 1] += ar * xim - ai * xr
            }
            w.withUnsafeBufferPointer { wp in gx.withUnsafeMutableBufferPointer { sensing.applyAdjoint(wp.baseAddress!, into: $0.baseAddress!) } }
            var ngx = 0.0
            for j in 0..<(2 * n) { gx[j] *= inv; ngx += gx[j] * gx[j] }
            var meanR = 0.0, meanI = 0.0
            for i in 0..<m { gg[2 * i] *= inv; gg[2 * i + 1] *= inv; meanR += gg[2 * i]; meanI += gg[2 * i + 1] }
            meanR /= Double(m); meanI /= Double(m)
            var ngg = 0.0
            for i in 0..<m {
                gg[2 * i] -= meanR; gg[2 * i + 1] -= meanI
                ngg += gg[2 * i] * gg[2 * i] + gg[2 * i + 1] * gg[2 * i + 1]
            }
            forward(gx, &ag)
            var dx = 0.0, dg = 0.0
            for k in 0..<pm {
                let i = k % m
                let gr = gamma[2 * i], gi = gamma[2 * i + 1], ar = ag[2 * k], ai = ag[2 * k + 1]
                let a = gr * ar - gi * ai, b = gr * ai + gi * ar
                dx += a * a + b * b
                let hr = gg[2 * i], hi = gg[2 * i + 1], xr = ax[2 * k], xim = ax[2 * k + 1]
                let c = hr * xr - hi * xim, e = hr * xim + hi * xr
                dg += c * c + e * e
            }
            let muX = dx > 0 ? Double(pm) * ngx / dx : 0
            let muG = dg > 0 ? Double(pm) * ngg / dg : 0
            for j in 0..<(2 * n) { xi[j] -= muX * gx[j] }
            for j in 0..<(2 * m) { gammaOld[j] = gamma[j]; gamma[j] -= muG * gg[j] }
            if (iteration + 1) % options.refreshInterval == 0 {
                forward(xi, &ax)
                var cr = 0.0, ci = 0.0
                for i in 0..<m { cr += gamma[2 * i]; ci += gamma[2 * i + 1] }
                cr = cr / Double(m) - 1; ci /= Double(m)
                for i in 0..<m { gamma[2 * i] -= cr; gamma[2 * i + 1] -= ci }
            } else {
                for k in 0..<(2 * pm) { ax[k] -= muX * ag[k] }
            }
            rr = residual()
            iteration += 1
            var nx = 0.0, ng = 0.0, dG = 0.0
            for v in xi { nx += v * v }
            for j in 0..<(2 * m) { let d = gamma[j] - gammaOld[j]; dG += d * d; ng += gamma[j] * gamma[j] }
            let change = Swift.max(muX * ngx.squareRoot() / Swift.max(nx.squareRoot(), 1e-300),
                                   dG.squareRoot() / Swift.max(ng.squareRoot(), 1e-300))
            let now = clock.now
            last = IterationStatistics(iteration: iteration, objective: 0.5 * inv * rr, residual: rr.squareRoot() / yNorm,
                                       relativeChange: change, stepSize: muX,
                                       seconds: secondsBetween(t0, now), elapsedSeconds: secondsBetween(start, now))
            last.secondaryStepSize = muG
            if options.recordHistory { history.append(last) }
            monitor?(last)
            guard rr.isFinite, change.isFinite else { stop = .breakdown("non-finite iterate"); break }
            if change < options.tolerance || rr.squareRoot() / yNorm < options.residualTolerance { stop = .converged }
        }
        forward(xi, &ax)
        let finalRR = residual()
        last.residual = finalRR.squareRoot() / yNorm
        last.objective = 0.5 * inv * finalRR
        if options.recordHistory, !history.isEmpty { history[history.count - 1] = last }
        return Result(signal: SplitComplex(interleaved: xi), gains: SplitComplex(interleaved: gamma),
                      report: SolverReport(stopReason: stop, final: last, history: history),
                      finalResidual: last.residual ?? .nan)
    }
}

/// Errors of a complex estimate after the normalisation with the complex α = 1ᵀd*/m
/// (d* ← d*/α, x* ← α x*), as ``CalibrationErrors``.
public struct ComplexCalibrationErrors: Sendable, Equatable {
    public var signal: Double
    public var gains: Double
    public var maximum: Double { Swift.max(signal, gains) }

    /// nil when 1ᵀd* is 0 or not finite.
    public init?(signal estimate: SplitComplex, gains estimatedGains: SplitComplex,
                 trueSignal: SplitComplex, trueGains: SplitComplex) {
        precondition(estimate.count == trueSignal.count && estimatedGains.count == trueGains.count,
                     "ComplexCalibrationErrors: size mismatch")
        let m = Double(trueGains.count)
        let ar = trueGains.real.reduce(0, +) / m, ai = trueGains.imaginary.reduce(0, +) / m
        let a2 = ar * ar + ai * ai
        guard a2.isFinite, a2 > 0 else { return nil }
        // (sr, si) · v: complex scaling of the truth.
        func rel(_ e: SplitComplex, _ t: SplitComplex, _ sr: Double, _ si: Double) -> Double {
            var num = 0.0, den = 0.0
            for i in 0..<e.count {
                let tr = sr * t.real[i] - si * t.imaginary[i], ti = sr * t.imaginary[i] + si * t.real[i]
                num += (e.real[i] - tr) * (e.real[i] - tr) + (e.imaginary[i] - ti) * (e.imaginary[i] - ti)
                den += tr * tr + ti * ti
            }
            return den > 0 ? (num / den).squareRoot() : num.squareRoot()
        }
        signal = rel(estimate, trueSignal, ar, ai)
        gains = rel(estimatedGains, trueGains, ar / a2, -ai / a2)   // 1/α
    }
}

/// Seeded complex problems (spec E5).
public enum ComplexCalibrationSimulation {
    /// A problem: x ~ CN(0, I_n), A ~ CN(0, 1) entries, gains d_i = a_i e^{iφ_i} with amplitudes
    /// a_i uniform in [1 − amplitudeRange, 1 + amplitudeRange] and phases φ_i uniform in
    /// [−phaseRange, phaseRange], normalised to 1ᵀd = m (d ← d·m/1ᵀd); optional noise at `snr` dB
    /// (complex white, σ from the spec's definition with |·| norms). Seeds derived from `seed`.
    public static func problem(unknowns n: Int, sensors m: Int, snapshots p: Int, amplitudeRange: Double,
                               phaseRange: Double, snr: Double? = nil, seed: UInt64)
        -> (sensing: ComplexDenseSensing, measurements: SplitComplex, signal: SplitComplex, gains: SplitComplex) {
        var rng = RandomSource(seed: RandomSource.derivedSeed(seed, "signal"))
        let s = (0.5).squareRoot()
        let x = SplitComplex(real: (0..<n).map { _ in s * rng.gaussian() }, imaginary: (0..<n).map { _ in s * rng.gaussian() })
        var g = RandomSource(seed: RandomSource.derivedSeed(seed, "gains"))
        var dr = [Double](repeating: 0, count: m), di = dr
        for i in 0..<m {
            let a = 1 + amplitudeRange * (2 * g.uniform() - 1), phi = phaseRange * (2 * g.uniform() - 1)
            dr[i] = a * cos(phi); di[i] = a * sin(phi)
        }
        let sr = dr.reduce(0, +) / Double(m), si = di.reduce(0, +) / Double(m), s2 = sr * sr + si * si
        for i in 0..<m {   // d / mean(d)
            let (a, b) = (dr[i], di[i])
            dr[i] = (a * sr + b * si) / s2; di[i] = (b * sr - a * si) / s2
        }
        let d = SplitComplex(real: dr, imaginary: di)
        let a = ComplexDenseSensing(snapshots: p, sensors: m, unknowns: n, seed: RandomSource.derivedSeed(seed, "sensing"))
        var y = a(x)
        for k in 0..<(p * m) {
            let i = k % m
            let (yr, yi) = (y.real[k], y.imaginary[k])
            y.real[k] = dr[i] * yr - di[i] * yi; y.imaginary[k] = dr[i] * yi + di[i] * yr
        }
        if let snr {
            let norm = (y.real + y.imaginary).reduce(0) { $0 + $1 * $1 }.squareRoot()
            let sigma = norm / (Double(p * m).squareRoot() * pow(10, snr / 20))
            var noise = RandomSource(seed: RandomSource.derivedSeed(seed, "noise"))
            for k in 0..<(p * m) { y.real[k] += sigma * s * noise.gaussian(); y.imaginary[k] += sigma * s * noise.gaussian() }
        }
        return (a, y, x, d)
    }
}

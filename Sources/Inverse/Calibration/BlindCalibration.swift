#if canImport(Glibc)
import Glibc
#endif

/// Blind gain calibration by non-convex projected gradient descent (Cambareri & Jacques,
/// arXiv:1610.09028, Algorithm 1; formulas derived in `shared/specs/blind-calibration.md` §2).
///
/// Model: y_l = diag(d) A_l x (+ ν_l), l = 1…p, with y_l ∈ ℝᵐ, A_l ∈ ℝ^{m×n}, unknown signal
/// x ∈ ℝⁿ and unknown positive gains d with 1ᵀd = m. Objective
///
///     f(ξ, γ) = (1/2mp) Σ_l ‖diag(γ) A_l ξ − y_l‖²,   r_l = γ ⊙ A_l ξ − y_l,
///     ∇_ξ f = (1/mp) Σ_l A_lᵀ(γ ⊙ r_l),   ∇_γ f = (1/mp) Σ_l (A_l ξ) ⊙ r_l,
///     ∇_γ^⊥ f = ∇_γ f − mean(∇_γ f)·1.
///
/// Start ξ₀ = (1/mp) Σ_l A_lᵀ y_l, γ₀ = 1. Iterate ξ ← ξ − μ_ξ ∇_ξ f, γ ← P_G(γ − μ_γ ∇_γ^⊥ f)
/// (both gradients at the same iterate), with G = {1ᵀγ = m, ‖γ − 1‖_∞ ≤ ρ'} (``GainProjection``).
/// Steps (``Options/StepRule``):
/// - exact line search per block (default): with g_ξ, g_γ the two (projected) gradients,
///   μ_ξ = mp‖g_ξ‖² / Σ_l‖γ ⊙ A_l g_ξ‖²,  μ_γ = mp‖g_γ‖² / Σ_l‖g_γ ⊙ A_l ξ‖²
///   (each the exact minimiser of f along its block with the other block frozen);
/// - fixed: μ_ξ = μ, μ_γ = μ·m/‖ξ_j‖², halving μ and retrying whenever f would increase.
/// A_l ξ is updated by linearity (A_l ξ − μ_ξ A_l g_ξ) and recomputed exactly every
/// `refreshInterval` iterations, when γ is also re-centred onto 1ᵀγ = m; one iteration costs
/// two forward passes (𝒜 g_ξ and, amortised, 𝒜 ξ) and one adjoint pass. With a dense operator
/// and the line search, 𝒜 g_ξ and the next iteration's adjoint share one pass over A: γ_{j+1}
/// is known before 𝒜 g_ξ (μ_γ needs only 𝒜ξ_j), and γ_{j+1} ⊙ r_{j+1} = c2 − μ_ξ c1 with
/// c1 = γ_{j+1}² ⊙ 𝒜g_ξ and c2 = γ_{j+1}² ⊙ 𝒜ξ_j − γ_{j+1} ⊙ y, so
/// 𝒜ᵀ(γ_{j+1} ⊙ r_{j+1}) = 𝒜ᵀc2 − μ_ξ 𝒜ᵀc1 (``Options/passFusion``).
///
/// Stopping (spec §2.6): converged when max(‖ξ⁺ − ξ‖/‖ξ⁺‖, ‖γ⁺ − γ‖/‖γ⁺‖) < `tolerance` or when
/// the relative residual ‖r‖/‖y‖ = √(2f)/(‖y‖/√(mp)) < `residualTolerance`; otherwise stopped at
/// `maxIterations` (flagged). The final residual is always reported. All buffers are allocated
/// once in `run`; an iteration allocates nothing (the operator may allocate its FFT work grids).
public struct BlindCalibration<Operator: SensingOperator>: Sendable {
    /// Solver options (defaults from the spec).
    public struct Options: Sendable {
        /// How the two step sizes are chosen.
        public enum StepRule: Sendable, Equatable {
            /// Exact minimiser along each block direction (spec §2.5).
            case lineSearch
            /// μ_ξ = μ, μ_γ = μ m/‖ξ‖², with a divergence guard (μ halves when f increases).
            case fixed(Double)
        }
        public var stepRule: StepRule = .lineSearch
        /// Relative-change tolerance (spec: about 1e-10 in float64).
        public var tolerance: Double = 1e-10
        /// Relative-residual tolerance ‖r‖/‖y‖.
        public var residualTolerance: Double = 1e-13
        /// Iteration cap (spec default 5000; about 20000 near the phase transition).
        public var maxIterations: Int = 5000
        /// Box bound ρ' on ‖γ − 1‖_∞ (must be in [0, 1)); `nil` projects onto 1ᵀγ = m only.
        public var gainBound: Double? = 0.99
        /// Every this many iterations 𝒜ξ is recomputed and γ re-centred.
        public var refreshInterval: Int = 20
        /// Whether to keep every iteration's statistics in the report.
        public var recordHistory: Bool = true
        /// When to fuse passes over a dense operator (exact line search only): 𝒜 g_ξ of
        /// iteration j and the adjoint 𝒜ᵀ(γ ⊙ r) of iteration j + 1 computed in one sweep over A
        /// (``DenseSensing/fusedPass(_:into:adjoints:_:coefficients:)``). The iterates are the same
        /// up to rounding.
        public enum PassFusion: Sendable, Equatable {
            /// Fuse when A is larger than the last-level cache (measured: 1.3–1.4× per
            /// iteration at n = m = 1024, p = 8, 64 MB; no gain while A stays in cache, where the
            /// separate passes already stream it at cache speed).
            case automatic
            case always
            case never
        }
        public var passFusion: PassFusion = .automatic
        public init() {}
    }

    /// Why a problem is rejected (shared by every calibration solver).
    public typealias InputError = CalibrationInputError

    /// The estimate and how it was reached.
    public struct Result: Sendable {
        /// ξ̂ ∈ ℝⁿ (normalised so that 1ᵀγ̂ = m).
        public var signal: [Double]
        /// γ̂ ∈ ℝᵐ with 1ᵀγ̂ = m.
        public var gains: [Double]
        /// Stop reason, final statistics (objective f, residual ‖r‖/‖y‖, relative change, μ_ξ)
        /// and the history.
        public var report: SolverReport
        /// ‖r‖/‖y‖ at the returned iterate.
        public var finalResidual: Double
        /// True when the iteration cap stopped the run.
        public var reachedMaxIterations: Bool { report.stopReason == .maxIterations }
        /// Completed iterations.
        public var iterations: Int { report.final.iteration }
    }

    public let sensing: Operator
    /// y, p·m values, snapshot l at l·m ..< (l+1)·m.
    public let measurements: [Double]
    public let options: Options

    /// Subspace priors of Algorithm 2 (``SubspaceBlindCalibration``): x ∈ range Z, d − 1 ∈ range B.
    let signalBasis: SubspaceBasis?
    let gainBasis: SubspaceBasis?

    /// Validates the problem (sizes, finiteness, mp ≥ n + m − 1, no all-zero sensor, options).
    public init(sensing: Operator, measurements: [Double], options: Options = Options()) throws {
        try self.init(sensing: sensing, measurements: measurements, priors: nil, options: options)
    }

    init(sensing: Operator, measurements: [Double], priors: (SubspaceBasis, SubspaceBasis)?, options: Options) throws {
        let p = sensing.snapshots, m = sensing.sensors, n = sensing.unknowns
        guard measurements.count == p * m else { throw InputError.sizeMismatch(expected: p * m, got: measurements.count) }
        guard measurements.allSatisfy(\.isFinite) else { throw InputError.nonFinite }
        guard measurements.contains(where: { $0 != 0 }) else { throw InputError.zeroMeasurements }
        if let (z, b) = priors {
            guard z.rows == n else { throw InputError.invalidBasis("signal basis Z has \(z.rows) rows, expected n = \(n)") }
            guard b.rows == m else { throw InputError.invalidBasis("gain basis B has \(b.rows) rows, expected m = \(m)") }
            guard b.columns < m else { throw InputError.invalidBasis("gain basis B needs h ≤ m − 1 columns, got \(b.columns)") }
            for (name, basis) in [("signal basis Z", z), ("gain basis B", b)] {
                let e = basis.orthonormalityError
                guard e <= 1e-8 else { throw InputError.invalidBasis("\(name): columns are not orthonormal (max |ZᵀZ − I| = \(e))") }
            }
            guard b.meanComponent <= 1e-8 else {
                throw InputError.invalidBasis("gain basis B: columns must be orthogonal to 1 (Bᵀ1 = 0), max |1ᵀb_j|/√m = \(b.meanComponent)")
            }
            guard m * p >= z.columns + b.columns else {
                throw InputError.tooFewMeasurementsForPriors(equations: m * p, unknowns: z.columns + b.columns)
            }
            signalBasis = z; gainBasis = b
        } else {
            guard m * p >= n + m - 1 else { throw InputError.tooFewMeasurements(equations: m * p, unknowns: n + m - 1) }
            signalBasis = nil; gainBasis = nil
        }
        for i in 0..<m where (0..<p).allSatisfy({ measurements[$0 * m + i] == 0 }) { throw InputError.deadSensor(i) }
        if let b = options.gainBound, !(b >= 0 && b < 1) {
            throw InputError.invalidOption("gain bound ρ' must be in [0, 1), got \(b)")
        }
        if case .fixed(let mu) = options.stepRule, !(mu > 0 && mu.isFinite) {
            throw InputError.invalidOption("fixed step μ must be positive, got \(mu)")
        }
        guard options.maxIterations >= 0, options.refreshInterval >= 1,
              options.tolerance >= 0, options.residualTolerance >= 0 else {
            throw InputError.invalidOption("maxIterations ≥ 0, refreshInterval ≥ 1 and tolerances ≥ 0 required")
        }
        self.sensing = sensing
        self.measurements = measurements
        self.options = options
    }

    /// ξ₀ = (1/mp) Σ_l A_lᵀ y_l.
    public func initialSignal() -> [Double] {
        let p = sensing.snapshots, m = sensing.sensors
        var x = Grid(shape: sensing.domain)
        sensing.applyAdjoint(Grid(shape: sensing.range, storage: measurements), into: &x)
        let s = 1 / Double(m * p)
        for i in 0..<x.count { x.storage[i] *= s }
        return x.storage
    }

    /// f(ξ, γ) = (1/2mp) Σ_l ‖γ ⊙ A_l ξ − y_l‖².
    public func objective(signal: [Double], gains: [Double]) -> Double {
        let p = sensing.snapshots, m = sensing.sensors
        let ax = sensing(Grid(shape: sensing.domain, storage: signal))
        var s = 0.0
        for l in 0..<p { for i in 0..<m { let r = gains[i] * ax.storage[l * m + i] - measurements[l * m + i]; s += r * r } }
        return s / Double(2 * m * p)
    }

    /// (∇_ξ f, ∇_γ f) at (ξ, γ), the gain gradient *not* projected onto 1^⊥.
    public func gradients(signal: [Double], gains: [Double]) -> (signal: [Double], gains: [Double]) {
        let p = sensing.snapshots, m = sensing.sensors
        let ax = sensing(Grid(shape: sensing.domain, storage: signal))
        var w = Grid(shape: sensing.range)
        var gg = [Double](repeating: 0, count: m)
        let s = 1 / Double(m * p)
        for l in 0..<p { for i in 0..<m {
            let k = l * m + i
            let r = gains[i] * ax.storage[k] - measurements[k]
            w.storage[k] = gains[i] * r
            gg[i] += s * ax.storage[k] * r
        } }
        var gx = sensing.adjoint(w)
        for i in 0..<gx.count { gx.storage[i] *= s }
        return (gx.storage, gg)
    }

    /// The exact line-search steps (μ_ξ, μ_γ) of spec §2.5 at (ξ, γ); 0 for a zero gradient.
    public func lineSearchSteps(signal: [Double], gains: [Double]) -> (signal: Double, gains: Double) {
        let p = sensing.snapshots, m = sensing.sensors
        var (gx, gg) = gradients(signal: signal, gains: gains)
        var workZ = [Double](repeating: 0, count: signalBasis?.columns ?? 0)
        var workB = [Double](repeating: 0, count: gainBasis?.columns ?? 0)
        projectDirections(&gx, &gg, &workZ, &workB)
        let ax = sensing(Grid(shape: sensing.domain, storage: signal))
        let ag = sensing(Grid(shape: sensing.domain, storage: gx))
        var dx = 0.0, dg = 0.0
        for l in 0..<p { for i in 0..<m {
            let k = l * m + i
            let a = gains[i] * ag.storage[k], b = gg[i] * ax.storage[k]
            dx += a * a; dg += b * b
        } }
        let mp = Double(m * p)
        let nx = gx.reduce(0) { $0 + $1 * $1 }, ng = gg.reduce(0) { $0 + $1 * $1 }
        return (dx > 0 ? mp * nx / dx : 0, dg > 0 ? mp * ng / dg : 0)
    }

    /// The descent directions: g_ξ ← ZZᵀg_ξ (with a signal prior), g_γ ← BBᵀg_γ (gain prior)
    /// or P_{1^⊥} g_γ (none). `workZ`, `workB` hold k and h values.
    func projectDirections(_ gx: inout [Double], _ gg: inout [Double], _ workZ: inout [Double], _ workB: inout [Double]) {
        if let z = signalBasis { z.project(&gx, work: &workZ) }
        if let b = gainBasis { b.project(&gg, work: &workB) } else { Self.removeMean(&gg) }
    }

    static func removeMean(_ v: inout [Double]) {
        var mean = 0.0
        for x in v { mean += x }
        mean /= Double(v.count)
        for i in 0..<v.count { v[i] -= mean }
    }

    /// Runs Algorithm 1 from (ξ₀, γ₀ = 1). `monitor` is called after each iteration; `inspect`
    /// (if given) sees the iteration number and the current (ξ_j, γ_j) after each iteration (for
    /// example to record when a known truth is first reached; it must not keep the arrays, or the
    /// next iteration copies them).
    public func run(monitor: ((IterationStatistics) -> Void)? = nil,
                    inspect: ((_ iteration: Int, _ signal: [Double], _ gains: [Double]) -> Void)? = nil) -> Result {
        let p = sensing.snapshots, m = sensing.sensors, n = sensing.unknowns
        let pm = p * m
        let inv = 1 / Double(pm)
        let clock = ContinuousClock()
        let start = clock.now
        var yNorm2 = 0.0
        for v in measurements { yNorm2 += v * v }
        let yNorm = yNorm2.squareRoot()

        var xi = Grid(shape: sensing.domain, storage: initialSignal())
        var workZ = [Double](repeating: 0, count: signalBasis?.columns ?? 0)
        var workB = [Double](repeating: 0, count: gainBasis?.columns ?? 0)
        if let z = signalBasis { z.project(&xi.storage, work: &workZ) }
        var gamma = [Double](repeating: 1, count: m)
        var ax = Grid(shape: sensing.range)            // 𝒜ξ
        var ag = Grid(shape: sensing.range)            // 𝒜 g_ξ
        var w = Grid(shape: sensing.range)             // γ ⊙ r
        var r = [Double](repeating: 0, count: pm)      // γ ⊙ 𝒜ξ − y
        var gx = Grid(shape: sensing.domain)
        var gg = [Double](repeating: 0, count: m)
        var gammaOld = gamma
        var xiOld = Grid(shape: sensing.domain), axOld = Grid(shape: sensing.range)   // fixed-step guard
        var history: [IterationStatistics] = []
        if options.recordHistory { history.reserveCapacity(Swift.min(options.maxIterations, 100_000)) }
        // Fused passes (dense operator, line search): the next adjoint 𝒜ᵀ(γ ⊙ r) when known.
        let dense: DenseSensing? = {
            guard options.stepRule == .lineSearch, let d = sensing as? DenseSensing else { return nil }
            switch options.passFusion {
            case .never: return nil
            case .always: return d
            case .automatic: return d.matrix.count * MemoryLayout<Double>.size > ComputeThreads.lastLevelCacheBytes ? d : nil
            }
        }()
        let fusedWork = dense.map { _ in FusedPassWorkspace(rows: pm, unknowns: n) }
        var adjoints = [Double](repeating: 0, count: dense == nil ? 0 : 2 * n)   // u1, u2
        var nextGamma = [Double](repeating: 0, count: dense == nil ? 0 : m)
        var pendingAdjoint = false, pendingStep = 0.0

        func residualAndObjective() -> Double {
            var s = 0.0
            for l in 0..<p {
                let b = l * m
                for i in 0..<m { let v = gamma[i] * ax.storage[b + i] - measurements[b + i]; r[b + i] = v; s += v * v }
            }
            return s
        }
        /// ξ ← ξ − μ_ξ g_ξ, 𝒜ξ updated by linearity (or recomputed), γ ← P_G(γ − μ_γ g_γ); returns ‖r‖².
        func step(_ muX: Double, _ muG: Double) -> Double {
            for i in 0..<n { xi.storage[i] -= muX * gx.storage[i] }
            for i in 0..<m { gammaOld[i] = gamma[i]; gamma[i] -= muG * gg[i] }
            if (iteration + 1) % options.refreshInterval == 0 {
                sensing.apply(xi, into: &ax)
                if let b = gainBasis {
                    // γ ← 1 + BBᵀ(γ − 1): removes round-off drift out of 1 + range B.
                    for i in 0..<m { gamma[i] -= 1 }
                    b.project(&gamma, work: &workB)
                    for i in 0..<m { gamma[i] += 1 }
                } else {
                    var mean = 0.0
                    for v in gamma { mean += v }
                    mean = mean / Double(m) - 1
                    for i in 0..<m { gamma[i] -= mean }
                }
            } else {
                for k in 0..<pm { ax.storage[k] -= muX * ag.storage[k] }
            }
            if gainBasis == nil { GainProjection.project(&gamma, bound: options.gainBound) }
            return residualAndObjective()
        }

        sensing.apply(xi, into: &ax)
        var rr = residualAndObjective()                 // ‖r‖²
        var mu: Double = { if case .fixed(let v) = options.stepRule { return v } else { return 0 } }()
        var stop = StopReason.maxIterations
        var last = IterationStatistics(iteration: 0, objective: 0.5 * inv * rr, residual: rr.squareRoot() / yNorm,
                                       relativeChange: .infinity, stepSize: 0, seconds: 0, elapsedSeconds: 0)
        var iteration = 0
        if rr.squareRoot() / yNorm < options.residualTolerance { stop = .converged }
        iterations: while iteration < options.maxIterations && stop != .converged {
            let t0 = clock.now
            // Gradients at (ξ_j, γ_j).
            for i in 0..<m { gg[i] = 0 }
            for l in 0..<p {
                let b = l * m
                for i in 0..<m {
                    w.storage[b + i] = gamma[i] * r[b + i]
                    gg[i] += ax.storage[b + i] * r[b + i]
                }
            }
            if pendingAdjoint {
                // 𝒜ᵀ(γ_j ⊙ r_j) = u2 − μ_ξ u1 from the previous iteration's fused pass.
                for i in 0..<n { gx.storage[i] = adjoints[n + i] - pendingStep * adjoints[i] }
            } else {
                sensing.applyAdjoint(w, into: &gx)
            }
            pendingAdjoint = false
            for i in 0..<n { gx.storage[i] *= inv }
            for i in 0..<m { gg[i] *= inv }
            projectDirections(&gx.storage, &gg, &workZ, &workB)
            var ngx = 0.0, ngg = 0.0
            for i in 0..<n { ngx += gx.storage[i] * gx.storage[i] }
            for i in 0..<m { ngg += gg[i] * gg[i] }
            // Fuse 𝒜 g_ξ with the next adjoint unless the next step recomputes 𝒜ξ (refresh).
            let fuse = dense != nil && (iteration + 1) % options.refreshInterval != 0
            if !fuse { sensing.apply(gx, into: &ag) }

            var muX: Double, muG: Double
            var rrNew: Double
            var changeX = 0.0, changeG = 0.0
            switch options.stepRule {
            case .lineSearch:
                var dx = 0.0, dg = 0.0
                for l in 0..<p {
                    let b = l * m
                    for i in 0..<m { let c = gg[i] * ax.storage[b + i]; dg += c * c }
                }
                muG = dg > 0 ? Double(pm) * ngg / dg : 0
                if fuse, let dense, let fusedWork {
                    // γ_{j+1} exactly as step(_:_:) makes it on a non-refresh iteration.
                    for i in 0..<m { nextGamma[i] = gamma[i] - muG * gg[i] }
                    if gainBasis == nil { GainProjection.project(&nextGamma, bound: options.gainBound) }
                    dx = gx.storage.withUnsafeBufferPointer { g in
                        ag.storage.withUnsafeMutableBufferPointer { v in
                            adjoints.withUnsafeMutableBufferPointer { u in
                                ax.storage.withUnsafeBufferPointer { axp in
                                    measurements.withUnsafeBufferPointer { yp in
                                        gamma.withUnsafeBufferPointer { gp in
                                            nextGamma.withUnsafeBufferPointer { np in
                                                let rows = SharedBuffers([UnsafeMutablePointer(mutating: axp.baseAddress!),
                                                                          UnsafeMutablePointer(mutating: yp.baseAddress!),
                                                                          UnsafeMutablePointer(mutating: gp.baseAddress!),
                                                                          UnsafeMutablePointer(mutating: np.baseAddress!)])
                                                return dense.fusedPass(g.baseAddress!, into: v.baseAddress!, adjoints: u.baseAddress!,
                                                                       fusedWork) { range, vr, c1, c2 in
                                                    let axr = rows[0], yr = rows[1], gam = rows[2], nxt = rows[3]
                                                    var s = 0.0
                                                    var i = range.lowerBound % m          // sensor of the row
                                                    for j in 0..<range.count {
                                                        let k = range.lowerBound + j, t = nxt[i]
                                                        let a = gam[i] * vr[j]
                                                        s += a * a
                                                        c1[j] = t * t * vr[j]
                                                        c2[j] = t * (t * axr[k] - yr[k])
                                                        i += 1
                                                        if i == m { i = 0 }
                                                    }
                                                    return s
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } else {
                    for l in 0..<p {
                        let b = l * m
                        for i in 0..<m { let a = gamma[i] * ag.storage[b + i]; dx += a * a }
                    }
                }
                muX = dx > 0 ? Double(pm) * ngx / dx : 0
                rrNew = step(muX, muG)
                if fuse { pendingAdjoint = true; pendingStep = muX }
            case .fixed:
                for i in 0..<n { xiOld.storage[i] = xi.storage[i] }
                for k in 0..<pm { axOld.storage[k] = ax.storage[k] }
                for i in 0..<m { gammaOld[i] = gamma[i] }
                var xn2 = 0.0
                for v in xi.storage { xn2 += v * v }
                while true {
                    muX = mu
                    muG = xn2 > 0 ? mu * Double(m) / xn2 : 0
                    rrNew = step(muX, muG)
                    if rrNew.isFinite && rrNew <= rr * (1 + 1e-12) { break }
                    // Divergence guard: restore (ξ_j, γ_j, 𝒜ξ_j, r_j) and halve μ.
                    mu *= 0.5
                    for i in 0..<n { xi.storage[i] = xiOld.storage[i] }
                    for k in 0..<pm { ax.storage[k] = axOld.storage[k] }
                    for i in 0..<m { gamma[i] = gammaOld[i] }
                    rrNew = residualAndObjective()
                    if mu < 1e-14 { muX = 0; muG = 0; break }
                }
            }
            iteration += 1
            // Relative changes.
            var nx = 0.0, ng = 0.0
            for v in xi.storage { nx += v * v }
            for i in 0..<m { let d = gamma[i] - gammaOld[i]; changeG += d * d; ng += gamma[i] * gamma[i] }
            changeX = muX * ngx.squareRoot() / Swift.max(nx.squareRoot(), 1e-300)
            changeG = changeG.squareRoot() / Swift.max(ng.squareRoot(), 1e-300)
            let change = Swift.max(changeX, changeG)
            rr = rrNew
            let now = clock.now
            last = IterationStatistics(iteration: iteration, objective: 0.5 * inv * rr, residual: rr.squareRoot() / yNorm,
                                       relativeChange: change, stepSize: muX,
                                       seconds: secondsBetween(t0, now), elapsedSeconds: secondsBetween(start, now))
            last.secondaryStepSize = muG
            if options.recordHistory { history.append(last) }
            monitor?(last)
            guard rr.isFinite, change.isFinite else { stop = .breakdown("non-finite iterate"); break iterations }
            if case .fixed = options.stepRule, mu < 1e-14 { stop = .breakdown("fixed step shrank below 1e-14 without decrease"); break iterations }
            if change < options.tolerance || rr.squareRoot() / yNorm < options.residualTolerance { stop = .converged }
            inspect?(iteration, xi.storage, gamma)
        }

        // Exact final residual (𝒜ξ recomputed, not the linearly updated one).
        sensing.apply(xi, into: &ax)
        let finalRR = residualAndObjective()
        let finalResidual = finalRR.squareRoot() / yNorm
        last.residual = finalResidual
        last.objective = 0.5 * inv * finalRR
        if options.recordHistory, !history.isEmpty { history[history.count - 1] = last }
        return Result(signal: xi.storage, gains: gamma,
                      report: SolverReport(stopReason: stop, final: last, history: history),
                      finalResidual: finalResidual)
    }
}

/// Why a calibration problem is rejected (one line each; the CLI prefixes the file or option).
public enum CalibrationInputError: Error, Equatable, CustomStringConvertible {
    case sizeMismatch(expected: Int, got: Int)
    case nonFinite
    case zeroMeasurements
    /// mp < n + m − 1: fewer equations than degrees of freedom.
    case tooFewMeasurements(equations: Int, unknowns: Int)
    /// A sensor whose p measurements are all zero (a dead pixel, gain 0, outside the model).
    case deadSensor(Int)
    case invalidOption(String)
    /// A subspace basis with the wrong size, non-orthonormal columns or (for gains) Bᵀ1 ≠ 0.
    case invalidBasis(String)
    /// mp < k + h with subspace priors.
    case tooFewMeasurementsForPriors(equations: Int, unknowns: Int)
    /// A sensing description that cannot be built (unknown kind, missing seed or matrices, bad sizes).
    case invalidSensing(String)

    public var description: String {
        switch self {
        case .sizeMismatch(let e, let g): return "measurements: expected \(e) values (p·m), got \(g)"
        case .nonFinite: return "measurements contain NaN or infinity"
        case .zeroMeasurements: return "measurements are all zero"
        case .tooFewMeasurements(let e, let u):
            return "too few measurements: m·p = \(e) < n + m − 1 = \(u) (underdetermined)"
        case .deadSensor(let i): return "sensor \(i) measured zero in every snapshot (dead pixel; gains must be positive)"
        case .invalidOption(let s): return s
        case .invalidBasis(let s): return s
        case .tooFewMeasurementsForPriors(let e, let u):
            return "too few measurements: m·p = \(e) < k + h = \(u) (underdetermined even with the subspace priors)"
        case .invalidSensing(let s): return s
        }
    }
}

/// Ground-truth comparison after the unavoidable normalisation (spec §8): the solver returns the
/// representative with 1ᵀγ̂ = m, so the truth (x*, d*) is rescaled to that representative,
/// α = 1ᵀd*/m: d* ← d*/α, x* ← α x* (the product diag(d*) A x* is unchanged), and then
///
///     e_x = ‖ξ̂ − αx*‖/‖αx*‖,   e_d = ‖γ̂ − d*/α‖/‖d*/α‖,   success ⇔ max(e_x, e_d) ≤ threshold.
public struct CalibrationErrors: Sendable, Equatable {
    /// Relative signal error e_x.
    public var signal: Double
    /// Relative gain error e_d.
    public var gains: Double
    /// max(e_x, e_d).
    public var maximum: Double { Swift.max(signal, gains) }

    /// Errors of (ξ̂, γ̂) against the truth (x*, d*); `nil` when 1ᵀd* is 0 or not finite
    /// (the normalisation is ill-posed).
    public init?(signal estimate: [Double], gains estimatedGains: [Double], trueSignal: [Double], trueGains: [Double]) {
        precondition(estimate.count == trueSignal.count && estimatedGains.count == trueGains.count,
                     "CalibrationErrors: size mismatch")
        let alpha = trueGains.reduce(0, +) / Double(trueGains.count)
        guard alpha.isFinite, alpha != 0 else { return nil }
        func rel(_ a: [Double], _ b: [Double], _ s: Double) -> Double {
            var num = 0.0, den = 0.0
            for i in 0..<a.count { let t = s * b[i]; num += (a[i] - t) * (a[i] - t); den += t * t }
            return den > 0 ? (num / den).squareRoot() : num.squareRoot()
        }
        signal = rel(estimate, trueSignal, alpha)
        gains = rel(estimatedGains, trueGains, 1 / alpha)
    }
}

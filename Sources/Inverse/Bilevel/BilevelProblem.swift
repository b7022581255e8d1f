import Imaging

/// A bilevel denoising problem: training pairs (clean x†_i, noisy y_i) and a model R(x; θ),
///
///     min_θ f(θ) = (1/m) Σ_i ½‖x̂_i(θ) − x†_i‖²,   x̂_i(θ) = argmin_x ½‖x − y_i‖² + R(x; θ).
///
/// Every per-image lower level is 1-strongly convex (μ = 1) and g_i = ½‖x − x†_i‖² has L_g = 1;
/// accuracies ε (distance to x̂_i) and δ (CG residual) are per image, absolute (spec §1a: no 1/m
/// rescaling of μ or ε).
public struct BilevelProblem<Model: BilevelModel>: Sendable {
    /// R(x; θ).
    public let model: Model
    /// x†_i.
    public let clean: [Grid]
    /// y_i.
    public let noisy: [Grid]

    /// Checks the pairs: at least one, 2-D, equal shapes within each pair, finite values.
    public init(model: Model, clean: [Grid], noisy: [Grid]) throws {
        guard !clean.isEmpty else { throw BilevelError.invalidTrainingSet("no training images") }
        guard clean.count == noisy.count else {
            throw BilevelError.invalidTrainingSet("\(clean.count) clean images but \(noisy.count) noisy ones")
        }
        for i in clean.indices {
            guard clean[i].rank == 2 else { throw BilevelError.invalidTrainingSet("image \(i) has shape \(clean[i].shape); 2-D images are needed") }
            guard clean[i].shape == noisy[i].shape else {
                throw BilevelError.invalidTrainingSet("pair \(i): clean \(clean[i].shape) but noisy \(noisy[i].shape)")
            }
            if let bad = clean[i].firstNonFinite { throw BilevelError.invalidTrainingSet("clean image \(i) holds \(bad.value) at flat index \(bad.index)") }
            if let bad = noisy[i].firstNonFinite { throw BilevelError.invalidTrainingSet("noisy image \(i) holds \(bad.value) at flat index \(bad.index)") }
        }
        self.model = model
        self.clean = clean
        self.noisy = noisy
    }

    /// m.
    public var imageCount: Int { clean.count }

    /// Mean PSNR (data range 1) of `images` against the clean images.
    public func meanPSNR(_ images: [Grid]) -> Double {
        precondition(images.count == clean.count, "meanPSNR: \(images.count) images for \(clean.count) clean ones")
        return zip(images, clean).map { Metrics.psnr($0, reference: $1, dataRange: 1) }.reduce(0, +) / Double(clean.count)
    }
}

/// Upper-level quantities at one θ: certified loss bounds and the inexact hypergradient with its
/// a-posteriori error bound (spec §2–3).
public struct BilevelEvaluation: Sendable {
    /// θ.
    public var theta: [Double]
    /// (1/m) Σ g_i(x̃_i), the loss at the computed lower-level solutions.
    public var loss: Double
    /// (1/m) Σ [g_i(x̃_i) + ‖∇g_i(x̃_i)‖ r_i + r_i²/2] ≥ f(θ).
    public var lossUpper: Double
    /// (1/m) Σ [g_i(x̃_i) − ‖∇g_i(x̃_i)‖ r_i] ≤ f(θ) (g convex).
    public var lossLower: Double
    /// Certified distances r_i = ‖∇ₓh_i(x̃_i)‖/μ ≥ ‖x̃_i − x̂_i‖ (each ≤ ε unless a solve hit its cap).
    public var distanceBounds: [Double]
    /// z = (1/m) Σ −B_iᵀq_i (empty when only the loss was evaluated).
    public var hypergradient: [Double]
    /// ω ≥ ‖z − ∇f(θ)‖ (with the estimated constants; 0 when only the loss was evaluated).
    public var errorBound: Double
    /// Final CG residuals ‖A_i q_i − ∇g_i‖ (≤ δ unless CG hit its cap).
    public var cgResiduals: [Double]
    /// The lower-level solutions x̃_i.
    public var reconstructions: [Grid]

    /// ‖z‖.
    public var hypergradientNorm: Double { hypergradient.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}

/// Per-image state shared with the worker threads; each worker touches only its own images.
final class BilevelImageState: @unchecked Sendable {
    let clean: Grid, noisy: Grid
    /// Current lower-level solution (warm start) and a trial buffer for line searches.
    var x: Grid, trial: Grid
    var distance = Double.infinity, trialDistance = Double.infinity
    /// Adjoint q (warm start for CG).
    var q: Grid
    var cgResidual = 0.0
    /// Unit random direction for the constant estimates.
    let probe: Grid
    var lastIterations = 0, lastCGIterations = 0
    var contribution: [Double] = []
    var omega = 0.0
    var failure: BilevelError?

    init(clean: Grid, noisy: Grid, seed: UInt64) {
        self.clean = clean
        self.noisy = noisy
        x = noisy
        trial = noisy
        q = Grid(shape: noisy.shape)
        var random = RandomSource(seed: seed)
        var p = random.gaussianGrid(noisy.shape)
        p.scale(by: 1 / p.norm)
        probe = p
    }
}

/// Work counters and settings of the per-image solvers.
public struct BilevelSolverLimits: Sendable, Equatable {
    /// FISTA iterations per lower-level solve.
    public var maxIterationsPerSolve: Int = 2000
    /// CG iterations per adjoint solve.
    public var maxCGIterations: Int = 2000
    /// Multiplier (≥ 1) applied to the estimated constants ‖B‖, L_B, L_{A⁻¹} of ω.
    public var constantSafetyFactor: Double = 1
    /// Defaults.
    public init() {}
}

/// Evaluates lower-level solutions, certified loss bounds and hypergradients of a
/// ``BilevelProblem``, keeping warm starts (x̃_i and q_i) between calls and counting work.
/// Images are processed in parallel (``parallelFor(count:workPerItem:_:)``, both cores).
///
/// Not thread-safe: use one evaluator from one thread at a time.
public final class BilevelEvaluator<Model: BilevelModel>: @unchecked Sendable {
    /// The problem.
    public let problem: BilevelProblem<Model>
    /// Solver caps and the ω safety factor.
    public var limits: BilevelSolverLimits
    /// FISTA iterations so far (all images).
    public private(set) var lowerLevelIterations = 0
    /// CG iterations so far (all images).
    public private(set) var cgIterations = 0
    /// FISTA iterations counted as if the images were one stacked problem (the reference code's
    /// count): the sum over solves of the largest per-image count.
    public private(set) var stackedLowerLevelIterations = 0
    /// CG iterations counted as for one stacked problem (sum over solves of the per-image maximum).
    public private(set) var stackedCGIterations = 0
    let states: [BilevelImageState]

    /// An evaluator with warm starts at the noisy images; `seed` drives the random probe
    /// directions of the constant estimates.
    public init(problem: BilevelProblem<Model>, limits: BilevelSolverLimits = BilevelSolverLimits(), seed: UInt64 = 0) {
        self.problem = problem
        self.limits = limits
        states = problem.clean.indices.map {
            BilevelImageState(clean: problem.clean[$0], noisy: problem.noisy[$0],
                              seed: RandomSource.derivedSeed(seed, "bilevel probe \($0)"))
        }
    }

    /// The current lower-level solutions x̃_i.
    public var reconstructions: [Grid] { states.map(\.x) }

    func forEachImage(_ body: @escaping @Sendable (Int, BilevelImageState) -> Void) throws {
        let states = self.states
        let work = states.map { $0.noisy.count }.reduce(0, +) * 1000
        parallelFor(count: states.count, workPerItem: work) { range in
            for i in range { body(i, states[i]) }
        }
        if let e = states.compactMap(\.failure).first {
            for s in states { s.failure = nil }
            throw e
        }
    }

    /// Solves every lower level at θ to the certified distance ε, warm-started from the current
    /// x̃_i, into the trial buffers (`commit` = false) or the current solutions.
    /// - Returns: (loss, upper bound, lower bound, distances r_i).
    @discardableResult
    func solve(theta: [Double], epsilon: Double, commit: Bool) throws -> (loss: Double, upper: Double, lower: Double, distances: [Double]) {
        let model = problem.model, cap = limits.maxIterationsPerSolve
        try forEachImage { _, s in
            let shape = s.noisy.shape
            let r = model.regularizer(theta: theta, height: shape[0], width: shape[1])
            let lipschitz = 1 + model.lipschitzConstant(r)
            let out = certifiedFISTA(objective: DenoisingObjective(noisy: s.noisy, regularizer: r), start: s.x,
                                     lipschitz: lipschitz, epsilon: epsilon, maxIterations: cap)
            s.lastIterations = out.iterations
            if commit { s.x = out.solution; s.distance = out.residual } else { s.trial = out.solution; s.trialDistance = out.residual }
        }
        lowerLevelIterations += states.reduce(0) { $0 + $1.lastIterations }
        stackedLowerLevelIterations += states.map(\.lastIterations).max() ?? 0
        return bounds(commit: commit)
    }

    /// Loss and its certified bounds from the current (or trial) solutions.
    func bounds(commit: Bool) -> (loss: Double, upper: Double, lower: Double, distances: [Double]) {
        var loss = 0.0, upper = 0.0, lower = 0.0
        var distances: [Double] = []
        for s in states {
            let x = commit ? s.x : s.trial, r = commit ? s.distance : s.trialDistance
            let d2 = x.squaredDistance(to: s.clean), g = 0.5 * d2, gradNorm = d2.squareRoot()
            loss += g
            upper += g + gradNorm * r + 0.5 * r * r
            lower += g - gradNorm * r
            distances.append(r)
        }
        let m = Double(states.count)
        return (loss / m, upper / m, lower / m, distances)
    }

    /// Makes the trial solutions current.
    func acceptTrial() {
        for s in states { swap(&s.x, &s.trial); s.distance = s.trialDistance }
    }

    /// Hypergradient z = (1/m) Σ −B_iᵀ q_i at the current x̃_i, with CG to absolute residual δ
    /// (warm-started from the previous q_i), and its error bound ω = (1/m) Σ ω_i with
    ///
    ///     ω_i = c_i r_i + ‖B_i‖ δ_i + (L_B + L_{A⁻¹}‖B_i‖) r_i²,
    ///     c_i = ‖B_i‖ + L_{A⁻¹}‖∇g_i‖‖B_i‖ + L_B‖∇g_i‖        (μ = 1, L_g = 1),
    ///
    /// r_i the certified distance of x̃_i and δ_i the final CG residual; the constants are the
    /// local estimates documented in docs/bilevel.md.
    func hypergradient(theta: [Double], delta: Double) throws -> (z: [Double], omega: Double) {
        let model = problem.model, cap = limits.maxCGIterations, safety = limits.constantSafetyFactor
        try forEachImage { i, s in
            let shape = s.noisy.shape
            let r = model.regularizer(theta: theta, height: shape[0], width: shape[1])
            let h = DenoisingObjective(noisy: s.noisy, regularizer: r)
            var b = s.x; b.subtract(s.clean)                           // ∇g_i(x̃_i)
            var cg = ConjugateGradient(operator: h.hessian(at: s.x), rightHandSide: b, initialGuess: s.q,
                                       absoluteTolerance: delta, relativeTolerance: 0)
            var iterations = 0
            while cg.residualNorm > delta && iterations < cap {
                cg.step()
                if let why = cg.breakdown { s.failure = .hessianNotPositiveDefinite("image \(i): \(why)"); return }
                iterations += 1
            }
            s.q = cg.iterate
            s.cgResidual = cg.residualNorm
            s.lastCGIterations = iterations
            let bq = model.mixedDerivative(r, theta: theta, at: s.x, direction: s.q)
            s.contribution = bq.map { -$0 }
            // Constants of ω (heuristic local estimates, docs/bilevel.md), along u = q/‖q‖ (the
            // probe when q = 0: ∇g(x̃) = 0 does not mean that the constants vanish).
            let qn = s.q.norm, gn = b.norm
            let u: Grid = qn > 0 ? (1 / qn) * s.q : s.probe
            let bu = qn > 0 ? bq.map { $0 / qn } : model.mixedDerivative(r, theta: theta, at: s.x, direction: u)
            let bp = model.mixedDerivative(r, theta: theta, at: s.x, direction: s.probe)
            let bun = norm(bu)
            var normB = Swift.max(bun, norm(bp))
            if bun > 0 {   // one power step: ‖Bᵀt‖ for t = Bu/‖Bu‖ (≥ ‖Bu‖ by Cauchy–Schwarz)
                let t = bu.map { $0 / bun }
                normB = Swift.max(normB, model.transposedMixedDerivative(theta: theta, at: s.x, direction: t,
                                                                         height: shape[0], width: shape[1]).norm)
            }
            let step = Swift.max(s.distance, 1e-6 * Swift.max(s.x.norm, 1))
            var xp = s.x; xp.axpy(step, s.probe)
            let bup = model.mixedDerivative(r, theta: theta, at: xp, direction: u)
            var lB = zip(bup, bu).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() / step
            var au = Grid(shape: shape), apu = Grid(shape: shape)
            h.hessianVectorProduct(s.x, direction: u, into: &au)
            h.hessianVectorProduct(xp, direction: u, into: &apu)
            var lAinv = apu.squaredDistance(to: au).squareRoot() / step
            normB *= safety; lB *= safety; lAinv *= safety
            let rr = s.distance
            let c = normB + lAinv * gn * normB + lB * gn
            s.omega = c * rr + normB * s.cgResidual + (lB + lAinv * normB) * rr * rr
        }
        cgIterations += states.reduce(0) { $0 + $1.lastCGIterations }
        stackedCGIterations += states.map(\.lastCGIterations).max() ?? 0
        let m = Double(states.count)
        var z = [Double](repeating: 0, count: problem.model.parameterCount)
        var omega = 0.0
        for s in states {
            for j in z.indices { z[j] += s.contribution[j] / m }
            omega += s.omega / m
        }
        return (z, omega)
    }

    /// Solves the lower levels at θ to ε (warm-started) and, when `delta` is given, computes the
    /// hypergradient with CG to δ: the loss bounds, z and ω at θ.
    public func evaluate(theta: [Double], epsilon: Double, delta: Double? = nil) throws -> BilevelEvaluation {
        try problem.model.validate(theta: theta)
        guard epsilon > 0, epsilon.isFinite else {
            throw BilevelError.invalidOption(name: "epsilon", value: epsilon, reason: "ε must be finite and > 0")
        }
        if let delta, !(delta > 0 && delta.isFinite) {
            throw BilevelError.invalidOption(name: "delta", value: delta, reason: "δ must be finite and > 0")
        }
        let b = try solve(theta: theta, epsilon: epsilon, commit: true)
        var z: [Double] = [], omega = 0.0
        if let delta { (z, omega) = try hypergradient(theta: theta, delta: delta) }
        return BilevelEvaluation(theta: theta, loss: b.loss, lossUpper: b.upper, lossLower: b.lower,
                                 distanceBounds: b.distances, hypergradient: z, errorBound: omega,
                                 cgResiduals: states.map(\.cgResidual), reconstructions: reconstructions)
    }
}

func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// Result of ``certifiedFISTA(objective:start:lipschitz:epsilon:maxIterations:)``.
struct CertifiedSolve {
    var solution: Grid
    /// ‖∇h(solution)‖ (certified distance bound with μ = 1).
    var residual: Double
    var iterations: Int
}

/// FISTA for the 1-strongly convex h (step 1/L, constant momentum (1 − √q)/(1 + √q), q = 1/L),
/// stopped by the certified test ‖∇h(·)‖ ≤ ε. The test is made at the extrapolated point y_k,
/// whose gradient the iteration computes anyway, and y_k is returned: no extra gradient
/// evaluations. Allocates its buffers once per call.
func certifiedFISTA<R: TwiceDifferentiableFunctional>(objective h: DenoisingObjective<R>, start: Grid, lipschitz: Double,
                                                     epsilon: Double, maxIterations: Int) -> CertifiedSolve {
    var y = start, x = start, previous = start
    var g = Grid(shape: start.shape), workspace = h.makeWorkspace()
    let tau = 1 / lipschitz, sq = (1 / lipschitz).squareRoot(), beta = (1 - sq) / (1 + sq)
    var iterations = 0
    while true {
        _ = h.valueAndGradient(y, gradient: &g, workspace: &workspace)
        let residual = g.norm
        if !residual.isFinite { return CertifiedSolve(solution: y, residual: .infinity, iterations: iterations) }
        if residual <= epsilon || iterations >= maxIterations {
            return CertifiedSolve(solution: y, residual: residual, iterations: iterations)
        }
        swap(&x, &previous)
        x.assign(y); x.axpy(-tau, g)                      // x_{k+1} = y_k − τ∇h(y_k)
        y.assign(x); y.scale(by: 1 + beta); y.axpy(-beta, previous)
        iterations += 1
    }
}

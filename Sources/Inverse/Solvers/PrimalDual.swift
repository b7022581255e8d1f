/// The primal–dual hybrid gradient method of Chambolle and Pock (J. Math. Imaging Vision 40,
/// 2011: Alg. 1, and its accelerated Alg. 2 for a uniformly convex primal term) for
///
///     min_x G(x) + F(K x)   ⇔   min_x max_p ⟨K x, p⟩ + G(x) − F*(p),
///
/// with G, F convex and proximable and K linear. Iteration n:
///
///     p_{n+1} = prox_{σ_n F*}(p_n + σ_n K x̄_n)
///     x_{n+1} = prox_{τ_n G}(x_n − τ_n Kᵀ p_{n+1})
///     θ_n = 1/sqrt(1 + 2γτ_n),  τ_{n+1} = θ_n τ_n,  σ_{n+1} = σ_n/θ_n     (γ = 0: θ = 1)
///     x̄_{n+1} = x_{n+1} + θ_n (x_{n+1} − x_n)
///
/// Step-size condition: τ₀σ₀‖K‖² ≤ 1 (the default is τ₀ = σ₀ = 1/‖K‖). With G γ-strongly convex
/// (γ > 0 given), the accelerated variant converges at O(1/n²).
///
/// Duality gap: when G and F conform to ``ConvexConjugateFunctional``, every iteration computes
///
///     gap(x, p) = G(x) + F(Kx) + G*(−Kᵀp) + F*(p) ≥ G(x) + F(Kx) − min(G + F∘K),
///
/// a certificate of the objective error, and ``hasConverged(tolerance:)`` tests the relative gap
/// gap / |G(x) + F(Kx)|; otherwise it tests the relative change of x.
public struct PrimalDual<Primal: ProximableFunctional, Dual: ProximableFunctional, Operator: LinearOperator>: IterativeSolver {
    /// G.
    public let primal: Primal
    /// F.
    public let dual: Dual
    /// K.
    public let linearOperator: Operator
    /// γ ≥ 0 used in the accelerated steps (0: the plain method). Any 0 < γ ≤ the strong-convexity
    /// modulus of G is valid; a smaller γ shrinks τ more slowly, which can be much faster in practice.
    public let primalStrongConvexity: Double
    /// The ‖K‖ used for the step sizes.
    public let operatorNormUsed: Double
    /// Current primal and dual step sizes.
    public private(set) var primalStepSize: Double, dualStepSize: Double

    /// (x, Kx, p, −Kᵀp) ↦ (G(x) + F(Kx), −G*(−Kᵀp) − F*(p)).
    let objectives: ((Grid, Grid, Grid, Grid) -> (primal: Double, dual: Double))?
    var x: Grid, previous: Grid, extrapolated: Grid, p: Grid, dualTrial: Grid, kx: Grid, ktp: Grid
    var iteration = 0
    var lastStatistics: IterationStatistics
    let start: ContinuousClock.Instant
    /// The gap is computed every `gapInterval` iterations (1: every iteration).
    public let gapInterval: Int
    /// Set when an iterate becomes non-finite.
    public private(set) var breakdown: String?

    /// Chambolle–Pock from `initialGuess` (and `initialDual`, zero by default).
    ///
    /// When both G and F conform to ``ConvexConjugateFunctional`` the duality gap is computed each
    /// iteration (one extra application of K) and stopping uses the relative gap.
    ///
    /// - Parameters:
    ///   - operatorNorm: ‖K‖ (an upper bound); nil estimates it by 100 power iterations times 1.05.
    ///   - primalStrongConvexity: γ > 0 (G γ-strongly convex) switches on the accelerated variant.
    ///   - primalStepSize: τ₀; σ₀ = 1/(τ₀‖K‖²). Default τ₀ = 1/‖K‖.
    ///   - gapInterval: compute the gap (one extra K application and a few reductions) only every
    ///     `gapInterval` iterations; convergence is tested on those iterations.
    public init(primal: Primal, dual: Dual, operator: Operator, initialGuess: Grid, initialDual: Grid? = nil,
                operatorNorm: Double? = nil, primalStrongConvexity gamma: Double = 0, primalStepSize: Double? = nil,
                gapInterval: Int = 1) {
        precondition(gapInterval >= 1, "PrimalDual: gap interval must be ≥ 1, got \(gapInterval)")
        self.gapInterval = gapInterval
        precondition(initialGuess.count == `operator`.domain.count,
                     "PrimalDual: initial guess \(initialGuess.shape), operator domain \(`operator`.domain)")
        precondition(initialGuess.isFinite, "PrimalDual: initial guess contains NaN or infinity")
        precondition(gamma >= 0 && gamma.isFinite, "PrimalDual: strong convexity must be finite and ≥ 0, got \(gamma)")
        start = ContinuousClock.now
        self.primal = primal
        self.dual = dual
        self.linearOperator = `operator`
        self.primalStrongConvexity = gamma
        let norm = operatorNorm ?? Inverse.operatorNorm(`operator`, iterations: 100) * 1.05
        precondition(norm > 0 && norm.isFinite, "PrimalDual: operator norm must be finite and > 0, got \(norm)")
        operatorNormUsed = norm
        let tau = primalStepSize ?? 1 / norm
        precondition(tau > 0 && tau.isFinite, "PrimalDual: primal step size must be finite and > 0")
        self.primalStepSize = tau
        dualStepSize = 1 / (tau * norm * norm)
        if let g = primal as? any ConvexConjugateFunctional, let f = dual as? any ConvexConjugateFunctional {
            // One existential call per whole grid: free at this granularity (architecture §5.2.5).
            self.objectives = { x, kx, p, negativeKtp in
                (g.value(x) + f.value(kx), -g.convexConjugateValue(negativeKtp) - f.convexConjugateValue(p))
            }
        } else {
            self.objectives = nil
        }
        x = initialGuess.reshaped(`operator`.domain)
        previous = x
        extrapolated = x
        if let p0 = initialDual {
            precondition(p0.count == `operator`.range.count, "PrimalDual: initial dual \(p0.shape), operator range \(`operator`.range)")
            p = p0.reshaped(`operator`.range)
        } else {
            p = Grid(shape: `operator`.range)
        }
        dualTrial = Grid(shape: `operator`.range)
        kx = Grid(shape: `operator`.range)
        ktp = Grid(shape: `operator`.domain)
        lastStatistics = IterationStatistics(iteration: 0, relativeChange: 0, stepSize: tau, seconds: 0, elapsedSeconds: 0)
    }

    /// x_n.
    public var iterate: Grid { x }
    /// p_n.
    public var dualIterate: Grid { p }

    /// One primal–dual iteration, with the gap when available (no allocation beyond what the
    /// functionals and K allocate; conjugate proxes without a closed form allocate one grid).
    public mutating func step() {
        guard breakdown == nil else { return }
        let t0 = ContinuousClock.now
        let tau = primalStepSize, sigma = dualStepSize
        // p ← prox_{σF*}(p + σ K x̄)
        linearOperator.apply(extrapolated, into: &kx)
        dualTrial.assign(p)
        dualTrial.axpy(sigma, kx)
        dual.proxConjugate(dualTrial, stepSize: sigma, into: &p)
        // x ← prox_{τG}(x − τ Kᵀp)
        linearOperator.applyAdjoint(p, into: &ktp)
        swap(&x, &previous)
        extrapolated.assign(previous)
        extrapolated.axpy(-tau, ktp)
        primal.prox(extrapolated, stepSize: tau, into: &x)
        // acceleration
        let theta = primalStrongConvexity > 0 ? 1 / (1 + 2 * primalStrongConvexity * tau).squareRoot() : 1
        primalStepSize = theta * tau
        dualStepSize = sigma / theta
        // x̄ ← x + θ(x − previous)
        extrapolated.assign(x)
        extrapolated.scale(by: 1 + theta)
        extrapolated.axpy(-theta, previous)
        iteration += 1
        var objective: Double? = nil, gap: Double? = nil, relativeGap: Double? = nil
        if let objectives, iteration % gapInterval == 0 {
            linearOperator.apply(x, into: &kx)
            ktp.scale(by: -1)
            let (pv, dv) = objectives(x, kx, p, ktp)
            objective = pv
            gap = pv - dv
            relativeGap = (pv - dv) / Swift.max(abs(pv), 1e-300)
        }
        let change = relativeDifference(x, previous)
        if !change.isFinite || (objective.map { !$0.isFinite } ?? false) { breakdown = "non-finite iterate or objective" }
        let now = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: iteration, objective: objective, gap: gap,
                                             relativeGap: relativeGap, relativeChange: change, stepSize: tau,
                                             seconds: secondsBetween(t0, now), elapsedSeconds: secondsBetween(start, now))
    }

    /// Statistics of the last iteration.
    public func statistics() -> IterationStatistics { lastStatistics }

    /// Relative gap ≤ tolerance when the gap is available (tested on the iterations that compute
    /// it), else relative change ≤ tolerance.
    public func hasConverged(tolerance: Double) -> Bool {
        guard iteration > 0 else { return false }
        if objectives != nil { return (lastStatistics.relativeGap ?? .infinity) <= tolerance }
        return lastStatistics.relativeChange <= tolerance
    }
}

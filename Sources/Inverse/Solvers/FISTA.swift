/// FISTA, the fast iterative shrinkage-thresholding algorithm (Beck & Teboulle, SIAM J. Imaging
/// Sci. 2(1), 2009), for min_x F(x) = f(x) + g(x) with f smooth (∇f L-Lipschitz) and g proximable.
///
/// Iteration k, with step τ = 1/L:
///
///     x_{k+1} = prox_{τg}(y_k − τ∇f(y_k))
///     y_{k+1} = x_{k+1} + β_k (x_{k+1} − x_k)
///
/// with β_k = (t_k − 1)/t_{k+1}, t_{k+1} = (1 + sqrt(1 + 4t_k²))/2, t₀ = 1 (O(1/k²) rate), or, when f
/// is μ-strongly convex with μ > 0 given, the constant momentum β = (1 − √q)/(1 + √q), q = μ/L
/// (linear rate 1 − √q; Nesterov 2004, §2.2; Chambolle & Pock, Acta Numerica 2016, Alg. 5).
///
/// Step size: ``StepSizeRule/lipschitz(_:)`` uses τ = 1/L with L given or f's
/// ``SmoothFunctional/lipschitzConstant`` (needs τ ≤ 1/L for the rate); ``StepSizeRule/backtracking(initialLipschitz:increaseFactor:)``
/// multiplies an estimate L by η until f(x⁺) ≤ f(y) + ⟨∇f(y), x⁺ − y⟩ + (L/2)‖x⁺ − y‖² (Beck–Teboulle's
/// rule; L never decreases).
///
/// Adaptive restart (optional, O'Donoghue & Candès, Found. Comput. Math. 15, 2015, gradient scheme):
/// when ⟨y_k − x_{k+1}, x_{k+1} − x_k⟩ > 0 the momentum is reset (t ← 1, y_{k+1} = x_{k+1}); this keeps
/// the O(1/k²) guarantee in practice and gives linear convergence on problems with quadratic growth.
///
/// Statistics: objective F(x_k) (when `computesObjective`), residual = gradient-mapping norm
/// ‖y − x⁺‖/τ (zero exactly at a minimiser), relative change ‖x_{k+1} − x_k‖/‖x_{k+1}‖.
/// ``hasConverged(tolerance:)``: relative change ≤ tolerance.
public struct FISTA<Smooth: SmoothFunctional, Nonsmooth: ProximableFunctional>: IterativeSolver {
    /// How τ is chosen.
    public enum StepSizeRule: Sendable {
        /// τ = 1/L, L given or (nil) taken from the smooth term's Lipschitz constant.
        case lipschitz(Double? = nil)
        /// Backtracking from `initialLipschitz`, multiplying L by `increaseFactor` (> 1) on failure.
        case backtracking(initialLipschitz: Double = 1, increaseFactor: Double = 2)
    }

    /// f.
    public let smooth: Smooth
    /// g.
    public let nonsmooth: Nonsmooth
    /// μ ≥ 0 (0: the t_k momentum).
    public let strongConvexity: Double
    /// Whether F(x_k) is evaluated each iteration (one extra f and g evaluation with a fixed step).
    public let computesObjective: Bool
    /// Whether the momentum is reset adaptively (gradient scheme).
    public let restarts: Bool
    /// Number of momentum restarts so far.
    public private(set) var restartCount = 0
    let backtracking: Bool
    let increaseFactor: Double
    /// The current Lipschitz estimate L (τ = 1/L).
    public private(set) var lipschitzEstimate: Double

    var x: Grid, previous: Grid, y: Grid, gradient: Grid, trial: Grid, workspace: Grid
    var t = 1.0
    var iteration = 0
    var lastStatistics: IterationStatistics
    let start: ContinuousClock.Instant
    /// Set when backtracking cannot satisfy its test or the iterate becomes non-finite.
    public private(set) var breakdown: String?

    /// FISTA from `initialGuess`.
    public init(smooth: Smooth, nonsmooth: Nonsmooth, initialGuess: Grid,
                stepSize rule: StepSizeRule = .lipschitz(), strongConvexity mu: Double = 0,
                restarts: Bool = false, computesObjective: Bool = true) {
        precondition(mu >= 0 && mu.isFinite, "FISTA: strong convexity must be finite and ≥ 0, got \(mu)")
        precondition(initialGuess.isFinite, "FISTA: initial guess contains NaN or infinity")
        start = ContinuousClock.now
        self.smooth = smooth
        self.nonsmooth = nonsmooth
        self.strongConvexity = mu
        self.computesObjective = computesObjective
        self.restarts = restarts
        switch rule {
        case .lipschitz(let l):
            guard let lip = l ?? smooth.lipschitzConstant else {
                preconditionFailure("FISTA: no Lipschitz constant given or known; use .backtracking")
            }
            precondition(lip > 0 && lip.isFinite, "FISTA: Lipschitz constant must be finite and > 0, got \(lip)")
            lipschitzEstimate = lip
            backtracking = false
            increaseFactor = 1
        case .backtracking(let l0, let eta):
            precondition(l0 > 0 && l0.isFinite && eta > 1, "FISTA: backtracking needs L₀ > 0 and a factor > 1")
            lipschitzEstimate = l0
            backtracking = true
            increaseFactor = eta
        }
        precondition(mu <= lipschitzEstimate || backtracking,
                     "FISTA: strong convexity μ = \(mu) exceeds the Lipschitz constant \(lipschitzEstimate)")
        x = initialGuess
        previous = initialGuess
        y = initialGuess
        gradient = Grid(shape: initialGuess.shape)
        trial = Grid(shape: initialGuess.shape)
        workspace = smooth.makeWorkspace()
        lastStatistics = IterationStatistics(iteration: 0, relativeChange: 0, stepSize: 1 / lipschitzEstimate,
                                             seconds: 0, elapsedSeconds: 0)
    }

    /// x_k.
    public var iterate: Grid { x }

    /// One FISTA iteration (no allocation beyond what f, g and their operators allocate).
    public mutating func step() {
        guard breakdown == nil else { return }
        let t0 = ContinuousClock.now
        let fy = smooth.valueAndGradient(y, gradient: &gradient, workspace: &workspace)
        swap(&x, &previous)
        var fx = Double.nan
        var attempts = 0
        while true {
            let tau = 1 / lipschitzEstimate
            trial.assign(y)
            trial.axpy(-tau, gradient)
            nonsmooth.prox(trial, stepSize: tau, into: &x)
            if !backtracking { break }
            fx = smooth.value(x, workspace: &workspace)
            // Q_L(x, y) = f(y) + ⟨∇f(y), x − y⟩ + (L/2)‖x − y‖²
            let model = fy + gradient.dot(x) - gradient.dot(y) + 0.5 * lipschitzEstimate * x.squaredDistance(to: y)
            if fx <= model + 1e-12 * Swift.max(abs(fy), 1e-300) { break }
            attempts += 1
            if attempts > 100 {
                breakdown = "backtracking did not satisfy the sufficient-decrease test (L = \(lipschitzEstimate))"
                return
            }
            lipschitzEstimate *= increaseFactor
        }
        let tau = 1 / lipschitzEstimate
        let mappingNorm = x.squaredDistance(to: y).squareRoot() / tau
        var beta: Double
        if restarts && Self.restartTest(y: y, x: x, previous: previous) > 0 {
            // ⟨y − x⁺, x⁺ − x⟩ > 0: the momentum points uphill; restart.
            t = 1
            beta = 0
            restartCount += 1
        } else if strongConvexity > 0 {
            let q = Swift.min(strongConvexity * tau, 1)
            beta = (1 - q.squareRoot()) / (1 + q.squareRoot())
        } else {
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            beta = (t - 1) / tNext
            t = tNext
        }
        // y ← x + β(x − previous)
        y.assign(x)
        y.scale(by: 1 + beta)
        y.axpy(-beta, previous)
        iteration += 1
        var objective: Double? = nil
        if computesObjective {
            if !backtracking { fx = smooth.value(x, workspace: &workspace) }
            objective = fx + nonsmooth.value(x)
        }
        let change = relativeDifference(x, previous)
        if !change.isFinite { breakdown = "non-finite iterate" }
        let now = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: iteration, objective: objective, residual: mappingNorm,
                                             relativeChange: change, stepSize: tau,
                                             seconds: secondsBetween(t0, now), elapsedSeconds: secondsBetween(start, now))
    }

    /// ⟨y − x, x − previous⟩ in one pass.
    static func restartTest(y: Grid, x: Grid, previous: Grid) -> Double {
        y.storage.withUnsafeBufferPointer { yb in
            x.storage.withUnsafeBufferPointer { xb in
                previous.storage.withUnsafeBufferPointer { pb in
                    var s = 0.0
                    for i in 0..<xb.count { s += (yb[i] - xb[i]) * (xb[i] - pb[i]) }
                    return s
                }
            }
        }
    }

    /// Statistics of the last iteration.
    public func statistics() -> IterationStatistics { lastStatistics }

    /// Relative change ‖x_{k+1} − x_k‖/‖x_{k+1}‖ ≤ tolerance (after at least one iteration).
    public func hasConverged(tolerance: Double) -> Bool {
        iteration > 0 && lastStatistics.relativeChange <= tolerance
    }
}

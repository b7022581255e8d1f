/// Limited-memory BFGS (Liu & Nocedal, Math. Programming 45, 1989; Nocedal & Wright, "Numerical
/// Optimization", 2nd ed., Alg. 7.4 and 7.5) for min_x f(x) with f smooth.
///
/// Direction: d = −H_k ∇f(x_k) by the two-loop recursion over the last m pairs
/// s_i = x_{i+1} − x_i, y_i = ∇f(x_{i+1}) − ∇f(x_i) (pairs with ⟨s, y⟩ ≤ 1e-12‖s‖‖y‖ are skipped),
/// with initial scaling H⁰ = ⟨s, y⟩/⟨y, y⟩ of the newest pair.
///
/// Line search: strong Wolfe conditions f(x + αd) ≤ f(x) + c₁α⟨∇f, d⟩ and |⟨∇f(x + αd), d⟩| ≤ c₂|⟨∇f, d⟩|
/// (c₁ = 1e-4, c₂ = 0.9) by bracketing and zoom with safeguarded quadratic interpolation
/// (Nocedal & Wright Alg. 3.5–3.6), from α = 1 (α = min(1, 1/‖∇f‖) on the first iteration).
/// Near a minimiser f(x + αd) − f(x) drowns in round-off; the search then also accepts Hager and
/// Zhang's approximate Wolfe conditions (SIAM J. Optim. 16, 2005): f(x + αd) ≤ f(x) + ε|f(x)| with
/// ε = 1e-10 and c₂⟨∇f, d⟩ ≤ ⟨∇f(x + αd), d⟩ ≤ (2c₁ − 1)⟨∇f, d⟩, which use derivatives only.
/// Fallback, documented: if no Wolfe point is found within 30 evaluations, the best point that
/// satisfies the Armijo condition is accepted; if there is none, the memory is cleared and a
/// steepest-descent step with Armijo backtracking (halving, at most 60 times) is tried; if that
/// fails too, the solver reports a breakdown.
///
/// Statistics: objective f(x_k), residual ‖∇f(x_k)‖, step size α.
/// ``hasConverged(tolerance:)``: ‖∇f(x_k)‖ ≤ tolerance.
public struct LBFGS<Objective: SmoothFunctional>: IterativeSolver {
    /// f.
    public let objective: Objective
    /// m, the number of stored pairs.
    public let memory: Int
    /// Armijo constant c₁.
    public let sufficientDecrease = 1e-4
    /// Curvature constant c₂.
    public let curvature = 0.9

    var x: Grid, g: Grid, fx: Double
    var d: Grid, xTrial: Grid, gTrial: Grid, workspace: Grid
    var s: [Grid], y: [Grid], rho: [Double], alphas: [Double]
    var head = 0, stored = 0
    var iteration = 0
    var lastStatistics: IterationStatistics
    let start: ContinuousClock.Instant
    /// Set when the line search and its fallback both fail, or values become non-finite.
    public private(set) var breakdown: String?

    /// L-BFGS from `initialGuess` with memory m ≥ 1.
    public init(objective: Objective, initialGuess: Grid, memory: Int = 10) {
        precondition(memory >= 1, "LBFGS: memory must be ≥ 1, got \(memory)")
        precondition(initialGuess.isFinite, "LBFGS: initial guess contains NaN or infinity")
        start = ContinuousClock.now
        self.objective = objective
        self.memory = memory
        x = initialGuess
        g = Grid(shape: initialGuess.shape)
        workspace = objective.makeWorkspace()
        fx = objective.valueAndGradient(initialGuess, gradient: &g, workspace: &workspace)
        d = Grid(shape: initialGuess.shape)
        xTrial = initialGuess
        gTrial = Grid(shape: initialGuess.shape)
        s = Array(repeating: Grid(shape: initialGuess.shape), count: memory)
        y = Array(repeating: Grid(shape: initialGuess.shape), count: memory)
        rho = Array(repeating: 0, count: memory)
        alphas = Array(repeating: 0, count: memory)
        lastStatistics = IterationStatistics(iteration: 0, objective: fx, residual: g.norm, relativeChange: 0,
                                             stepSize: 0, seconds: 0, elapsedSeconds: 0)
        if !fx.isFinite || !g.isFinite { breakdown = "non-finite objective or gradient at the initial guess" }
    }

    /// x_k.
    public var iterate: Grid { x }

    /// d ← −H∇f by the two-loop recursion.
    mutating func computeDirection() {
        d.assign(g)
        var k = stored
        var idx = head
        while k > 0 {
            idx = (idx - 1 + memory) % memory
            let a = rho[idx] * s[idx].dot(d)
            alphas[idx] = a
            d.axpy(-a, y[idx])
            k -= 1
        }
        if stored > 0 {
            let newest = (head - 1 + memory) % memory
            let gamma = s[newest].dot(y[newest]) / y[newest].squaredNorm
            d.scale(by: gamma)
        }
        for _ in 0..<stored {
            let b = rho[idx] * y[idx].dot(d)
            d.axpy(alphas[idx] - b, s[idx])
            idx = (idx + 1) % memory
        }
        d.scale(by: -1)
    }

    /// xTrial ← x + αd, gTrial ← ∇f(xTrial); returns (f(xTrial), ⟨gTrial, d⟩).
    mutating func evaluate(_ alpha: Double) -> (value: Double, slope: Double) {
        xTrial.assign(x)
        xTrial.axpy(alpha, d)
        let v = objective.valueAndGradient(xTrial, gradient: &gTrial, workspace: &workspace)
        return (v, gTrial.dot(d))
    }

    /// Strong-Wolfe line search; on success xTrial/gTrial hold the accepted point.
    mutating func wolfeSearch(initialStep: Double, slope0: Double) -> (alpha: Double, value: Double)? {
        let c1 = sufficientDecrease, c2 = curvature, f0 = fx
        let slack = 1e-10 * abs(f0)
        /// Hager–Zhang approximate Wolfe test (for round-off-limited decrease).
        func approximateWolfe(_ v: Double, _ sl: Double) -> Bool {
            v <= f0 + slack && sl >= c2 * slope0 && sl <= (2 * c1 - 1) * slope0
        }
        var evaluations = 0
        let maxEvaluations = 30
        var bestArmijo: (alpha: Double, value: Double)? = nil
        func noteArmijo(_ a: Double, _ v: Double) {
            if v <= f0 + c1 * a * slope0, v < (bestArmijo?.value ?? .infinity) { bestArmijo = (a, v) }
        }
        var aPrev = 0.0, fPrev = f0, slopePrev = slope0
        var a = initialStep
        var lo = 0.0, hi = 0.0, fLo = f0, slopeLo = slope0, fHi = 0.0
        var bracketed = false
        while evaluations < maxEvaluations {
            let (v, sl) = evaluate(a); evaluations += 1
            if !v.isFinite {
                lo = aPrev; fLo = fPrev; slopeLo = slopePrev; hi = a; fHi = .infinity; bracketed = true; break
            }
            noteArmijo(a, v)
            if approximateWolfe(v, sl) { return (a, v) }
            if v > f0 + c1 * a * slope0 || (evaluations > 1 && v >= fPrev) {
                lo = aPrev; fLo = fPrev; slopeLo = slopePrev; hi = a; fHi = v; bracketed = true; break
            }
            if abs(sl) <= -c2 * slope0 { return (a, v) }
            if sl >= 0 {
                lo = a; fLo = v; slopeLo = sl; hi = aPrev; fHi = fPrev; bracketed = true; break
            }
            aPrev = a; fPrev = v; slopePrev = sl
            a *= 2
        }
        if bracketed {
            while evaluations < maxEvaluations {
                // Safeguarded quadratic interpolation from (lo, fLo, slopeLo) and (hi, fHi).
                let width = hi - lo
                var trial = lo + width / 2
                if fHi.isFinite {
                    let denom = 2 * (fHi - fLo - slopeLo * width)
                    if denom > 0 { trial = lo - slopeLo * width * width / denom }
                }
                let low = Swift.min(lo, hi), high = Swift.max(lo, hi), margin = 0.1 * (high - low)
                if !(trial > low + margin && trial < high - margin) { trial = (lo + hi) / 2 }
                let (v, sl) = evaluate(trial); evaluations += 1
                if v.isFinite { noteArmijo(trial, v) }
                if v.isFinite && approximateWolfe(v, sl) { return (trial, v) }
                if !v.isFinite || v > f0 + c1 * trial * slope0 || v >= fLo {
                    hi = trial; fHi = v
                } else {
                    if abs(sl) <= -c2 * slope0 { return (trial, v) }
                    if sl * (hi - lo) >= 0 { hi = lo; fHi = fLo }
                    lo = trial; fLo = v; slopeLo = sl
                }
                if abs(hi - lo) <= 1e-16 * Swift.max(abs(lo), 1) { break }
            }
        }
        if let best = bestArmijo {
            // Fallback 1: accept the best Armijo point (re-evaluate to refresh the trial buffers).
            let (v, _) = evaluate(best.alpha)
            return (best.alpha, v)
        }
        return nil
    }

    /// One L-BFGS iteration (no allocation beyond what f allocates).
    public mutating func step() {
        guard breakdown == nil else { return }
        let t0 = ContinuousClock.now
        computeDirection()
        var slope0 = g.dot(d)
        if !(slope0 < 0) {
            // Not a descent direction (round-off or a bad pair): restart from steepest descent.
            stored = 0; head = 0
            d.assign(g); d.scale(by: -1)
            slope0 = g.dot(d)
        }
        let gnorm = g.norm
        if gnorm == 0 {
            iteration += 1
            lastStatistics = IterationStatistics(iteration: iteration, objective: fx, residual: 0, relativeChange: 0,
                                                 stepSize: 0, seconds: 0, elapsedSeconds: secondsBetween(start, .now))
            return
        }
        let initial = (iteration == 0 || stored == 0) ? Swift.min(1, 1 / gnorm) : 1
        var accepted = wolfeSearch(initialStep: initial, slope0: slope0)
        if accepted == nil {
            // Fallback 2: clear the memory, steepest descent with Armijo backtracking.
            stored = 0; head = 0
            d.assign(g); d.scale(by: -1)
            slope0 = -gnorm * gnorm
            var a = Swift.min(1, 1 / gnorm)
            for _ in 0..<60 {
                let (v, _) = evaluate(a)
                if v.isFinite && v <= fx + sufficientDecrease * a * slope0 { accepted = (a, v); break }
                a /= 2
            }
        }
        guard let (alpha, value) = accepted else {
            breakdown = "line search failed (no decrease along steepest descent)"
            return
        }
        // New pair s = x⁺ − x, y = ∇f(x⁺) − ∇f(x), stored in place.
        s[head].assign(xTrial); s[head].subtract(x)
        y[head].assign(gTrial); y[head].subtract(g)
        let sy = s[head].dot(y[head])
        let stepNorm = s[head].norm
        if sy > 1e-12 * stepNorm * y[head].norm {
            rho[head] = 1 / sy
            head = (head + 1) % memory
            stored = Swift.min(stored + 1, memory)
        }
        swap(&x, &xTrial)
        swap(&g, &gTrial)
        fx = value
        iteration += 1
        let gn = g.norm
        if !gn.isFinite || !fx.isFinite { breakdown = "non-finite objective or gradient" }
        let now = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: iteration, objective: fx, residual: gn,
                                             relativeChange: stepNorm / Swift.max(x.norm, 1e-300), stepSize: alpha,
                                             seconds: secondsBetween(t0, now), elapsedSeconds: secondsBetween(start, now))
    }

    /// Statistics of the last iteration.
    public func statistics() -> IterationStatistics { lastStatistics }

    /// ‖∇f(x_k)‖ ≤ tolerance.
    public func hasConverged(tolerance: Double) -> Bool {
        (lastStatistics.residual ?? .infinity) <= tolerance
    }
}

/// The upper-level loss f(θ) of a ``BilevelProblem`` as a smooth functional of θ (a rank-1 grid of
/// dim θ entries), evaluated with fixed tight accuracies ε and δ: the objective of reference
/// solutions by ``LBFGS`` (spec §7: "grid + L-BFGS with tight tolerances"). Warm starts are kept
/// between calls; ``evaluator`` exposes the work counters.
public struct BilevelLossFunctional<Model: BilevelModel>: SmoothFunctional {
    /// The evaluator (shared by copies of this value).
    public let evaluator: BilevelEvaluator<Model>
    /// ε of every evaluation.
    public let epsilon: Double
    /// δ of every gradient evaluation.
    public let delta: Double

    /// f with the given accuracies (ε, δ > 0) and per-solve caps.
    public init(problem: BilevelProblem<Model>, epsilon: Double = 1e-8, delta: Double = 1e-10,
                limits: BilevelSolverLimits = {
                    var l = BilevelSolverLimits(); l.maxIterationsPerSolve = 100_000; l.maxCGIterations = 100_000; return l
                }()) {
        evaluator = BilevelEvaluator(problem: problem, limits: limits)
        self.epsilon = epsilon
        self.delta = delta
    }

    /// No known constant.
    public var lipschitzConstant: Double? { nil }

    /// f(θ) (clipped to the model's box; NaN if the solve fails).
    public func value(_ theta: Grid) -> Double {
        (try? evaluator.evaluate(theta: problem.model.clip(theta.storage), epsilon: epsilon).loss) ?? .nan
    }

    /// ∇f(θ) by the IFT (NaN if the solve fails).
    public func gradient(_ theta: Grid, into g: inout Grid) {
        var unused = Grid(shape: Shape(1))
        _ = valueAndGradient(theta, gradient: &g, workspace: &unused)
    }

    /// f(θ) and ∇f(θ) from one lower-level solve.
    public func valueAndGradient(_ theta: Grid, gradient g: inout Grid, workspace: inout Grid) -> Double {
        guard let e = try? evaluator.evaluate(theta: problem.model.clip(theta.storage), epsilon: epsilon, delta: delta) else {
            g.fill(.nan)
            return .nan
        }
        g.storage = e.hypergradient
        return e.loss
    }

    var problem: BilevelProblem<Model> { evaluator.problem }
}

/// Golden-section search for a minimiser of a unimodal function on [a, b] (Kiefer 1953), to an
/// interval of width ≤ `tolerance`; returns the best point evaluated and its value.
public func goldenSectionMinimum(in interval: ClosedRange<Double>, tolerance: Double,
                                 _ f: (Double) throws -> Double) rethrows -> (x: Double, value: Double) {
    precondition(tolerance > 0, "goldenSectionMinimum: tolerance must be > 0")
    let r = (5.0.squareRoot() - 1) / 2
    var a = interval.lowerBound, b = interval.upperBound
    var c = b - r * (b - a), d = a + r * (b - a)
    var fc = try f(c), fd = try f(d)
    while b - a > tolerance {
        if fc < fd {
            b = d; d = c; fd = fc
            c = b - r * (b - a); fc = try f(c)
        } else {
            a = c; c = d; fc = fd
            d = a + r * (b - a); fd = try f(d)
        }
    }
    return fc < fd ? (c, fc) : (d, fd)
}

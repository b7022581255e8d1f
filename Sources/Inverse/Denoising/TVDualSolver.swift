/// FISTA on the dual of the ROF problem (Beck & Teboulle's fast gradient projection, IEEE Trans.
/// Image Process. 18(11), 2009), with adaptive restart, and the primal–dual gap every iteration.
///
/// Primal: min_x ½‖x − y‖² + R(∇x) with R = λ‖·‖_{2,1} (isotropic TV) or λ‖·‖₁ (anisotropic).
/// Dual: max_p D(p) = ½‖y‖² − ½‖y − ∇ᵀp‖² subject to R*(p) = 0 (p in the dual ball), i.e.
/// min_p ½‖∇ᵀp − y‖² + R*(p), a smooth term with Lipschitz constant ‖∇‖² ≤ 4·rank plus an
/// indicator, solved by ``FISTA`` with restarts (``ConvexConjugate`` of R as the nonsmooth part).
/// The primal iterate is x = y − ∇ᵀp and the gap is
///
///     gap = ½‖x − y‖² + R(∇x) − D(p) = ½‖x − y‖² + R(∇x) − ½‖y‖² + ½‖x‖² ≥ objective(x) − min.
///
/// ``hasConverged(tolerance:)``: relative gap ≤ tolerance. On small piecewise-constant images the
/// restarts make the convergence linear in practice (16²: relative gap 1e-14 in ≈ 1 500 iterations).
///
/// Generic over the difference operator (``Gradient`` for images and volumes, ``ChannelGradient2D``
/// for channel stacks).
public struct TVDualSolver<Regularizer: ProximableFunctional & ConvexConjugateFunctional,
                           GradientOperator: LinearOperator>: IterativeSolver {
    /// R (on the gradient field).
    public let regularizer: Regularizer
    let noisy: Grid
    let gradientOperator: GradientOperator
    var fista: FISTA<SquaredL2Distance<Adjoint<GradientOperator>>, ConvexConjugate<Regularizer>>
    var primal: Grid, previousPrimal: Grid, field: Grid
    let halfSquaredNormOfData: Double
    var lastStatistics: IterationStatistics
    /// FISTA's breakdown, if any.
    public var breakdown: String? { fista.breakdown }

    /// The dual solver for `noisy` with difference operator `gradient` (‖gradient‖ ≤ `operatorNorm`)
    /// and R = `regularizer`, from p = 0 (x = y).
    public init(noisy: Grid, gradient: GradientOperator, operatorNorm: Double, regularizer: Regularizer,
                restarts: Bool = true) {
        precondition(noisy.isFinite, "TVDualSolver: input contains NaN or infinity")
        precondition(noisy.count == gradient.domain.count, "TVDualSolver: image \(noisy.shape), operator domain \(gradient.domain)")
        self.regularizer = regularizer
        self.noisy = noisy
        gradientOperator = gradient
        let data = SquaredL2Distance(target: noisy, operator: gradient.transposed, operatorNorm: operatorNorm)
        fista = FISTA(smooth: data, nonsmooth: ConvexConjugate(regularizer), initialGuess: Grid(shape: gradient.range),
                      restarts: restarts, computesObjective: false)
        primal = noisy
        previousPrimal = noisy
        field = Grid(shape: gradient.range)
        halfSquaredNormOfData = 0.5 * noisy.squaredNorm
        lastStatistics = IterationStatistics(iteration: 0, relativeChange: 0, stepSize: fista.statistics().stepSize,
                                             seconds: 0, elapsedSeconds: 0)
    }

    /// x = y − ∇ᵀp.
    public var iterate: Grid { primal }
    /// p.
    public var dualIterate: Grid { fista.iterate }

    /// One FISTA step on the dual, then x = y − ∇ᵀp and the gap (no allocation).
    public mutating func step() {
        let t0 = ContinuousClock.now
        fista.step()
        swap(&primal, &previousPrimal)
        gradientOperator.applyAdjoint(fista.iterate, into: &primal)
        primal.axpby(1, noisy, -1)
        gradientOperator.apply(primal, into: &field)
        let objective = 0.5 * primal.squaredDistance(to: noisy) + regularizer.value(field)
        let dual = halfSquaredNormOfData - 0.5 * primal.squaredNorm
        let gap = objective - dual
        let inner = fista.statistics()
        let now = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: inner.iteration, objective: objective, gap: gap,
                                             relativeGap: gap / Swift.max(abs(objective), 1e-300),
                                             residual: inner.residual, relativeChange: relativeDifference(primal, previousPrimal),
                                             stepSize: inner.stepSize, seconds: secondsBetween(t0, now),
                                             elapsedSeconds: inner.elapsedSeconds + secondsBetween(t0, now) - inner.seconds)
    }

    /// Statistics of the last iteration.
    public func statistics() -> IterationStatistics { lastStatistics }

    /// Relative gap ≤ tolerance.
    public func hasConverged(tolerance: Double) -> Bool {
        lastStatistics.iteration > 0 && (lastStatistics.relativeGap ?? .infinity) <= tolerance
    }
}

extension TVDualSolver where GradientOperator == Gradient {
    /// The dual solver with the forward-difference ``Gradient`` of `noisy`'s shape (rank 1–3,
    /// ‖∇‖² ≤ 4·rank).
    public init(noisy: Grid, regularizer: Regularizer, restarts: Bool = true) {
        self.init(noisy: noisy, gradient: Gradient(shape: noisy.shape),
                  operatorNorm: (4 * Double(noisy.rank)).squareRoot(), regularizer: regularizer, restarts: restarts)
    }
}

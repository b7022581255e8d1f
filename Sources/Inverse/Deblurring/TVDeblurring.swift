import Imaging

/// Total-variation deblurring with a circulant (FFT, periodic boundary) blur K:
///
///     min_x ½‖K x − y‖² + λ·TV(x),
///
/// TV isotropic (default) or anisotropic with the forward differences of ``Gradient`` (Neumann
/// boundary), for images and volumes. K is a ``FourierConvolution`` (a Gaussian blur is one:
/// ``GaussianBlur``'s kernel through ``FourierConvolution/init(kernel:shape:)``, or any kernel).
///
/// Solver: Chambolle–Pock primal–dual iterations with G(x) = ½‖Kx − y‖², F = λ‖·‖_{2,1} (or
/// λ‖·‖₁) and the difference operator ∇ (‖∇‖² ≤ 4·rank). G's proximal map is exact and cheap:
/// prox_{τG}(v) solves (I + τKᵀK)x = v + τKᵀy, one diagonal division in the Fourier domain
/// (``FourierConvolution/solveNormalEquations(_:identityWeight:normalWeight:into:)``). G is
/// μ-strongly convex with μ = min|H|² (the smallest eigenvalue of KᵀK); when μ > 0 the
/// accelerated steps use γ = 0.35·μ (as ``TVDenoising``; with a delta kernel this *is* TV
/// denoising).
///
/// Stopping: the run stops as soon as one of two relative measures is ≤ the tolerance.
/// - **Relative primal–dual gap** (a certificate: gap ≥ objective(x) − min), computed when the
///   blur is invertible in floating point, min|H|² ≥ 1e-12·max|H|²: G*(z) = ½⟨w, (KᵀK)⁻¹w⟩ − ½‖y‖²
///   with w = z + Kᵀy is then finite and computed exactly by FFT. The dual term is weighted by
///   1/min|H|², so for all but mild blurs the gap, although valid, shrinks too slowly to stop on
///   (2-D Gaussian: |H|² ≈ exp(−2π²σ²) at the corner frequency, 3.7e-9 for σ = 1).
/// - **Relative KKT residual**: with (x⁺, p⁺) the new iterates,
///   P = (x − x⁺)/τ ∈ ∂G(x⁺) + ∇ᵀp⁺ and D = (p − p⁺)/σ + ∇(x̄ − x⁺) ∈ ∂F*(p⁺) − ∇x⁺ are the
///   optimality residuals (both 0 exactly at a saddle point), and the measure is
///   sqrt(‖P‖² + ‖D‖²)/max(‖y‖, 1e-300). It certifies stationarity, not the objective error.
/// Callers tell which one stopped the run from the final statistics (``IterationStatistics/relativeGap``
/// ≤ tolerance means the gap did).
/// Every iteration reports the objective; ``IterationStatistics/residual`` holds the KKT residual.
public enum TVDeblurring {
    /// Invalid input to ``solve(blurred:blur:lambda:isotropic:maxIterations:relativeTolerance:monitor:)``.
    public typealias InputError = SolverInputError

    /// Deblurs `blurred` (rank 2 or 3) for the circulant blur `blur` with weight λ, from x = y,
    /// until the relative gap (when computed) or the relative KKT residual is ≤ `relativeTolerance`,
    /// or `maxIterations` is reached.
    ///
    /// - Returns: the last iterate and the report; `.maxIterations` means the tolerance was not
    ///   reached (callers should warn).
    public static func solve(blurred: Grid, blur: FourierConvolution, lambda: Double, isotropic: Bool = true,
                             maxIterations: Int = 1000, relativeTolerance: Double = 1e-4,
                             monitor: (IterationStatistics) -> Void = { _ in }) throws -> (Grid, SolverReport) {
        guard lambda > 0, lambda.isFinite else { throw InputError.invalidWeight(lambda) }
        guard blurred.rank == 2 || blurred.rank == 3 else { throw InputError.unsupportedRank(blurred.rank) }
        guard blur.shape == blurred.shape else { throw InputError.shapeMismatch(image: blurred.shape, blur: blur.shape) }
        if let bad = blurred.firstNonFinite { throw InputError.nonFiniteInput(index: bad.index, value: bad.value) }
        guard maxIterations >= 1 else { throw InputError.invalidIterationCap(maxIterations) }
        guard relativeTolerance >= 0, relativeTolerance.isFinite else { throw InputError.invalidTolerance(relativeTolerance) }
        if isotropic {
            var solver = TVDeblurringSolver(blurred: blurred, blur: blur, regularizer: GroupL21Norm(weight: lambda))
            let report = solver.run(maxIterations: maxIterations, tolerance: relativeTolerance, monitor: monitor)
            return (solver.iterate, report)
        }
        var solver = TVDeblurringSolver(blurred: blurred, blur: blur, regularizer: L1Norm(weight: lambda))
        let report = solver.run(maxIterations: maxIterations, tolerance: relativeTolerance, monitor: monitor)
        return (solver.iterate, report)
    }

    /// ½‖K x − y‖² + λ·TV(x).
    public static func objective(_ x: Grid, blurred: Grid, blur: FourierConvolution, lambda: Double,
                                 isotropic: Bool = true) -> Double {
        let field = Gradient(shape: blurred.shape)(x)
        let tv = isotropic ? GroupL21Norm(weight: lambda).value(field) : L1Norm(weight: lambda).value(field)
        return 0.5 * blur(x).squaredDistance(to: blurred) + tv
    }
}

/// The primal–dual iteration behind ``TVDeblurring`` (see there), one iteration per ``step()``,
/// all buffers allocated once.
public struct TVDeblurringSolver<Regularizer: ProximableFunctional & ConvexConjugateFunctional>: IterativeSolver {
    /// R = λ‖·‖_{2,1} or λ‖·‖₁ on the gradient field.
    public let regularizer: Regularizer
    let blurred: Grid
    let blur: FourierConvolution
    let gradient: Gradient
    /// Kᵀy.
    let adjointData: Grid
    let halfSquaredNormOfData: Double
    /// Whether the gap is computed (K invertible in floating point).
    public let computesGap: Bool
    /// γ used in the accelerated steps (0.35·min|H|²).
    public let strongConvexity: Double
    var tau: Double, sigma: Double
    var x: Grid, previous: Grid, extrapolated: Grid, p: Grid, previousDual: Grid
    var field: Grid, divergence: Grid, scratch: Grid, blurredIterate: Grid
    var iteration = 0
    var lastStatistics: IterationStatistics
    let start = ContinuousClock.now
    /// Set when an iterate becomes non-finite.
    public private(set) var breakdown: String?

    /// The solver for data `blurred`, blur `blur` (same shape) and regulariser R, from x = y, p = 0.
    public init(blurred: Grid, blur: FourierConvolution, regularizer: Regularizer) {
        precondition(blur.shape == blurred.shape, "TVDeblurringSolver: blur \(blur.shape), image \(blurred.shape)")
        precondition(blurred.isFinite, "TVDeblurringSolver: input contains NaN or infinity")
        self.regularizer = regularizer
        self.blurred = blurred
        self.blur = blur
        gradient = Gradient(shape: blurred.shape)
        adjointData = blur.adjoint(blurred)
        halfSquaredNormOfData = 0.5 * blurred.squaredNorm
        let range = blur.squaredTransferRange
        computesGap = range.lowerBound >= 1e-12 * range.upperBound && range.lowerBound > 0
        strongConvexity = TVDenoising.accelerationModulus * range.lowerBound
        let norm = (4 * Double(blurred.rank)).squareRoot()
        tau = 1 / norm
        sigma = 1 / norm
        x = blurred
        previous = blurred
        extrapolated = blurred
        p = Grid(shape: gradient.range)
        previousDual = p
        field = p
        divergence = Grid(shape: blurred.shape)
        scratch = divergence
        blurredIterate = divergence
        lastStatistics = IterationStatistics(iteration: 0, relativeChange: 0, stepSize: tau, seconds: 0, elapsedSeconds: 0)
    }

    /// x_n.
    public var iterate: Grid { x }
    /// p_n.
    public var dualIterate: Grid { p }

    /// One primal–dual iteration with the objective, the KKT residual and (when available) the gap.
    public mutating func step() {
        guard breakdown == nil else { return }
        let t0 = ContinuousClock.now
        let tau = self.tau, sigma = self.sigma
        // p⁺ = prox_{σR*}(p + σ∇x̄)
        swap(&p, &previousDual)
        gradient.apply(extrapolated, into: &field)
        field.axpby(1, previousDual, sigma)            // field = p + σ∇x̄
        regularizer.proxConjugate(field, stepSize: sigma, into: &p)
        // D = (p − p⁺)/σ + ∇(x̄ − x⁺) is completed below once x⁺ is known: keep ∇x̄ via field.
        // field ← (p − p⁺)/σ + ∇x̄  (from field = p + σ∇x̄: (field − p⁺)/σ)
        field.axpby(-1 / sigma, p, 1 / sigma)
        // x⁺ = prox_{τG}(x − τ∇ᵀp⁺): (I + τKᵀK)x⁺ = x − τ∇ᵀp⁺ + τKᵀy
        gradient.applyAdjoint(p, into: &divergence)
        swap(&x, &previous)
        scratch.assign(previous)
        scratch.axpy(-tau, divergence)
        scratch.axpy(tau, adjointData)
        blur.solveNormalEquations(scratch, identityWeight: 1, normalWeight: tau, into: &x)
        // Residuals: P = (x − x⁺)/τ; D = field − ∇x⁺.
        let primalResidual = x.squaredDistance(to: previous).squareRoot() / tau
        gradient.apply(x, into: &previousDual)           // previousDual is free until the next step
        let dualResidual2 = field.squaredDistance(to: previousDual)
        // Acceleration.
        let theta = strongConvexity > 0 ? 1 / (1 + 2 * strongConvexity * tau).squareRoot() : 1
        self.tau = theta * tau
        self.sigma = sigma / theta
        extrapolated.assign(x)
        extrapolated.scale(by: 1 + theta)
        extrapolated.axpy(-theta, previous)
        iteration += 1
        // Objective and gap.
        blur.apply(x, into: &blurredIterate)
        let objective = 0.5 * blurredIterate.squaredDistance(to: blurred) + regularizer.value(previousDual)
        var gap: Double? = nil, relativeGap: Double? = nil
        if computesGap {
            // G*(−∇ᵀp⁺) = ½⟨w, (KᵀK)⁻¹w⟩ − ½‖y‖², w = Kᵀy − ∇ᵀp⁺; F*(p⁺) (0 in the dual ball).
            scratch.assign(adjointData)
            scratch.axpy(-1, divergence)
            blur.solveNormalEquations(scratch, identityWeight: 0, normalWeight: 1, into: &blurredIterate)
            let conjugate = 0.5 * scratch.dot(blurredIterate) - halfSquaredNormOfData
            let g = objective + conjugate + regularizer.convexConjugateValue(p)
            gap = g
            relativeGap = g / Swift.max(abs(objective), 1e-300)
        }
        let residual = (primalResidual * primalResidual + dualResidual2).squareRoot() / Swift.max(blurred.norm, 1e-300)
        let change = relativeDifference(x, previous)
        if !change.isFinite || !objective.isFinite { breakdown = "non-finite iterate or objective" }
        let now = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: iteration, objective: objective, gap: gap, relativeGap: relativeGap,
                                             residual: residual, relativeChange: change, stepSize: tau,
                                             seconds: secondsBetween(t0, now), elapsedSeconds: secondsBetween(start, now))
    }

    /// Statistics of the last iteration (``IterationStatistics/residual`` is the relative KKT residual).
    public func statistics() -> IterationStatistics { lastStatistics }

    /// Relative gap (when computed) or relative KKT residual ≤ tolerance.
    public func hasConverged(tolerance: Double) -> Bool {
        guard iteration > 0 else { return false }
        return (lastStatistics.relativeGap ?? .infinity) <= tolerance || (lastStatistics.residual ?? .infinity) <= tolerance
    }
}

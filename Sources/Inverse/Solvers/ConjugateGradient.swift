/// The (preconditioned) conjugate gradient method for A x = b with A symmetric positive definite
/// (Hestenes & Stiefel 1952; preconditioned form as in Saad, "Iterative Methods for Sparse Linear
/// Systems", Alg. 9.1).
///
/// Per iteration, with z = M⁻¹r from the optional preconditioner M (SPD):
/// α = ⟨r, z⟩/⟨p, Ap⟩, x ← x + αp, r ← r − αAp, z ← M⁻¹r, β = ⟨r, z⟩_new/⟨r, z⟩_old, p ← z + βp.
/// A must be symmetric: only `apply` of the operator is used. If ⟨p, Ap⟩ ≤ 0 the matrix is not
/// positive definite along p and the solver reports a breakdown instead of continuing.
///
/// Convergence (``hasConverged(tolerance:)``): ‖r‖ ≤ max(absoluteTolerance, relativeTolerance·‖b‖,
/// tolerance·‖b‖), where r = b − Ax is the recursively updated residual.
public struct ConjugateGradient<Operator: LinearOperator>: IterativeSolver {
    /// A (symmetric positive definite; only `apply` is used).
    public let systemOperator: Operator
    /// z ← M⁻¹ r, when a preconditioner is used.
    public let preconditioner: (@Sendable (Grid, inout Grid) -> Void)?
    /// Stop when ‖r‖ ≤ this (the spec's recommended criterion for adjoint solves).
    public let absoluteTolerance: Double
    /// Stop when ‖r‖ ≤ this · ‖b‖.
    public let relativeTolerance: Double

    let rightHandSide: Grid
    let rightHandSideNorm: Double
    var x: Grid, r: Grid, z: Grid, p: Grid, ap: Grid
    var rz: Double
    var iteration = 0
    var lastStatistics: IterationStatistics
    let start: ContinuousClock.Instant
    /// Set when ⟨p, Ap⟩ ≤ 0 or a non-finite value appears.
    public private(set) var breakdown: String?

    /// CG for `operator` x = `rightHandSide` from `initialGuess` (zero by default).
    public init(operator: Operator, rightHandSide b: Grid, initialGuess: Grid? = nil,
                preconditioner: (@Sendable (Grid, inout Grid) -> Void)? = nil,
                absoluteTolerance: Double = 0, relativeTolerance: Double = 1e-10) {
        precondition(`operator`.domain.count == `operator`.range.count,
                     "ConjugateGradient: operator must be square, got \(`operator`.domain) → \(`operator`.range)")
        precondition(b.count == `operator`.range.count, "ConjugateGradient: b \(b.shape), operator range \(`operator`.range)")
        precondition(absoluteTolerance >= 0 && relativeTolerance >= 0, "ConjugateGradient: tolerances must be ≥ 0")
        start = ContinuousClock.now
        systemOperator = `operator`
        self.preconditioner = preconditioner
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
        rightHandSide = b.reshaped(`operator`.domain)
        rightHandSideNorm = b.norm
        x = initialGuess?.reshaped(`operator`.domain) ?? Grid(shape: `operator`.domain)
        ap = Grid(shape: `operator`.domain)
        r = rightHandSide
        if initialGuess != nil {
            `operator`.apply(x, into: &ap)
            r.subtract(ap)
        }
        z = r
        if let m = preconditioner { m(r, &z) }
        p = z
        rz = r.dot(z)
        if !rz.isFinite { breakdown = "non-finite initial residual" }
        lastStatistics = IterationStatistics(iteration: 0, residual: r.norm, relativeChange: 0, stepSize: 0,
                                             seconds: 0, elapsedSeconds: 0)
    }

    /// The current solution estimate.
    public var iterate: Grid { x }
    /// ‖r‖ of the current iterate (recursive residual).
    public var residualNorm: Double { lastStatistics.residual ?? 0 }

    /// One CG iteration (no allocation).
    public mutating func step() {
        guard breakdown == nil else { return }
        let t0 = ContinuousClock.now
        if lastStatistics.residual == 0 {
            // Already exact: nothing to do (avoids 0/0).
            iteration += 1
            lastStatistics = IterationStatistics(iteration: iteration, residual: 0, relativeChange: 0, stepSize: 0,
                                                 seconds: 0, elapsedSeconds: secondsBetween(start, .now))
            return
        }
        systemOperator.apply(p, into: &ap)
        let pap = p.dot(ap)
        guard pap > 0, pap.isFinite else {
            breakdown = "⟨p, Ap⟩ = \(pap) ≤ 0: the operator is not positive definite (or not finite)"
            return
        }
        let alpha = rz / pap
        let stepNorm = abs(alpha) * p.norm
        x.axpy(alpha, p)
        r.axpy(-alpha, ap)
        if let m = preconditioner { m(r, &z) } else { z.assign(r) }
        let rzNew = r.dot(z)
        let beta = rzNew / rz
        rz = rzNew
        p.axpby(1, z, beta)
        iteration += 1
        let rn = r.norm
        if !rn.isFinite { breakdown = "non-finite residual" }
        let change = stepNorm / Swift.max(x.norm, 1e-300)
        let now = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: iteration, residual: rn, relativeChange: change,
                                             stepSize: alpha, seconds: secondsBetween(t0, now),
                                             elapsedSeconds: secondsBetween(start, now))
    }

    /// Statistics of the last iteration (residual = ‖b − Ax‖ recursively updated).
    public func statistics() -> IterationStatistics { lastStatistics }

    /// ‖r‖ ≤ max(absoluteTolerance, relativeTolerance·‖b‖, tolerance·‖b‖).
    public func hasConverged(tolerance: Double) -> Bool {
        residualNorm <= Swift.max(absoluteTolerance, Swift.max(relativeTolerance, tolerance) * rightHandSideNorm)
    }
}

/// What every solver reports after each iteration (uniform across solvers, so monitors,
/// convergence histories and the CLI treat them alike).
public struct IterationStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Number of completed iterations (1 after the first ``IterativeSolver/step()``).
    public var iteration: Int
    /// Objective value at the current iterate, when the solver evaluates it.
    public var objective: Double?
    /// Primal–dual gap (a certified upper bound on objective − optimum), when available.
    public var gap: Double?
    /// gap / max(|objective|, tiny), when a gap is available.
    public var relativeGap: Double?
    /// A solver-specific residual: ‖b − Ax‖ for CG, ‖∇f(x)‖ for L-BFGS, the gradient-mapping
    /// norm ‖y − x⁺‖/τ for FISTA; `nil` when not computed.
    public var residual: Double?
    /// ‖x_k − x_{k−1}‖ / max(‖x_k‖, tiny).
    public var relativeChange: Double
    /// The step size used in this iteration (τ for proximal methods, α for line searches).
    public var stepSize: Double
    /// The step of the second block in two-block methods (μ_γ of blind calibration, whose
    /// ``stepSize`` is μ_ξ); `nil` for single-block solvers.
    public var secondaryStepSize: Double?
    /// Wall time of this iteration in seconds (including the statistics it computed).
    public var seconds: Double
    /// Wall time since the solver was created, in seconds.
    public var elapsedSeconds: Double

    /// Statistics with every optional field empty.
    public init(iteration: Int, objective: Double? = nil, gap: Double? = nil, relativeGap: Double? = nil,
                residual: Double? = nil, relativeChange: Double, stepSize: Double,
                seconds: Double, elapsedSeconds: Double) {
        self.iteration = iteration
        self.objective = objective
        self.gap = gap
        self.relativeGap = relativeGap
        self.residual = residual
        self.relativeChange = relativeChange
        self.stepSize = stepSize
        self.seconds = seconds
        self.elapsedSeconds = elapsedSeconds
    }

    /// "it 12  obj 1.23e+00  gap 4.5e-06  …" (for logs written by the CLI).
    public var description: String {
        var parts = ["it \(iteration)"]
        if let objective { parts.append("objective \(objective)") }
        if let gap { parts.append("gap \(gap)") }
        if let relativeGap { parts.append("relative gap \(relativeGap)") }
        if let residual { parts.append("residual \(residual)") }
        parts.append("relative change \(relativeChange)")
        parts.append("step \(stepSize)")
        if let secondaryStepSize { parts.append("second step \(secondaryStepSize)") }
        parts.append("seconds \(seconds)")
        return parts.joined(separator: "  ")
    }
}

/// Wall-clock seconds between two instants of the continuous clock.
@usableFromInline
func secondsBetween(_ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) -> Double {
    let d = end - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

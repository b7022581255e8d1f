/// Why ``IterativeSolver/run(maxIterations:tolerance:monitor:)`` stopped.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// The solver's convergence test passed (see each solver's `hasConverged(tolerance:)`).
    case converged
    /// The iteration cap was reached first; the final statistics say how far the solver got.
    case maxIterations
    /// The solver cannot continue (e.g. pᵀAp ≤ 0 in CG, a non-finite iterate, a failed line
    /// search); the message says what happened.
    case breakdown(String)

    /// "converged", "maximum iterations", "breakdown: …".
    public var description: String {
        switch self {
        case .converged: return "converged"
        case .maxIterations: return "maximum iterations"
        case .breakdown(let why): return "breakdown: \(why)"
        }
    }
}

/// The outcome of a solver run: stop reason, final statistics and the per-iteration history.
public struct SolverReport: Sendable, Equatable {
    /// Why the run stopped.
    public var stopReason: StopReason
    /// Statistics of the last iteration (iteration 0 with empty fields if none ran).
    public var final: IterationStatistics
    /// Statistics of every iteration of this run, in order.
    public var history: [IterationStatistics]

    /// A report from its parts.
    public init(stopReason: StopReason, final: IterationStatistics, history: [IterationStatistics]) {
        self.stopReason = stopReason
        self.final = final
        self.history = history
    }

    /// True when the stop reason is ``StopReason/converged``.
    public var converged: Bool { stopReason == .converged }
}

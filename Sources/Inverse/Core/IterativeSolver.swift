/// An iterative method whose state lives in a value and advances by exactly one iteration per
/// ``step()`` (SigPy `Alg`, SCICO `Optimizer`, BART `italgos`).
///
/// Conforming solvers allocate all work buffers in `init`; `step()` does not allocate (apart
/// from what the operators and functionals they are given allocate internally).
public protocol IterativeSolver {
    /// Performs one iteration.
    mutating func step()
    /// The current estimate.
    var iterate: Grid { get }
    /// Statistics of the last completed iteration (computed during ``step()``; reading them is free).
    func statistics() -> IterationStatistics
    /// The solver's own convergence test for a user `tolerance` (each solver documents its
    /// meaning: relative residual, relative gap, relative change …).
    func hasConverged(tolerance: Double) -> Bool
    /// A reason the solver cannot continue, or `nil` while it can.
    var breakdown: String? { get }
}

extension IterativeSolver {
    /// Runs ``step()`` until ``hasConverged(tolerance:)`` holds, a breakdown occurs, or
    /// `maxIterations` iterations have been done; `monitor` sees the statistics of every iteration.
    ///
    /// - Returns: the stop reason, the final statistics and the history of this run.
    public mutating func run(maxIterations: Int, tolerance: Double,
                             monitor: (IterationStatistics) -> Void = { _ in }) -> SolverReport {
        precondition(maxIterations >= 0, "run: maxIterations must be ≥ 0, got \(maxIterations)")
        var history: [IterationStatistics] = []
        history.reserveCapacity(Swift.min(maxIterations, 100_000))
        if let why = breakdown {
            return SolverReport(stopReason: .breakdown(why), final: statistics(), history: history)
        }
        for _ in 0..<maxIterations {
            step()
            let s = statistics()
            history.append(s)
            monitor(s)
            if let why = breakdown {
                return SolverReport(stopReason: .breakdown(why), final: s, history: history)
            }
            if hasConverged(tolerance: tolerance) {
                return SolverReport(stopReason: .converged, final: s, history: history)
            }
        }
        return SolverReport(stopReason: .maxIterations, final: statistics(), history: history)
    }
}

/// ‖a − b‖ / max(‖a‖, 1e-300): the relative change statistic shared by the solvers.
@usableFromInline
func relativeDifference(_ a: Grid, _ b: Grid) -> Double {
    a.squaredDistance(to: b).squareRoot() / Swift.max(a.norm, 1e-300)
}

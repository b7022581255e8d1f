/// Denoising with a smooth convex regulariser, min_x h(x) = ½‖x − y‖² + R(x) (field of experts
/// with given parameters, spec tv-foe-bilevel A.2, or smoothed TV), by FISTA for strongly convex
/// problems (μ = 1, step 1/L with L = 1 + L_R) and a certified stopping test:
///
///     ‖∇h(x_k)‖ ≤ μ·ε  ⇒  ‖x_k − x̂‖ ≤ ε   (h is μ-strongly convex).
///
/// FISTA's residual ‖∇h(y_k)‖ at its extrapolated point is free; when it falls below 2ε the true
/// ‖∇h(x_k)‖ is evaluated (one extra gradient) and reported as the residual, and the run stops
/// once that certified value is ≤ ε.
public enum SmoothDenoising {
    /// Invalid input to ``solve(noisy:regularizer:distanceTolerance:maxIterations:monitor:)``.
    public typealias InputError = SolverInputError

    /// Solves min ½‖x − y‖² + R(x) to a certified distance `distanceTolerance` from the minimiser
    /// (or until `maxIterations`), starting from y.
    ///
    /// - Returns: the last iterate and the report; on ``StopReason/converged`` the final residual
    ///   is the certified ‖∇h(x)‖ ≤ ε. With ``StopReason/maxIterations`` the last certified or
    ///   extrapolated-point residual says how far the run got.
    public static func solve<Regularizer: TwiceDifferentiableFunctional>(
        noisy: Grid, regularizer: Regularizer, distanceTolerance epsilon: Double, maxIterations: Int = 1000,
        monitor: (IterationStatistics) -> Void = { _ in }
    ) throws -> (Grid, SolverReport) {
        if let bad = noisy.firstNonFinite { throw InputError.nonFiniteInput(index: bad.index, value: bad.value) }
        guard epsilon > 0, epsilon.isFinite else { throw InputError.invalidTolerance(epsilon) }
        guard maxIterations >= 1 else { throw InputError.invalidIterationCap(maxIterations) }
        let objective = DenoisingObjective(noisy: noisy, regularizer: regularizer)
        guard let lipschitz = objective.lipschitzConstant else { throw InputError.missingLipschitzConstant }
        var solver = FISTA(smooth: objective, nonsmooth: ZeroFunctional(), initialGuess: noisy,
                           stepSize: .lipschitz(lipschitz), strongConvexity: 1)
        var gradient = Grid(shape: noisy.shape), workspace = objective.makeWorkspace()
        var history: [IterationStatistics] = []
        for _ in 0..<maxIterations {
            solver.step()
            var s = solver.statistics()
            if let why = solver.breakdown {
                history.append(s)
                return (solver.iterate, SolverReport(stopReason: .breakdown(why), final: s, history: history))
            }
            var certified = false
            if let cheap = s.residual, cheap <= 2 * epsilon {
                _ = objective.valueAndGradient(solver.iterate, gradient: &gradient, workspace: &workspace)
                s.residual = gradient.norm
                certified = s.residual! <= epsilon
            }
            history.append(s)
            monitor(s)
            if certified {
                return (solver.iterate, SolverReport(stopReason: .converged, final: s, history: history))
            }
        }
        return (solver.iterate, SolverReport(stopReason: .maxIterations, final: history.last!, history: history))
    }
}

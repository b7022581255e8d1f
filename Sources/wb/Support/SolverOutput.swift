import Imaging
import Inverse

/// What the solver-backed tools share: the convergence history written to
/// `/entry/process/convergence`, the summary items, progress and the non-convergence warning.
enum SolverOutput {
    /// Columns `iteration`, `objective`, `gap`, `relative_gap`, `residual`, `seconds` (seconds per
    /// iteration); statistics a solver did not compute are stored as NaN. Columns that are NaN
    /// for every iteration are left out.
    static func history(_ report: SolverReport) -> ConvergenceHistory {
        let h = report.history
        var columns: [(name: String, values: [Double])] = [("iteration", h.map { Double($0.iteration) })]
        let optional: [(String, (IterationStatistics) -> Double?)] = [
            ("objective", { $0.objective }), ("gap", { $0.gap }), ("relative_gap", { $0.relativeGap }),
            ("residual", { $0.residual }),
        ]
        for (name, read) in optional {
            let values = h.map { read($0) ?? .nan }
            if values.contains(where: { !$0.isNaN }) { columns.append((name, values)) }
        }
        columns.append(("seconds", h.map(\.seconds)))
        return ConvergenceHistory(columns: columns)
    }

    /// Progress of a solver run: ``update(_:)`` is the solver monitor (a bar on a TTY, periodic
    /// lines otherwise, with the relative gap or residual); ``finish(report:reached:tolerance:)``
    /// completes the display and warns on stderr unless the run converged.
    final class Monitor {
        let context: ToolContext, tool: String, maxIterations: Int
        let reporter: ProgressReporter

        init(_ context: ToolContext, tool: String, maxIterations: Int) {
            self.context = context
            self.tool = tool
            self.maxIterations = maxIterations
            reporter = context.progress(tool, total: maxIterations)
        }

        /// The solver monitor.
        func update(_ s: IterationStatistics) {
            var status = ""
            if let g = s.relativeGap { status = "relative gap \(formatNumber(g))" } else if let r = s.residual { status = "residual \(formatNumber(r))" }
            reporter.update(s.iteration, status: status)
        }

        /// Ends the display and, unless converged, warns with what was `reached`.
        func finish(report: SolverReport, reached: String, tolerance: String) {
            switch report.stopReason {
            case .converged:
                if report.final.iteration < maxIterations {
                    reporter.update(maxIterations, status: "converged at iteration \(report.final.iteration)")
                }
            case .maxIterations:
                printError("wb: warning: \(tool) did not converge in \(maxIterations) iterations: \(reached) (tolerance \(tolerance)); the result is the last iterate. Raise --max-iterations or --tolerance.")
            case .breakdown(let why):
                printError("wb: warning: \(tool) broke down after \(report.final.iteration) iterations: \(why)")
            }
        }
    }

    /// `iterations`, `converged`, `seconds` (total solver wall time).
    static func summary(_ report: SolverReport) -> [SummaryItem] {
        [SummaryItem("iterations", report.final.iteration),
         SummaryItem("converged", json: .bool(report.converged)),
         SummaryItem("seconds", report.final.elapsedSeconds)]
    }
}

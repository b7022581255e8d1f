import ArgumentParser
import Imaging
import Inverse

/// `wb denoise`: the denoising tools, one subcommand per model.
struct Denoise: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Variational denoising: total variation (tv) or field of experts (foe).",
        subcommands: [DenoiseTV.self, DenoiseFoE.self])
}

/// `wb denoise tv IN OUT`: exact (non-smooth) TV denoising with a certified primal–dual gap.
struct DenoiseTV: Tool {
    static let toolName = "denoise-tv"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        commandName: "tv",
        abstract: "TV denoising (ROF): min ½‖x − y‖² + λ·TV(x), stopped on a relative primal–dual gap.",
        discussion: """
        TV is isotropic (Σ sqrt(Σ_a (∂_a x)²)) by default, anisotropic (Σ Σ_a |∂_a x|) with \
        --anisotropic; forward differences with Neumann boundary. 2-D images and 3-D volumes are \
        denoised as they are. Colour data (y, x, c) — a PNG read with --rgb, or any rank-3 HDF5 \
        dataset together with --channels — is denoised per channel (--channels separate) or with \
        channels coupled in one norm per pixel (--channels vectorial, the default for --rgb). λ \
        means what scikit-image's denoise_tv_chambolle(weight=λ) means for this model.

        The primal–dual gap bounds objective(x) − min objective; the run stops when gap/objective \
        ≤ --tolerance. If --max-iterations is reached first, a warning on stderr gives the gap \
        reached, the result is still written and the summary says converged=false. The output \
        holds the convergence history (objective, gap, relative gap, seconds per iteration) in \
        /entry/process/convergence.

        Examples:
          wb denoise tv --lambda 0.1 noisy.h5 denoised.h5
          wb denoise tv --lambda 0.05 --anisotropic --tolerance 1e-6 noisy.png denoised.png
          wb denoise tv --lambda 0.1 --rgb --channels vectorial photo.png denoised.png
        """)

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case primalDual = "primal-dual", dualFISTA = "dual-fista"
        var solverMethod: TVDenoising.Method { self == .primalDual ? .primalDual : .dualFISTA }
    }

    enum Channels: String, ExpressibleByArgument, CaseIterable {
        case separate, vectorial
        var coupling: TVDenoising.ChannelCoupling { self == .separate ? .separate : .vectorial }
    }

    @OptionGroup var common: CommonOptions
    @Argument(help: "Input file, then output file.") var files: [String] = []
    @Option(help: "Regularisation weight λ > 0 (required).") var lambda: Double
    @Flag(help: "Anisotropic TV (Σ|∂ₐx|) instead of isotropic.") var anisotropic = false
    @Flag(help: "Read a PNG input as colour (y, x, 3); implies --channels vectorial unless given.") var rgb = false
    @Option(help: "Treat a rank-3 input as (y, x, c) colour data: separate or vectorial.") var channels: Channels?
    @Option(help: "Iteration cap.") var maxIterations = 500
    @Option(help: "Stop when the relative primal–dual gap is ≤ this.") var tolerance = 1e-4
    @Option(help: "primal-dual (accelerated Chambolle–Pock) or dual-fista (FISTA on the dual).") var method: Method = .primalDual

    func validate() throws {
        try validateFiles()
        try validateSolverOptions(lambda: lambda, maxIterations: maxIterations, tolerance: tolerance)
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let progress = SolverOutput.Monitor(context, tool: "denoise tv", maxIterations: maxIterations)
        let y = try context.grid(0, channels: rgb ? .rgb : .gray, ranks: 2...3)
        let coupling = channels ?? (rgb ? .vectorial : nil)
        var x: Grid, report: SolverReport
        if let coupling {
            guard y.rank == 3 else {
                throw WBError("\(context.inputs[0].label): --channels needs (y, x, c) colour data of rank 3, got shape \(y.shape)")
            }
            (x, report) = try TVDenoising.solve(noisy: ChannelLayout.channelsFirst(y), lambda: lambda, isotropic: !anisotropic,
                                                maxIterations: maxIterations, relativeGapTolerance: tolerance,
                                                method: method.solverMethod, channels: coupling.coupling, monitor: progress.update)
            x = ChannelLayout.channelsLast(x)
        } else {
            (x, report) = try TVDenoising.solve(noisy: y, lambda: lambda, isotropic: !anisotropic,
                                                maxIterations: maxIterations, relativeGapTolerance: tolerance,
                                                method: method.solverMethod, monitor: progress.update)
        }
        let gap = report.final.relativeGap ?? .infinity
        progress.finish(report: report,
                            reached: "relative primal–dual gap \(formatNumber(gap)) (gap \(formatNumber(report.final.gap ?? .infinity)))",
                            tolerance: formatNumber(tolerance))
        var r = ToolResult(grid: x, name: "denoised")
        r.longName = "TV-denoised image (λ = \(formatNumber(lambda)))"
        r.summary = [SummaryItem("lambda", lambda)] + SolverOutput.summary(report)
            + [SummaryItem("relative_gap", gap), SummaryItem("gap", report.final.gap ?? .nan),
               SummaryItem("objective", report.final.objective ?? .nan)]
        r.convergence = SolverOutput.history(report)
        return r
    }
}

/// Usage checks shared by the solver tools.
func validateSolverOptions(lambda: Double?, maxIterations: Int, tolerance: Double) throws {
    if let lambda, !(lambda > 0 && lambda.isFinite) { throw ValidationError("--lambda must be a finite number > 0, got \(lambda)") }
    if maxIterations < 1 { throw ValidationError("--max-iterations must be ≥ 1, got \(maxIterations)") }
    if !(tolerance >= 0 && tolerance.isFinite) { throw ValidationError("--tolerance must be a finite number ≥ 0, got \(tolerance)") }
}

/// Axis order of colour data: files hold (y, x, c); the TV solvers take channel stacks (c, y, x).
enum ChannelLayout {
    /// (y, x, c) → (c, y, x).
    static func channelsFirst(_ g: Grid) -> Grid {
        let (h, w, c) = (g.shape[0], g.shape[1], g.shape[2])
        var out = Grid(shape: Shape(c, h, w))
        for i in 0..<h { for j in 0..<w { for k in 0..<c { out.storage[(k * h + i) * w + j] = g.storage[(i * w + j) * c + k] } } }
        return out
    }

    /// (c, y, x) → (y, x, c).
    static func channelsLast(_ g: Grid) -> Grid {
        let (c, h, w) = (g.shape[0], g.shape[1], g.shape[2])
        var out = Grid(shape: Shape(h, w, c))
        for i in 0..<h { for j in 0..<w { for k in 0..<c { out.storage[(i * w + j) * c + k] = g.storage[(k * h + i) * w + j] } } }
        return out
    }
}

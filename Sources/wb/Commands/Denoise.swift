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

        --model M.h5 (instead of --lambda) uses a smoothed-TV model written by wb learn tv \
        (M.h5:/group for a model stored elsewhere, e.g. a pipeline's /entry/<step>/model). By \
        default it solves the model that was learned, min ½‖x − y‖² + λ Σ_p sqrt(|∇x|_p² + ν²) \
        (isotropic or anisotropic as the model says), by FISTA with the certified stopping test \
        of denoise foe: --tolerance is then the RMS distance per pixel to the exact minimiser. \
        With --nonsmooth it uses the learned λ in the exact (ν = 0) model above and ignores ν. \
        2-D images and 3-D volumes (no colour) with a smoothed model.

        Examples:
          wb denoise tv --lambda 0.1 noisy.h5 denoised.h5
          wb denoise tv --lambda 0.05 --anisotropic --tolerance 1e-6 noisy.png denoised.png
          wb denoise tv --lambda 0.1 --rgb --channels vectorial photo.png denoised.png
          wb denoise tv --model tv-model.h5 noisy.png denoised.h5
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
    @Option(help: "Regularisation weight λ > 0 (required unless --model).") var lambda: Double?
    @Option(help: "Smoothed-TV model file from wb learn tv (FILE.h5 or FILE.h5:/group), instead of --lambda.") var model: String?
    @Flag(help: "With --model: use the learned λ in exact (non-smooth) TV and ignore the model's ν.") var nonsmooth = false
    @Flag(help: "Anisotropic TV (Σ|∂ₐx|) instead of isotropic.") var anisotropic = false
    @Flag(help: "Read a PNG input as colour (y, x, 3); implies --channels vectorial unless given.") var rgb = false
    @Option(help: "Treat a rank-3 input as (y, x, c) colour data: separate or vectorial.") var channels: Channels?
    @Option(help: "Iteration cap.") var maxIterations = 500
    @Option(help: "Stop when the relative primal–dual gap is ≤ this.") var tolerance = 1e-4
    @Option(help: "primal-dual (accelerated Chambolle–Pock) or dual-fista (FISTA on the dual).") var method: Method = .primalDual

    static var modelOptions: [String] { ["model"] }

    func validate() throws {
        try validateFiles()
        try validateSolverOptions(lambda: lambda, maxIterations: maxIterations, tolerance: tolerance)
        switch (lambda, model) {
        case (nil, nil): throw ValidationError("give --lambda (the weight) or --model (a learned smoothed-TV model)")
        case (_?, _?): throw ValidationError("--lambda and --model exclude each other (the model holds λ)")
        case (nil, let m?):
            guard DatasetReference.isHDF5Path(DataFiles.fileComponent(m)) else {
                throw ValidationError("--model \(m): a model file must be HDF5 (.h5, .hdf5 or .nxs)")
            }
            if anisotropic { throw ValidationError("--anisotropic does not apply with --model (the model says which TV it is)") }
            if !nonsmooth && (rgb || channels != nil) {
                throw ValidationError("a smoothed-TV --model denoises gray images and volumes; for colour add --nonsmooth")
            }
            if !nonsmooth && tolerance == 0 { throw ValidationError("--tolerance must be > 0 with a smoothed --model (a certified distance), got 0") }
        case (_?, nil):
            if nonsmooth { throw ValidationError("--nonsmooth applies only with --model") }
        }
    }

    func optionInputFiles() throws -> [String] { model.map { [DataFiles.fileComponent($0)] } ?? [] }

    func execute(_ context: ToolContext) throws -> ToolResult {
        var lambda = self.lambda ?? 0, isotropic = !anisotropic
        if let reference = model {
            guard case .tv(let m) = try context.model(option: "model", reference: reference) else {
                throw WBError("--model \(reference): not a smoothed-TV model (for a field-of-experts model use wb denoise foe)")
            }
            if !nonsmooth { return try executeSmoothed(context, model: m, reference: reference) }
            lambda = m.weight
            isotropic = m.isotropic
        }
        let progress = SolverOutput.Monitor(context, tool: "denoise tv", maxIterations: maxIterations)
        let y = try context.grid(0, channels: rgb ? .rgb : .gray, ranks: 2...3)
        let coupling = channels ?? (rgb ? .vectorial : nil)
        var x: Grid, report: SolverReport
        if let coupling {
            guard y.rank == 3 else {
                throw WBError("\(context.inputs[0].label): --channels needs (y, x, c) colour data of rank 3, got shape \(y.shape)")
            }
            (x, report) = try TVDenoising.solve(noisy: ChannelLayout.channelsFirst(y), lambda: lambda, isotropic: isotropic,
                                                maxIterations: maxIterations, relativeGapTolerance: tolerance,
                                                method: method.solverMethod, channels: coupling.coupling, monitor: progress.update)
            x = ChannelLayout.channelsLast(x)
        } else {
            (x, report) = try TVDenoising.solve(noisy: y, lambda: lambda, isotropic: isotropic,
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

    /// Denoising with the smoothed-TV model as learned: certified FISTA (as denoise foe).
    func executeSmoothed(_ context: ToolContext, model m: TVModelFile, reference: String) throws -> ToolResult {
        let y = try context.grid(0, ranks: 2...3)
        let regularizer = SmoothedTV(shape: y.shape, weight: m.weight, smoothing: m.smoothing, isotropic: m.isotropic)
        let (x, report) = try SmoothDenoising.solveCertified(context, tool: "denoise tv", noisy: y, regularizer: regularizer,
                                                             rmsTolerance: tolerance, maxIterations: maxIterations)
        var r = ToolResult(grid: x, name: "denoised")
        r.longName = "smoothed-TV denoised image (λ = \(formatNumber(m.weight)), ν = \(formatNumber(m.smoothing)))"
        r.summary = [SummaryItem("lambda", m.weight), SummaryItem("smoothing", m.smoothing)]
            + SmoothDenoising.certifiedSummary(report, pixels: y.count)
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

import ArgumentParser
import Imaging
import Inverse

/// `wb deblur`: the deblurring tools.
struct Deblur: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Variational deblurring with an FFT blur (periodic boundary).",
        subcommands: [DeblurTV.self])
}

/// `wb deblur tv IN OUT`: min ½‖k ∗ x − y‖² + λ TV(x) with a circulant blur.
struct DeblurTV: Tool {
    static let toolName = "deblur-tv"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        commandName: "tv",
        abstract: "TV deblurring: min ½‖k ∗ x − y‖² + λ·TV(x), FFT blur with periodic boundary.",
        discussion: """
        The blur k is a Gaussian (--sigma, as wb blur: sampled, truncated at 4σ, sum 1) or a \
        kernel file (--kernel FILE[:/dataset], same rank as the image and no larger; centre at \
        index size div 2 as in wb blur). TV is isotropic by default, anisotropic with \
        --anisotropic; 2-D images and 3-D volumes.

        Solver: Chambolle–Pock primal–dual iterations whose data-term proximal map is solved \
        exactly in the Fourier domain. The run stops when either of two relative measures is \
        ≤ --tolerance: the primal–dual gap (a certified bound on the objective error; computed \
        only when the blur is invertible in floating point, min |H|² ≥ 1e-12·max |H|², and in \
        practice small enough to stop on only for mild blurs), or the KKT residual \
        sqrt(‖P‖² + ‖D‖²)/‖y‖ of the optimality conditions (stationarity, not an objective \
        bound). The summary's criterion=gap|kkt says which one stopped the run (none: the \
        --max-iterations cap was hit, with a warning on stderr and converged=false).

        Examples:
          wb blur --sigma 1 clean.h5 blurred.h5 && wb noise --sigma 0.01 blurred.h5 y.h5
          wb deblur tv --sigma 1 --lambda 0.002 y.h5 deblurred.h5
          wb deblur tv --kernel psf.h5:/psf --lambda 0.01 --max-iterations 2000 y.png x.png
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "Input file, then output file.") var files: [String] = []
    @Option(help: "Regularisation weight λ > 0 (required).") var lambda: Double
    @Option(help: "Standard deviation of the Gaussian blur, in pixels.") var sigma: Double = 1
    @Option(help: "Blur kernel (PNG or HDF5 reference) instead of a Gaussian.") var kernel: String?
    @Flag(help: "Anisotropic TV (Σ|∂ₐx|) instead of isotropic.") var anisotropic = false
    @Option(help: "Iteration cap.") var maxIterations = 1000
    @Option(help: "Stop when the relative gap (or KKT residual, see above) is ≤ this.") var tolerance = 1e-4

    func validate() throws {
        try validateFiles()
        try validateSolverOptions(lambda: lambda, maxIterations: maxIterations, tolerance: tolerance)
        if !(sigma > 0 && sigma.isFinite) { throw ValidationError("--sigma must be a finite number > 0, got \(sigma)") }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let progress = SolverOutput.Monitor(context, tool: "deblur tv", maxIterations: maxIterations)
        let y = try context.grid(0, ranks: 2...3)
        let blur: FourierConvolution
        if let kernel {
            let k = try DataFiles.read(kernel, ranks: 1...3)
            guard k.rank == y.rank else {
                throw WBError("--kernel \(kernel): kernel has rank \(k.rank), image has rank \(y.rank); they must match")
            }
            for a in 0..<k.rank where k.shape[a] > y.shape[a] {
                throw WBError("--kernel \(kernel): kernel shape \(k.shape) is larger than the image \(y.shape) along axis \(a)")
            }
            blur = FourierConvolution(kernel: k, shape: y.shape)
        } else {
            blur = GaussianBlur(shape: y.shape, sigma: sigma).fourierConvolution
        }
        let (x, report) = try TVDeblurring.solve(blurred: y, blur: blur, lambda: lambda, isotropic: !anisotropic,
                                                 maxIterations: maxIterations, relativeTolerance: tolerance,
                                                 monitor: progress.update)
        let gap = report.final.relativeGap, residual = report.final.residual ?? .infinity
        let criterion = !report.converged ? "none" : (gap.map { $0 <= tolerance } ?? false) ? "gap" : "kkt"
        progress.finish(report: report,
                        reached: "relative KKT residual \(formatNumber(residual))" + (gap.map { ", relative primal–dual gap \(formatNumber($0))" } ?? ""),
                        tolerance: formatNumber(tolerance))
        var r = ToolResult(grid: x, name: "deblurred")
        r.longName = "TV-deblurred image (λ = \(formatNumber(lambda)))"
        r.summary = [SummaryItem("lambda", lambda), kernel.map { SummaryItem("kernel", $0) } ?? SummaryItem("sigma", sigma)]
            + SolverOutput.summary(report)
            + [SummaryItem("criterion", criterion), SummaryItem("relative_residual", residual)]
            + (gap.map { [SummaryItem("relative_gap", $0)] } ?? [])
            + [SummaryItem("objective", report.final.objective ?? .nan)]
        r.convergence = SolverOutput.history(report)
        return r
    }
}

import ArgumentParser
import Imaging

/// `wb metrics A B`: PSNR, SSIM and NRMSE of A against the reference B.
struct MetricsCommand: Tool {
    static let toolName = "metrics"
    static let inputCount = 2...2
    static let writesOutput = false
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Quality of an estimate A against a reference B: PSNR, SSIM, NRMSE.",
        discussion: """
        PSNR = 10 log10(R²/MSE) with the data range R (--data-range, default 1 for [0, 1] data). \
        SSIM is scikit-image's structural_similarity with gaussian_weights=True, sigma=1.5, \
        use_sample_covariance=False, K1=0.01, K2=0.03 (2-D or 3-D). NRMSE = ‖B − A‖/‖B‖ \
        (scikit-image's 'euclidean' normalisation).

        Examples:
          wb metrics denoised.h5 clean.h5
          wb metrics --json --data-range 255 a.png b.png
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "Estimate A, then reference B.") var files: [String] = []
    @Option(help: "Data range R for PSNR and SSIM.") var dataRange: Double = 1

    func validate() throws {
        try validateFiles()
        if !(dataRange > 0 && dataRange.isFinite) { throw ValidationError("--data-range must be > 0, got \(dataRange)") }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let a = try context.grid(0), b = try context.grid(1)
        guard a.shape == b.shape else {
            throw WBError("\(context.inputs[0].label) has shape \(a.shape) but \(context.inputs[1].label) has shape \(b.shape); metrics need equal shapes")
        }
        var r = ToolResult(grid: nil, name: "metrics")
        var items = [SummaryItem("psnr", Metrics.psnr(a, reference: b, dataRange: dataRange))]
        if a.rank == 2 || a.rank == 3, a.shape.dimensions.allSatisfy({ $0 >= 11 }) {
            items.append(SummaryItem("ssim", Metrics.ssim(a, reference: b, dataRange: dataRange)))
        }
        items.append(SummaryItem("nrmse", Metrics.nrmse(a, reference: b)))
        r.summary = items
        return r
    }
}

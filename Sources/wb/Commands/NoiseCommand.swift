import ArgumentParser
import Imaging

/// `wb noise IN OUT`: seeded Gaussian, Poisson, uniform or Laplace noise.
struct NoiseCommand: Tool {
    static let toolName = "noise"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        commandName: "noise",
        abstract: "Add seeded noise: gaussian (--sigma), poisson (--peak), uniform (--half-width), laplace (--scale).",
        discussion: """
        Poisson noise is y = Poisson(peak·x)/peak and needs x ≥ 0. The generator and each \
        distribution's algorithm are documented in the Imaging library (RandomSource), so a seed \
        gives the same noise on every machine. Reports the realised PSNR against the input.

        Examples:
          wb noise --sigma 0.1 --seed 7 camera.h5 noisy.h5
          wb noise --model poisson --peak 30 camera.png noisy.png
        """)

    enum Model: String, ExpressibleByArgument, CaseIterable { case gaussian, poisson, uniform, laplace }

    @OptionGroup var common: CommonOptions
    @Argument(help: "Input file, then output file.") var files: [String] = []
    @Option(help: "gaussian, poisson, uniform or laplace.") var model: Model = .gaussian
    @Option(help: "Standard deviation of Gaussian noise.") var sigma: Double = 0.1
    @Option(help: "Peak intensity (photon count at value 1) for Poisson noise.") var peak: Double = 100
    @Option(help: "Half-width of uniform noise.") var halfWidth: Double = 0.1
    @Option(help: "Scale b of Laplace noise (density exp(−|t|/b)/2b).") var scale: Double = 0.1
    @Flag(help: "Clip the result to [0, 1].") var clip = false

    func validate() throws {
        try validateFiles()
        switch model {
        case .gaussian where !(sigma >= 0 && sigma.isFinite): throw ValidationError("--sigma must be a finite number ≥ 0, got \(sigma)")
        case .poisson where !(peak > 0 && peak.isFinite): throw ValidationError("--peak must be > 0, got \(peak)")
        case .uniform where !(halfWidth >= 0 && halfWidth.isFinite): throw ValidationError("--half-width must be ≥ 0, got \(halfWidth)")
        case .laplace where !(scale >= 0 && scale.isFinite): throw ValidationError("--scale must be ≥ 0, got \(scale)")
        default: break
        }
    }

    var noiseModel: NoiseModel {
        switch model {
        case .gaussian: return .gaussian(sigma: sigma)
        case .poisson: return .poisson(peak: peak)
        case .uniform: return .uniform(halfWidth: halfWidth)
        case .laplace: return .laplace(scale: scale)
        }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let x = try context.grid(0)
        var y = try Noise.add(noiseModel, to: x, seed: context.seed)
        if clip { y.clamp(to: 0...1) }
        var r = ToolResult(grid: y, name: "noisy")
        r.longName = "\(model.rawValue) noise"
        r.summary = [SummaryItem("psnr", Metrics.psnr(y, reference: x, dataRange: 1)), SummaryItem("seed", String(context.seed))]
        return r
    }
}

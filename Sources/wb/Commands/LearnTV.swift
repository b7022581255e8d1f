import ArgumentParser
import Imaging
import Inverse

/// `wb learn tv CLEAN... MODEL.h5`: learns the smoothed-TV weight λ (and optionally ν) by MAID.
struct LearnTV: LearnTool {
    static let toolName = "learn-tv"
    static let configuration = CommandConfiguration(
        commandName: "tv",
        abstract: "Learn the smoothed-TV weight λ (and ν) for denoising by bilevel optimisation (MAID).",
        discussion: """
        Lower level per image: min_x ½‖x − y‖² + λ Σ_p sqrt(|∇x|_p² + ν²) (isotropic; --anisotropic: \
        one square root per axis), forward differences with Neumann boundary. Upper level: the mean \
        over the training pairs of ½‖x̂ − x†‖². θ = log λ (ν fixed at --smoothing), or with \
        --learn-smoothing θ = (log λ, log ν), ν starting at --smoothing and kept ≥ \
        --min-smoothing by projection. MAID adapts the lower-level accuracy ε and the CG tolerance δ \
        by a line search on certified loss bounds, along L-BFGS directions by default (--direction); \
        --method fixed is the fixed-accuracy baseline and \
        geometric/polynomial are HOAG-style schedules (docs/learning.md).

        Training data: the inputs are clean images (PNG files, folders of PNGs, HDF5 images or \
        (n, h, w) stacks as FILE.h5:/dataset); their noisy counterparts come from --noisy (same \
        forms, same order) or are synthesised with --sigma from --seed. --crop-size and \
        --crops-per-image cut seeded square crops (the same positions in clean and noisy images). \
        --validation (with --validation-noisy or --sigma) gives a validation set whose PSNR is \
        reported.

        Output: an HDF5 file that is both a wb NeXus file (the first training image denoised with \
        the learned model, provenance, the MAID history per outer iteration in \
        /entry/process/convergence with θ as convergence/theta) and a smoothed-TV model file \
        (/model, read by wb denoise tv --model). A loss curve is written next to it as \
        <output>_loss.svg. The summary gives λ, ν, training and validation PSNR (mean over \
        images, noisy and denoised), the stop reason, iteration counters and time.

        Examples:
          wb learn tv --sigma 0.1 --crop-size 64 --crops-per-image 2 --seed 1 train/ tv-model.h5
          wb learn tv --noisy noisy.h5:/noisy clean.h5:/clean tv-model.h5
          wb learn tv --sigma 0.1 --learn-smoothing --min-smoothing 0.005 --method fixed --epsilon 1e-4 a.png b.png tv.h5
          wb denoise tv --model tv-model.h5 noisy.png denoised.h5
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "Clean training images (PNG files, folders, HDF5 references), then the output model file (.h5).")
    var files: [String] = []
    @OptionGroup(title: "Training data") var data: TrainingDataOptions
    @Option(help: "Initial weight λ (> 0).") var weight = 0.01
    @Option(help: "Smoothing ν (> 0): fixed, or the initial value with --learn-smoothing.") var smoothing = 0.05
    @Flag(help: "Learn ν as well (kept ≥ --min-smoothing; the bound is reached exactly when the optimum lies on it).") var learnSmoothing = false
    @Option(help: "Lower bound ν_min (> 0) of a learned ν.") var minSmoothing = 1e-3
    @Flag(help: "Anisotropic smoothed TV (one square root per axis) instead of isotropic.") var anisotropic = false
    @OptionGroup(title: "Outer loop (MAID)") var maid: MAIDCommandOptions

    func validate() throws {
        try validateLearnOptions()
        try data.validate()
        try maid.validate()
        if !(weight > 0 && weight.isFinite) { throw ValidationError("--weight must be a finite number > 0, got \(weight)") }
        if !(smoothing > 0 && smoothing.isFinite) { throw ValidationError("--smoothing must be a finite number > 0, got \(smoothing)") }
        if learnSmoothing {
            if !(minSmoothing > 0 && minSmoothing < 400) { throw ValidationError("--min-smoothing must be a number in (0, 400), got \(minSmoothing)") }
            if smoothing < minSmoothing {
                throw ValidationError("--smoothing \(formatNumber(smoothing)) must be ≥ --min-smoothing \(formatNumber(minSmoothing)) when ν is learned")
            }
        }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let training = try data.training(context)
        let validation = try data.validationPairs(context)
        let model = learnSmoothing ? try TVBilevelModel(minimumSmoothing: minSmoothing, isotropic: !anisotropic)
                                   : try TVBilevelModel(smoothing: smoothing, isotropic: !anisotropic)
        let theta0 = try model.initialTheta(weight: weight, smoothing: learnSmoothing ? smoothing : nil)
        let outcome = try Learning.run(model, theta0: theta0, training: training, validation: validation,
                                       options: maid.options(seed: RandomSource.derivedSeed(context.seed, "maid")),
                                       context: context, tool: "learn tv") { theta in
            let p = model.parameters(theta)
            return [("lambda", p.weight), ("smoothing", p.smoothing)]
        }
        let learned = model.parameters(outcome.theta)
        var r = ToolResult(grid: outcome.example, name: "denoised")
        r.longName = "first training image denoised with the learned smoothed TV (λ = \(formatNumber(learned.weight)), ν = \(formatNumber(learned.smoothing)))"
        r.summary = [SummaryItem("lambda", learned.weight), SummaryItem("smoothing", learned.smoothing),
                     SummaryItem("method", maid.method.rawValue), SummaryItem("direction", maid.direction.rawValue),
                     SummaryItem("memory", maid.memory)] + outcome.summary
        r.convergence = outcome.history
        if let t = outcome.thetaHistory { r.convergenceDatasets = [("theta", t)] }
        r.model = .tv(try TVModelFile(weight: learned.weight, smoothing: learned.smoothing, isotropic: !anisotropic))
        r.plots = [Learning.lossCurve(outcome, title: "wb learn tv (\(maid.method.rawValue)): training loss")]
        return r
    }
}

import ArgumentParser
import Imaging
import Inverse

/// `wb learn foe CLEAN... MODEL.h5`: learns field-of-experts filters, weights and smoothings by MAID.
struct LearnFoE: LearnTool {
    static let toolName = "learn-foe"
    static let attachmentNames: [(suffix: String, ext: String)] = [("filters", "png")]
    static let configuration = CommandConfiguration(
        commandName: "foe",
        abstract: "Learn field-of-experts filters, weights and smoothings for denoising by bilevel optimisation (MAID).",
        discussion: """
        Lower level per image: min_x ½‖x − y‖² + Σ_k w_k Σ_p sqrt((c_k ∗ x)_p² + ν_k²) with K = --filters \
        filters of s × s = --filter-size taps ("same" convolution with --boundary), the model of wb \
        denoise foe. θ = (all filter taps, log w_k, log(ν_k − ν_min)): K·s² + 2K parameters. Filters start \
        as the lowest-frequency DCT atoms (--init dct, K ≤ s² − 1) or seeded zero-mean random filters \
        (--init random), all weights at --weight and smoothings at --smoothing. Upper level, outer loop, \
        training and validation data as for wb learn tv (see its --help and docs/learning.md).

        Output: an HDF5 file that is both a wb NeXus file (the first training image denoised, the \
        filter panel as /entry/filters, provenance, the MAID history in /entry/process/convergence \
        with θ as convergence/theta) and a field-of-experts model file version 1 (/model, read by wb \
        denoise foe --model). Next to it: <output>_loss.svg (loss curve) and <output>_filters.png \
        (the learned filters, each scaled to its own range, upsampled, with a gap between them).

        Examples:
          wb learn foe --sigma 0.1 --crop-size 64 --crops-per-image 1 --filters 8 --filter-size 5 train/ foe-model.h5
          wb learn foe --sigma 0.1 --crop-size 96 --crops-per-image 2 --filters 24 --filter-size 7 --init random train/ foe24.h5
          wb denoise foe --model foe-model.h5 noisy.png denoised.h5
        """)

    enum Initial: String, ExpressibleByArgument, CaseIterable { case dct, random }
    enum Boundary: String, ExpressibleByArgument, CaseIterable {
        case reflect, periodic
        var convolution: ConvolutionBoundary { self == .reflect ? .reflect : .periodic }
    }

    @OptionGroup var common: CommonOptions
    @Argument(help: "Clean training images (PNG files, folders, HDF5 references), then the output model file (.h5).")
    var files: [String] = []
    @OptionGroup(title: "Training data") var data: TrainingDataOptions
    @Option(help: "Number of filters K.") var filters = 8
    @Option(help: "Filter size s (odd, 3…15).") var filterSize = 5
    @Option(name: .customLong("init"), help: "Initial filters: dct (K ≤ s² − 1) or random (seeded, zero mean, unit norm).")
    var initial: Initial?
    @Option(help: "Initial weight of every filter (> 0).") var weight = 0.05
    @Option(help: "Initial smoothing of every filter (> 0, ≥ --min-smoothing).") var smoothing = 0.03
    @Option(help: "Lower bound ν_min ≥ 0 of the smoothings.") var minSmoothing = 0.0
    @Option(help: "Convolution boundary: reflect or periodic (denoise foe uses the model's).") var boundary: Boundary = .reflect
    @OptionGroup(title: "Outer loop (MAID)") var maid: MAIDCommandOptions

    func validate() throws {
        try validateLearnOptions()
        try data.validate()
        try maid.validate()
        if filters < 1 || filters > 256 { throw ValidationError("--filters must be between 1 and 256, got \(filters)") }
        if filterSize < 3 || filterSize > 15 || filterSize % 2 == 0 { throw ValidationError("--filter-size must be odd and between 3 and 15, got \(filterSize)") }
        if initial == .dct && filters > filterSize * filterSize - 1 {
            throw ValidationError("--init dct has \(filterSize * filterSize - 1) non-constant filters of size \(filterSize); --filters \(filters) is too many (use --init random)")
        }
        if !(weight > 0 && weight.isFinite) { throw ValidationError("--weight must be a finite number > 0, got \(weight)") }
        if !(minSmoothing >= 0 && minSmoothing < 400) { throw ValidationError("--min-smoothing must be a number in [0, 400), got \(minSmoothing)") }
        if !(smoothing > 0 && smoothing >= minSmoothing && smoothing.isFinite) {
            throw ValidationError("--smoothing must be finite, > 0 and ≥ --min-smoothing \(formatNumber(minSmoothing)), got \(smoothing)")
        }
        if data.cropSize > 0 && data.cropSize < filterSize { throw ValidationError("--crop-size \(data.cropSize) is smaller than --filter-size \(filterSize)") }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let training = try data.training(context)
        let validation = try data.validationPairs(context)
        for (set, pairs) in [("training", training), ("validation", validation)] {
            if let pairs, pairs.shape[0] < filterSize || pairs.shape[1] < filterSize {
                throw WBError("the \(set) images (\(pairs.shape)) are smaller than the \(filterSize)×\(filterSize) filters")
            }
        }
        let model = try FoEBilevelModel(filterCount: filters, filterSize: filterSize, boundary: boundary.convolution,
                                        minimumSmoothing: minSmoothing)
        let start = (initial ?? (filters <= filterSize * filterSize - 1 ? .dct : .random)) == .dct
            ? FieldOfExperts.dctFilters(size: filterSize, count: filters)
            : FieldOfExperts.randomFilters(size: filterSize, count: filters, seed: RandomSource.derivedSeed(context.seed, "filters"))
        let theta0 = try model.initialTheta(filters: start, weights: Array(repeating: weight, count: filters),
                                            smoothings: Array(repeating: smoothing, count: filters))
        let outcome = try Learning.run(model, theta0: theta0, training: training, validation: validation,
                                       options: maid.options(seed: RandomSource.derivedSeed(context.seed, "maid")),
                                       context: context, tool: "learn foe")
        let learned = model.parameters(outcome.theta)
        let file = try FieldOfExpertsModelFile(filters: learned.filters, weights: learned.weights,
                                               smoothings: learned.smoothings, boundary: boundary.rawValue)
        let panel = FilterPanel.image(learned.filters)
        var r = ToolResult(grid: outcome.example, name: "denoised")
        r.longName = "first training image denoised with the learned field of experts (\(filters) filters of \(filterSize)×\(filterSize))"
        r.extra = [NXData(name: "filters", signal: panel, interpretation: "image",
                          longName: "learned filters, each scaled to its own range (\(filters) of \(filterSize)×\(filterSize))")]
        r.summary = [SummaryItem("filters", filters), SummaryItem("filter_size", filterSize),
                     SummaryItem("parameters", model.parameterCount),
                     SummaryItem("weight_min", learned.weights.min()!), SummaryItem("weight_max", learned.weights.max()!),
                     SummaryItem("smoothing_min", learned.smoothings.min()!), SummaryItem("smoothing_max", learned.smoothings.max()!),
                     SummaryItem("method", maid.method.rawValue), SummaryItem("direction", maid.direction.rawValue),
                     SummaryItem("memory", maid.memory)] + outcome.summary
        r.convergence = outcome.history
        if let t = outcome.thetaHistory { r.convergenceDatasets = [("theta", t)] }
        r.model = .foe(file)
        r.plots = [Learning.lossCurve(outcome, title: "wb learn foe (\(maid.method.rawValue)): training loss")]
        r.attachments = [Attachment(suffix: "filters", ext: "png") { path in
            try OutputWriter.writePNG(panel, to: path, displayRange: .fixed(0, 1), bitDepth: 8)
        }]
        return r
    }
}

/// A panel of filters for viewing: each filter scaled to [0, 1] by its own min and max, upsampled
/// by pixel replication to about 64 pixels, in a near-square grid with a white gap.
enum FilterPanel {
    static func image(_ filters: Grid, gap: Int = 4, target: Int = 64) -> Grid {
        let (k, s) = (filters.shape[0], filters.shape[1])
        let zoom = max(1, target / s), cell = s * zoom
        var columns = 1
        while columns * columns < k { columns += 1 }
        let rows = (k + columns - 1) / columns
        let height = rows * cell + (rows + 1) * gap, width = columns * cell + (columns + 1) * gap
        var out = Grid.image(height: height, width: width, repeating: 1)
        for f in 0..<k {
            let taps = Array(filters.storage[(f * s * s)..<((f + 1) * s * s)])
            let lo = taps.min()!, hi = taps.max()!
            let top = gap + (f / columns) * (cell + gap), left = gap + (f % columns) * (cell + gap)
            for i in 0..<cell {
                for j in 0..<cell {
                    let t = taps[(i / zoom) * s + j / zoom]
                    out.storage[(top + i) * width + left + j] = hi > lo ? (t - lo) / (hi - lo) : 0.5
                }
            }
        }
        return out
    }
}

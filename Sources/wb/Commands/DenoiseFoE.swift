import ArgumentParser
import Imaging
import Inverse

/// `wb denoise foe IN OUT --model M.h5`: field-of-experts denoising with given parameters.
struct DenoiseFoE: Tool {
    static let toolName = "denoise-foe"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        commandName: "foe",
        abstract: "Field-of-experts denoising: min ½‖x − y‖² + Σ_k w_k Σ_p sqrt((c_k ∗ x)_p² + ν_k²).",
        discussion: """
        Filters c_k, weights w_k and smoothings ν_k come from a model file (--model, format in \
        docs/tools.md; make one with wb foe-model or learn one with wb learn foe; FILE.h5:/group \
        reads a model stored in another group, e.g. a pipeline's /entry/<step>/model). The convolutions use the model's boundary \
        (reflect or periodic). The problem is 1-strongly convex; FISTA runs until its certified \
        test ‖∇h(x)‖ ≤ ε holds, which guarantees ‖x − x̂‖ ≤ ε for the exact minimiser x̂. \
        --tolerance is that distance as a root-mean-square per pixel (ε = tolerance·sqrt(pixels)). \
        2-D images only. The output holds the convergence history (objective, residual ‖∇h‖, \
        seconds per iteration); a run that hits --max-iterations warns on stderr.

        Examples:
          wb foe-model --filters dct --count 8 --size 3 --weight 0.05 --smoothing 0.02 foe.h5
          wb denoise foe --model foe.h5 noisy.h5 denoised.h5
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "Input file, then output file.") var files: [String] = []
    @Option(help: "Field-of-experts model file (HDF5, /model/{filters,weights,smoothings}; FILE.h5:/group for another group).") var model: String
    @Option(help: "Iteration cap.") var maxIterations = 2000
    @Option(help: "Certified RMS distance per pixel to the exact minimiser.") var tolerance = 1e-4

    func validate() throws {
        try validateFiles()
        try validateSolverOptions(lambda: nil, maxIterations: maxIterations, tolerance: tolerance)
        if tolerance == 0 { throw ValidationError("--tolerance must be > 0 (a certified distance), got 0") }
        _ = try DataFiles.format(of: model, role: "model")
    }

    static var modelOptions: [String] { ["model"] }
    func optionInputFiles() throws -> [String] { [DataFiles.fileComponent(model)] }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let y = try context.grid(0, ranks: 2...2)
        guard case .foe(let file) = try context.model(option: "model", reference: model) else {
            throw WBError("--model \(model): not a field-of-experts model (for a smoothed-TV model use wb denoise tv --model)")
        }
        let boundary = ConvolutionBoundary(rawValue: file.boundary)!
        for a in 1...2 where file.filters.shape[a] > y.shape[a - 1] {
            throw WBError("--model \(model): filters of size \(file.filters.shape[1])×\(file.filters.shape[2]) do not fit the image \(y.shape)")
        }
        let regularizer = FieldOfExperts(filters: file.filters, weights: file.weights, smoothings: file.smoothings,
                                         height: y.shape[0], width: y.shape[1], boundary: boundary)
        let (x, report) = try SmoothDenoising.solveCertified(context, tool: "denoise foe", noisy: y, regularizer: regularizer,
                                                             rmsTolerance: tolerance, maxIterations: maxIterations)
        var r = ToolResult(grid: x, name: "denoised")
        r.longName = "field-of-experts denoised image (\(file.filterCount) filters)"
        r.summary = [SummaryItem("filters", file.filterCount)] + SmoothDenoising.certifiedSummary(report, pixels: y.count)
        r.convergence = SolverOutput.history(report)
        return r
    }
}

extension SmoothDenoising {
    /// Certified FISTA with progress and the non-convergence warning; `rmsTolerance` is the RMS
    /// distance per pixel (ε = rmsTolerance·sqrt(pixels)).
    static func solveCertified<R: TwiceDifferentiableFunctional>(
        _ context: ToolContext, tool: String, noisy y: Grid, regularizer: R, rmsTolerance: Double, maxIterations: Int
    ) throws -> (Grid, SolverReport) {
        let progress = SolverOutput.Monitor(context, tool: tool, maxIterations: maxIterations)
        let epsilon = rmsTolerance * Double(y.count).squareRoot()
        let (x, report) = try solve(noisy: y, regularizer: regularizer, distanceTolerance: epsilon,
                                    maxIterations: maxIterations, monitor: progress.update)
        let residual = report.final.residual ?? .infinity
        progress.finish(report: report, reached: "residual ‖∇h‖ = \(formatNumber(residual)) > ε = \(formatNumber(epsilon))",
                        tolerance: formatNumber(rmsTolerance))
        return (x, report)
    }

    /// iterations, converged, seconds, residual, rms_distance_bound, objective.
    static func certifiedSummary(_ report: SolverReport, pixels: Int) -> [SummaryItem] {
        let residual = report.final.residual ?? .infinity
        return SolverOutput.summary(report)
            + [SummaryItem("residual", residual), SummaryItem("rms_distance_bound", residual / Double(pixels).squareRoot()),
               SummaryItem("objective", report.final.objective ?? .nan)]
    }
}

/// `wb foe-model OUT.h5`: writes a field-of-experts model file (hand-made filter banks).
struct FoEModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "foe-model",
        abstract: "Write a field-of-experts model file: DCT or seeded random filters, one weight and smoothing for all.",
        discussion: """
        The file format (version 1): group /model with attributes model="field-of-experts", \
        version=1, boundary="reflect"|"periodic", potential="smoothed-l1", and the float64 datasets \
        /model/filters (K, s, s), /model/weights (K) and /model/smoothings (K). wb denoise foe \
        reads it; wb learn foe will write learned models in the same format.

        --filters dct takes the K lowest-frequency non-constant DCT-II basis filters (K ≤ s² − 1); \
        --filters random draws zero-mean, unit-norm Gaussian filters from --seed. All filters get \
        the same weight and smoothing.

        Examples:
          wb foe-model --filters dct --count 8 --size 3 --weight 0.05 --smoothing 0.02 foe.h5
          wb foe-model --filters random --count 24 --size 5 --seed 3 --boundary periodic foe.h5
        """)

    enum Bank: String, ExpressibleByArgument, CaseIterable { case dct, random }
    enum Boundary: String, ExpressibleByArgument, CaseIterable { case reflect, periodic }

    @Argument(help: "Output model file (.h5).") var output: String
    @Option(help: "Filter bank: dct or random.") var filters: Bank = .dct
    @Option(help: "Number of filters K.") var count = 8
    @Option(help: "Filter size s (odd).") var size = 3
    @Option(help: "Weight w_k of every filter (> 0).") var weight = 0.05
    @Option(help: "Smoothing ν_k of every filter (> 0).") var smoothing = 0.02
    @Option(help: "Convolution boundary: reflect or periodic.") var boundary: Boundary = .reflect
    @Option(help: "Seed of the random filters.") var seed: UInt64 = 0
    @Flag(help: "Overwrite an existing output file.") var force = false
    @Flag(name: .shortAndLong, help: "No log output on stderr.") var quiet = false

    func validate() throws {
        guard DatasetReference.isHDF5Path(output) else { throw ValidationError("\(output): a model file must end in .h5, .hdf5 or .nxs") }
        if size < 3 || size % 2 == 0 || size > 63 { throw ValidationError("--size must be odd and between 3 and 63, got \(size)") }
        if count < 1 { throw ValidationError("--count must be ≥ 1, got \(count)") }
        if filters == .dct && count > size * size - 1 {
            throw ValidationError("--filters dct has \(size * size - 1) non-constant filters of size \(size); --count \(count) is too many")
        }
        if !(weight > 0 && weight.isFinite) { throw ValidationError("--weight must be a finite number > 0, got \(weight)") }
        if !(smoothing > 0 && smoothing.isFinite) { throw ValidationError("--smoothing must be a finite number > 0, got \(smoothing)") }
    }

    func run() throws {
        try AtomicOutput.validate(output, force: force)
        let bank = filters == .dct ? FieldOfExperts.dctFilters(size: size, count: count)
                                   : FieldOfExperts.randomFilters(size: size, count: count, seed: seed)
        let model = try FieldOfExpertsModelFile(filters: bank, weights: Array(repeating: weight, count: count),
                                                smoothings: Array(repeating: smoothing, count: count),
                                                boundary: boundary.rawValue)
        try model.write(to: output)
        print("filters=\(count) size=\(size) bank=\(filters.rawValue) boundary=\(boundary.rawValue) output=\(output)")
    }
}

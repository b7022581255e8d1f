import ArgumentParser
import Imaging
import Inverse

/// `wb learn`: bilevel learning of denoising parameters (MAID or a fixed-accuracy baseline).
struct Learn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bilevel learning of denoising parameters: smoothed TV (tv) or field of experts (foe).",
        subcommands: [LearnTV.self, LearnFoE.self])
}

extension MAIDDirection: ExpressibleByArgument {}

/// The outer-loop options shared by `learn tv` and `learn foe`, mapped one to one onto the
/// library's `MAIDOptions` (defaults are the library's, i.e. the spec's).
struct MAIDCommandOptions: ParsableArguments {
    enum Method: String, ExpressibleByArgument, CaseIterable {
        /// MAID: accuracies adapted by the certified line search.
        case maid
        /// Baseline: the same loop with ε and δ frozen at --epsilon/--delta.
        case fixed
        /// HOAG-style a-priori schedule ε_k = ε0·rate^k.
        case geometric
        /// HOAG-style a-priori schedule ε_k = ε0/(k + 1)^power.
        case polynomial
    }

    @Option(help: "maid (adaptive accuracy), fixed (ε, δ frozen: the baseline), geometric (ε0·rate^k) or polynomial (ε0/(k+1)^power).")
    var method: Method = .maid
    @Option(help: "Rate of --method geometric, in (0, 1).") var rate = 0.9
    @Option(help: "Power of --method polynomial (> 0).") var power = 2.0
    @Option(help: "Initial lower-level accuracy ε0: certified distance ‖x̃ − x̂‖ per image (> 0).") var epsilon = 0.1
    @Option(help: "Initial absolute CG residual δ0 (> 0).") var delta = 0.1
    @Option(help: "Initial step α0 (> 0).") var step = 0.01
    @Option(help: "Backtracking step shrink ρ ∈ (0, 1).") var stepShrink = 0.5
    @Option(help: "Step growth ρ̄ ≥ 1 after an accepted step.") var stepGrowth = 10.0 / 9
    @Option(help: "Accuracy tightening ν ∈ (0, 1) after a failed line search.") var accuracyTightening = 0.5
    @Option(help: "Accuracy relaxation ν̄ ≥ 1 after an accepted step.") var accuracyRelaxation = 1.05
    @Option(help: "Descent margin η ∈ (0, 1): accept z when ω ≤ (1 − η)‖z‖.") var descentMargin = 1e-4
    @Option(help: "Armijo constant c ∈ (0, η).") var armijo = 1e-8
    @Option(help: "Backtracks per line search (grows by one after each failure).") var maxBacktracks = 10
    @Option(help: "Accuracy floor ε_min: stop with 'accuracy floor reached' below it.") var minAccuracy = 1e-7
    @Option(help: "Stop as converged when ‖z‖ and ω are ≤ this.") var gradientTolerance = 1e-6
    @Option(help: "Budget: outer iterations.") var maxOuter = 200
    @Option(help: "Budget: total lower-level (FISTA) iterations.") var maxLowerLevel = 1_000_000
    @Option(help: "Budget: wall time in seconds (0: none).") var maxSeconds = 0.0
    @Option(help: "Cap of FISTA iterations per lower-level solve.") var maxSolveIterations = 2000
    @Option(help: "Cap of CG iterations per adjoint solve.") var maxCgIterations = 2000
    @Option(help: "Search direction: lbfgs (quasi-Newton from accepted steps, trial step 1) or gradient (the hypergradient, one scalar step).")
    var direction: MAIDDirection = .lbfgs
    @Option(help: "Pairs kept by --direction lbfgs (≥ 1).") var memory = 10
    @Flag(inversion: .prefixedNo,
          help: "--method maid: end a line search at the first trial whose computed loss decreases while the certified bounds hide it, and tighten ε, δ at once (--no-tighten-when-masked: backtrack through every trial first, the spec's Algorithm 3.1).")
    var tightenWhenMasked = true

    /// CLI option names of the library's option fields, for error messages.
    static let optionNames: [String: String] = [
        "initialAccuracy": "--epsilon", "initialCGTolerance": "--delta", "initialStep": "--step",
        "stepShrink": "--step-shrink", "stepGrowth": "--step-growth", "accuracyTightening": "--accuracy-tightening",
        "accuracyRelaxation": "--accuracy-relaxation", "descentMargin": "--descent-margin", "armijo": "--armijo",
        "maxBacktracks": "--max-backtracks", "minimumAccuracy": "--min-accuracy", "gradientTolerance": "--gradient-tolerance",
        "maxOuterIterations": "--max-outer", "maxLowerLevelIterations": "--max-lower-level", "maxSeconds": "--max-seconds",
        "maxIterationsPerSolve": "--max-solve-iterations", "maxCGIterations": "--max-cg-iterations",
        "schedule.rate": "--rate", "schedule.power": "--power", "memory": "--memory",
    ]

    /// The library options; `seed` drives the random directions of the constant estimates.
    func options(seed: UInt64) -> MAIDOptions {
        var o = MAIDOptions()
        o.initialAccuracy = epsilon
        o.initialCGTolerance = delta
        o.initialStep = step
        o.stepShrink = stepShrink
        o.stepGrowth = stepGrowth
        o.accuracyTightening = accuracyTightening
        o.accuracyRelaxation = accuracyRelaxation
        o.descentMargin = descentMargin
        o.armijo = armijo
        o.maxBacktracks = maxBacktracks
        o.minimumAccuracy = minAccuracy
        o.gradientTolerance = gradientTolerance
        o.maxOuterIterations = maxOuter
        o.maxLowerLevelIterations = maxLowerLevel
        o.maxSeconds = maxSeconds > 0 ? maxSeconds : .infinity
        o.limits.maxIterationsPerSolve = maxSolveIterations
        o.limits.maxCGIterations = maxCgIterations
        o.direction = direction
        o.memory = memory
        o.tightenWhenDecreaseMasked = tightenWhenMasked
        switch method {
        case .maid: o.schedule = .adaptive
        case .fixed: o.schedule = .fixed
        case .geometric: o.schedule = .geometric(rate: rate)
        case .polynomial: o.schedule = .polynomial(power: power)
        }
        o.seed = seed
        return o
    }

    /// The library's validation, reported with the CLI's option names (a usage error).
    func validate() throws {
        if maxSeconds < 0 || !maxSeconds.isFinite { throw ValidationError("--max-seconds must be ≥ 0 (0: no limit), got \(maxSeconds)") }
        do { try options(seed: 0).validate() } catch BilevelError.invalidOption(let name, let value, let reason) {
            throw ValidationError("\(Self.optionNames[name] ?? name) \(formatNumber(value)): \(reason)")
        }
    }
}

/// What a learning run gives the tools: the learned θ and everything the report needs.
struct LearningOutcome {
    var theta: [Double]
    var stopReason: String
    var outerIterations: Int
    var lowerLevelIterations: Int
    var cgIterations: Int
    var seconds: Double
    var loss: Double
    var history: ConvergenceHistory
    /// θ after each outer iteration: (iterations, dim θ).
    var thetaHistory: Grid?
    var trainingPSNR: (noisy: Double, denoised: Double)
    var validationPSNR: (noisy: Double, denoised: Double)?
    /// The first training image, denoised with the learned θ.
    var example: Grid
    var trainingCount: Int
    var validationCount: Int

    /// The report's summary items shared by both tools (after the tool's parameters).
    var summary: [SummaryItem] {
        var s: [SummaryItem] = [
            SummaryItem("stop_reason", stopReason), SummaryItem("outer_iterations", outerIterations),
            SummaryItem("lower_level_iterations", lowerLevelIterations), SummaryItem("cg_iterations", cgIterations),
            SummaryItem("loss", loss), SummaryItem("training_images", trainingCount),
            SummaryItem("training_psnr_noisy", trainingPSNR.noisy), SummaryItem("training_psnr", trainingPSNR.denoised),
        ]
        if let v = validationPSNR {
            s += [SummaryItem("validation_images", validationCount),
                  SummaryItem("validation_psnr_noisy", v.noisy), SummaryItem("validation_psnr", v.denoised)]
        }
        return s + [SummaryItem("seconds", seconds)]
    }
}

/// The learning run shared by the tools: MAID (or the baseline) on the training pairs, then the
/// learned model applied to training and validation sets at a tight accuracy for the report.
enum Learning {
    /// RMS distance per pixel to which the reported reconstructions are solved (as `denoise`'s default).
    static let reportTolerance = 1e-4

    static func run<M: BilevelModel>(_ model: M, theta0: [Double], training: TrainingPairs, validation: TrainingPairs?,
                                     options: MAIDOptions, context: ToolContext, tool: String,
                                     columns: ([Double]) -> [(String, Double)] = { _ in [] }) throws -> LearningOutcome {
        let problem = try BilevelProblem(model: model, clean: training.clean, noisy: training.noisy)
        let progress = context.progress(tool, total: options.maxOuterIterations)
        let result = try MAID.run(problem: problem, initialTheta: theta0, options: options) { e in
            progress.update(e.iteration, status: "loss \(formatNumber(e.loss)) ε \(formatNumber(e.epsilon)) lower-level \(e.lowerLevelIterations) CG \(e.cgIterations)")
        }
        progress.update(options.maxOuterIterations, status: String(describing: result.stopReason))
        let h = result.history
        var cols: [(name: String, values: [Double])] = [
            ("iteration", h.map { Double($0.iteration) }), ("loss", h.map(\.loss)),
            ("loss_upper", h.map(\.lossUpper)), ("loss_lower", h.map(\.lossLower)),
            ("epsilon", h.map(\.epsilon)), ("delta", h.map(\.delta)), ("step", h.map(\.stepSize)),
            ("hypergradient_norm", h.map(\.hypergradientNorm)), ("error_bound", h.map(\.errorBound)),
            ("backtracks", h.map { Double($0.backtracks) }), ("accepted", h.map { $0.accepted ? 1 : 0 }),
            ("quasi_newton", h.map { $0.quasiNewton ? 1 : 0 }),
            ("decrease_masked", h.map { $0.decreaseMasked ? 1 : 0 }), ("projected_gradient_norm", h.map(\.projectedGradientNorm)),
            ("lower_level_iterations", h.map { Double($0.lowerLevelIterations) }),
            ("cg_iterations", h.map { Double($0.cgIterations) }), ("seconds", h.map(\.seconds)),
        ]
        let named = h.map { columns($0.theta) }
        for (j, name) in (named.first ?? []).map(\.0).enumerated() { cols.append((name, named.map { $0[j].1 })) }
        let thetaHistory = h.isEmpty ? nil
            : Grid(shape: Shape(h.count, theta0.count), storage: h.flatMap(\.theta))

        let trained = try denoise(model, theta: result.theta, noisy: training.noisy)
        var validationPSNR: (Double, Double)? = nil
        if let validation {
            let vp = try BilevelProblem(model: model, clean: validation.clean, noisy: validation.noisy)
            validationPSNR = (vp.meanPSNR(validation.noisy), vp.meanPSNR(try denoise(model, theta: result.theta, noisy: validation.noisy)))
        }
        return LearningOutcome(
            theta: result.theta, stopReason: result.stopReason.description, outerIterations: h.count,
            lowerLevelIterations: result.lowerLevelIterations, cgIterations: result.cgIterations,
            seconds: result.seconds, loss: result.loss, history: ConvergenceHistory(columns: cols),
            thetaHistory: thetaHistory, trainingPSNR: (problem.meanPSNR(training.noisy), problem.meanPSNR(trained)),
            validationPSNR: validationPSNR, example: trained[0], trainingCount: training.count,
            validationCount: validation?.count ?? 0)
    }

    /// The images denoised with the model of θ, each solved to the certified RMS distance
    /// ``reportTolerance`` per pixel exactly as `wb denoise tv|foe --model` solves them.
    static func denoise<M: BilevelModel>(_ model: M, theta: [Double], noisy: [Grid]) throws -> [Grid] {
        try noisy.map { y in
            let r = model.regularizer(theta: theta, height: y.shape[0], width: y.shape[1])
            return try SmoothDenoising.solve(noisy: y, regularizer: r, distanceTolerance: reportTolerance * Double(y.count).squareRoot(),
                                             maxIterations: 100_000).0
        }
    }

    /// The loss-curve figure (`<stem>_loss.svg`): loss and its certified bounds against the
    /// cumulative lower-level + CG iterations (the work measure of the MAID paper), log-y.
    static func lossCurve(_ outcome: LearningOutcome, title: String) -> (suffix: String, svg: String) {
        func column(_ name: String) -> [Double] { outcome.history.columns.first { $0.name == name }?.values ?? [] }
        let work = zip(column("lower_level_iterations"), column("cg_iterations")).map { $0 + $1 }
        var plot = SVGLinePlot()
        plot.title = title
        plot.xLabel = "cumulative lower-level + CG iterations"
        plot.yLabel = "training loss (1/m) Σ ½‖x̂ − x†‖²"
        plot.logY = true
        plot.series = [
            .init(name: "loss g(x̃)", x: work, y: column("loss"), markers: true),
            .init(name: "upper bound", x: work, y: column("loss_upper"), dashed: true),
            .init(name: "lower bound", x: work, y: column("loss_lower"), dashed: true),
        ]
        return ("loss", plot.svg())
    }
}

/// Usage checks and file handling shared by `learn tv` and `learn foe`.
protocol LearnTool: Tool {
    var data: TrainingDataOptions { get }
    var maid: MAIDCommandOptions { get }
}

extension LearnTool {
    static var inputCount: ClosedRange<Int> { 1...256 }
    static var producesModel: Bool { true }

    /// Folders are expanded to their PNG files.
    static func inputFiles(of input: String) throws -> [String] { try TrainingData.files(of: input) }

    func optionInputFiles() throws -> [String] { try data.files() }

    func validateLearnOptions() throws {
        let (_, output) = try splitFiles()
        try common.validate()
        if let output, !DatasetReference.isHDF5Path(output) {
            throw ValidationError("\(output): the output of wb learn is an HDF5 model file (.h5, .hdf5 or .nxs)")
        }
    }
}

import ArgumentParser
import Imaging
import Inverse

/// `wb calibrate PROBLEM.h5 OUT.h5`: blind gain calibration (Cambareri & Jacques) of a problem file.
struct Calibrate: Tool {
    static let toolName = "calibrate"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Blind gain calibration: recover x and the sensor gains d from y_l = diag(d) A_l x (+ noise).",
        discussion: """
        Reads a calibration problem file (docs/file-format.md; wb simulate calibration writes one, \
        and the minimal layout for your own instrument is /entry/measurements/data (p, m) plus \
        /entry/sensing/data (p, m, n)). Solves min f(ξ, γ) = (1/2mp) Σ_l ‖diag(γ) A_l ξ − y_l‖² over \
        1ᵀγ = m, ‖γ − 1‖_∞ ≤ ρ' by projected gradient descent from ξ₀ = (1/mp) Σ A_lᵀ y_l, γ₀ = 1 \
        (Algorithm 1), or over x = Z z, d = 1 + B b (Algorithm 2, used when the file holds \
        /entry/signal_basis and /entry/gain_basis). Steps: exact line search per block (default) or \
        --step fixed with μ_ξ = --mu, μ_γ = μ·m/‖ξ‖² and a divergence guard. Stops when the relative \
        change of both blocks is below --tolerance or the relative residual ‖r‖/‖y‖ is below \
        --residual-tolerance; a run that reaches --max-iterations warns and says converged=false. \
        --unit-gains solves for x with every gain fixed to 1 (the uncalibrated reconstruction).

        The gains are only identifiable up to scale: the result is the representative with \
        1ᵀγ̂ = m. When the file holds the truth, the errors e_x = ‖ξ̂ − αx‖/‖αx‖ and \
        e_d = ‖γ̂ − d/α‖/‖d/α‖ with α = 1ᵀd/m are reported. Writes /entry/signal (x̂, as an image \
        when the problem's signal is one), /entry/gains (γ̂, and the normalised truth as \
        /entry/gains/true, and α·x as /entry/true_signal), the convergence history (objective, residual, relative change, step \
        sizes, seconds), and OUT_gains.svg (γ̂ against the true gains, or γ̂ per sensor) and \
        OUT_convergence.svg (residual per iteration) next to OUT.h5.

        Examples:
          wb simulate calibration --unknowns 64 --sensors 64 --snapshots 8 --seed 1 problem.h5
          wb calibrate problem.h5 solution.h5
          wb calibrate --step fixed --mu 0.5 --max-iterations 20000 problem.h5 solution.h5
          wb calibrate --unit-gains problem.h5 uncalibrated.h5
        """)

    enum Step: String, ExpressibleByArgument, CaseIterable { case lineSearch = "line-search", fixed }
    enum Algorithm: String, ExpressibleByArgument, CaseIterable { case auto, one = "1", two = "2" }

    /// ρ' as a number in [0, 1) or `none`.
    struct GainBound: ExpressibleByArgument, CustomStringConvertible {
        let value: Double?
        init?(argument: String) {
            if argument == "none" { value = nil; return }
            guard let v = Double(argument) else { return nil }
            value = v
        }
        init(_ v: Double?) { value = v }
        var description: String { value.map(formatNumber) ?? "none" }
        var defaultValueDescription: String { description }
    }

    @OptionGroup var common: CommonOptions
    @Argument(help: "Problem file (.h5), then the output file (.h5).") var files: [String] = []
    @Option(help: "Algorithm: auto (2 when the problem has subspace bases), 1 or 2.") var algorithm: Algorithm = .auto
    @Option(help: "Step rule: line-search (exact, per block) or fixed.") var step: Step = .lineSearch
    @Option(help: "Fixed step μ (with --step fixed).") var mu = 0.5
    @Option(help: "Relative-change tolerance.") var tolerance = 1e-10
    @Option(help: "Relative-residual tolerance ‖r‖/‖y‖.") var residualTolerance = 1e-13
    @Option(help: "Iteration cap.") var maxIterations = 5000
    @Option(help: "Gain bound ρ' on ‖γ − 1‖_∞, in [0, 1), or none.") var gainBound = GainBound(0.99)
    @Flag(help: "Fix every gain to 1 and solve for x only (uncalibrated reconstruction).") var unitGains = false

    func validate() throws {
        try validateFiles()
        if maxIterations < 1 { throw ValidationError("--max-iterations must be ≥ 1, got \(maxIterations)") }
        if !(tolerance >= 0 && tolerance.isFinite) { throw ValidationError("--tolerance must be a finite number ≥ 0, got \(tolerance)") }
        if !(residualTolerance >= 0 && residualTolerance.isFinite) {
            throw ValidationError("--residual-tolerance must be a finite number ≥ 0, got \(residualTolerance)")
        }
        if !(mu > 0 && mu.isFinite) { throw ValidationError("--mu must be a finite number > 0, got \(mu)") }
        if let b = gainBound.value, !(b >= 0 && b < 1) {
            throw ValidationError("--gain-bound must be in [0, 1) (gains stay positive) or none, got \(formatNumber(b))")
        }
        if unitGains && algorithm == .two { throw ValidationError("--unit-gains solves for x alone (Algorithm 1); it excludes --algorithm 2") }
        let (inputs, output) = try splitFiles()
        for f in inputs + [output].compactMap({ $0 }) where !DatasetReference.isHDF5Path(DataFiles.fileComponent(f)) {
            throw ValidationError("\(f): calibrate reads and writes HDF5 files (.h5, .hdf5, .nxs)")
        }
        if let out = output {
            for suffix in ["gains", "convergence"] {
                let plot = OutputWriter.siblingPath(for: out, suffix: suffix)
                if AtomicOutput.exists(plot) && !common.force {
                    throw ValidationError("\(plot) exists (the plot written next to \(out)); use --force to overwrite")
                }
            }
        }
    }

    var options: BlindCalibration<AnySensing>.Options {
        var o = BlindCalibration<AnySensing>.Options()
        o.stepRule = step == .fixed ? .fixed(mu) : .lineSearch
        o.tolerance = tolerance
        o.residualTolerance = residualTolerance
        o.maxIterations = maxIterations
        o.gainBound = unitGains ? 0 : gainBound.value
        return o
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        guard case .file(let ref) = context.inputs[0] else {
            throw WBError("calibrate reads a problem file, not the image of another step")
        }
        let path = DataFiles.fileComponent(ref)
        let problem = try CalibrationProblemFile.read(path)
        let sensing = try problem.makeOperator()
        let useSubspaces: Bool
        switch algorithm {
        case .auto: useSubspaces = problem.hasSubspaces && !unitGains
        case .one: useSubspaces = false
        case .two:
            guard problem.hasSubspaces else {
                throw WBError("\(path): --algorithm 2 needs /entry/signal_basis/data and /entry/gain_basis/data")
            }
            useSubspaces = true
        }
        let monitor = SolverOutput.Monitor(context, tool: "calibrate", maxIterations: maxIterations)
        var solution: (signal: [Double], gains: [Double], report: SolverReport, residual: Double)
        var coefficients: (signal: [Double], gains: [Double])? = nil
        do {
            if useSubspaces {
                let z = try basis(problem.signalBasis, identity: problem.unknowns, file: path, name: "signal_basis")
                let b = try basis(problem.gainBasis, identity: nil, file: path, name: "gain_basis")
                let solver = try SubspaceBlindCalibration(sensing: sensing, measurements: problem.measurements.storage,
                                                          signalBasis: z, gainBasis: b, options: options)
                let r = solver.run(monitor: monitor.update)
                solution = (r.signal, r.gains, r.report, r.finalResidual)
                coefficients = (r.signalCoefficients, r.gainCoefficients)
            } else {
                let solver = try BlindCalibration(sensing: sensing, measurements: problem.measurements.storage, options: options)
                let r = solver.run(monitor: monitor.update)
                solution = (r.signal, r.gains, r.report, r.finalResidual)
            }
        } catch {
            throw WBError("\(path): \(error)")
        }
        let report = solution.report
        monitor.finish(report: report,
                       reached: "relative change \(formatNumber(report.final.relativeChange)), residual \(formatNumber(solution.residual))",
                       tolerance: formatNumber(tolerance))

        let interpretation = problem.signalShape?.count == 2 ? "image" : "spectrum"
        var extra: [NXData] = []
        var gains = NXData(name: "gains", signal: Grid(shape: Shape(problem.sensors), storage: solution.gains),
                           axes: ["sensor"], interpretation: "spectrum", longName: "estimated gains γ̂ (1ᵀγ̂ = m)")
        if let c = coefficients {
            extra.append(NXData(name: "signal_coefficients", signal: Grid(shape: Shape(c.signal.count), storage: c.signal),
                                axes: ["atom"], interpretation: "spectrum", longName: "signal coefficients ẑ (x̂ = Z ẑ)"))
            gains.extraDatasets["coefficients"] = Grid(shape: Shape(c.gains.count), storage: c.gains)
        }
        var summary: [SummaryItem] = [SummaryItem("algorithm", useSubspaces ? 2 : 1)] + SolverOutput.summary(report)
            + [SummaryItem("stop_reason", report.stopReason.description),
               SummaryItem("final_residual", solution.residual),
               SummaryItem("objective", report.final.objective ?? .nan)]
        var truth: [Double]? = nil
        if let x = problem.trueSignal, let d = problem.trueGains {
            guard let errors = CalibrationErrors(signal: solution.signal, gains: solution.gains, trueSignal: x, trueGains: d) else {
                throw WBError("\(path): the true gains sum to 0, so the normalisation 1ᵀd = m is ill-posed")
            }
            summary += [SummaryItem("signal_error", errors.signal), SummaryItem("gain_error", errors.gains),
                        SummaryItem("max_error", errors.maximum)]
            let alpha = d.reduce(0, +) / Double(d.count)
            truth = d.map { $0 / alpha }
            gains.extraDatasets["true"] = Grid(shape: Shape(d.count), storage: truth!)
            extra.append(NXData(name: "true_signal", signal: problem.signalGrid(x.map { $0 * alpha }),
                                interpretation: interpretation, longName: "true signal α·x (α = 1ᵀd/m)"))
        }

        var r = ToolResult(grid: problem.signalGrid(solution.signal), name: "signal")
        r.interpretation = interpretation
        r.longName = unitGains ? "uncalibrated estimate of x (gains fixed to 1)" : "estimated signal x̂"
        r.displayRange = .auto
        r.extra = [gains] + extra
        r.summary = summary
        r.convergence = history(report)
        r.plots = plots(gains: solution.gains, truth: truth, report: report)
        return r
    }

    /// A basis from the file, or the identity when absent (`identity` = its size).
    func basis(_ g: Grid?, identity: Int?, file: String, name: String) throws -> SubspaceBasis {
        if let g { return try SubspaceBasis(rows: g.shape[0], columns: g.shape[1], entries: g.storage) }
        if let n = identity { return SubspaceBasis.identity(n) }
        throw WBError("\(file): Algorithm 2 needs /entry/\(name)/data")
    }

    /// The solver history plus relative change, the step sizes μ_ξ and μ_γ, and elapsed time.
    func history(_ report: SolverReport) -> ConvergenceHistory {
        var h = SolverOutput.history(report)
        h.columns.append(("relative_change", report.history.map(\.relativeChange)))
        h.columns.append(("step_signal", report.history.map(\.stepSize)))
        h.columns.append(("step_gains", report.history.map { $0.secondaryStepSize ?? .nan }))
        h.columns.append(("elapsed_seconds", report.history.map(\.elapsedSeconds)))
        return h
    }

    /// γ̂ against the truth (or per sensor) and the residual per iteration.
    func plots(gains: [Double], truth: [Double]?, report: SolverReport) -> [(suffix: String, svg: String)] {
        var out: [(suffix: String, svg: String)] = []
        if let truth {
            let scatter = SVGScatterPlot(title: "Estimated against true gains (m = \(gains.count))",
                                         xLabel: "true gain d_i / α", yLabel: "estimated gain γ̂_i",
                                         x: truth, y: gains, name: "sensors")
            out.append(("gains", scatter.svg()))
        } else {
            var plot = SVGLinePlot(title: "Estimated gains", xLabel: "sensor i", yLabel: "estimated gain γ̂_i")
            plot.series = [.init(name: "", x: gains.indices.map(Double.init), y: gains, markers: true)]
            out.append(("gains", plot.svg()))
        }
        var conv = SVGLinePlot(title: "Convergence", xLabel: "iteration", yLabel: "value")
        conv.logY = true
        let it = report.history.map { Double($0.iteration) }
        conv.series = [.init(name: "residual ‖r‖/‖y‖", x: it, y: report.history.map { $0.residual ?? .nan }),
                       .init(name: "relative change", x: it, y: report.history.map(\.relativeChange), dashed: true)]
        out.append(("convergence", conv.svg()))
        return out
    }
}

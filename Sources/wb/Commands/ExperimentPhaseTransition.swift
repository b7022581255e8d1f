import ArgumentParser
import Imaging
import Inverse
import Synchronization

/// `wb experiment`: seeded, repeatable numerical experiments.
struct Experiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Numerical experiments: the phase transition of blind gain calibration (phase-transition).",
        subcommands: [ExperimentPhaseTransition.self])
}

/// A list of positive integers: `1-16`, `16,32,64,128` or a mix (`1-4,8,16`).
struct IntegerList: ExpressibleByArgument, CustomStringConvertible, Equatable {
    let values: [Int]
    let text: String

    init?(argument: String) {
        var out: [Int] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let v = Int(bounds[0]), v > 0 {
                out.append(v)
            } else if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a > 0, a <= b, b - a < 100_000 {
                out += Array(a...b)
            } else {
                return nil
            }
        }
        guard !out.isEmpty, Set(out).count == out.count, out == out.sorted() else { return nil }
        values = out
        text = argument
    }

    var description: String { text }
    var defaultValueDescription: String { text }
}

/// `wb experiment phase-transition OUT.h5`: success rate of Algorithm 1 over a (m or n) × p grid.
struct ExperimentPhaseTransition: Tool {
    static let toolName = "experiment-phase-transition"
    static let inputCount = 0...0
    static let configuration = CommandConfiguration(
        commandName: "phase-transition",
        abstract: "Phase transition of blind gain calibration: success rate over a grid of (m or n, p).",
        discussion: """
        For every grid point, --trials seeded problems of the spec's common set-up are solved \
        with Algorithm 1 (exact line search): x ~ N(0, I_n), gains 1 + u with u uniform, centred, \
        ‖u‖_∞ = --gain-range, sensing --sensing. A trial succeeds when max(e_x, e_d) ≤ --threshold \
        (relative errors after the normalisation 1ᵀd = m). --vary sensors varies m over --values at \
        n = --fixed; --vary unknowns varies n at m = --fixed. Points with mp < n + m − 1 are not \
        run (rate 0, flagged in /entry/skipped). Trials run in parallel on --threads workers; \
        results do not depend on the thread count. Progress goes to stderr.

        Writes /entry/success_rate (rows: --values, columns: p), /entry/median_iterations (among \
        successes, NaN when none), /entry/capped_trials (runs stopped by --max-iterations), \
        /entry/seconds (summed solver time per point), /entry/skipped, and OUT_success.svg, a heat \
        map with the counting floor mp = n + m − 1 drawn over it. The summary gives the wall time \
        and, per row, the smallest mp/(n + m) from which on every listed p has a success rate ≥ 50 % \
        (transition_50_…) and ≥ 90 % (transition_90_…); NaN when the grid never gets there.

        Examples:
          wb experiment phase-transition --values 16,32,64,128 --snapshots 1-16 --fixed 64 --trials 20 pt.h5
          wb experiment phase-transition --vary unknowns --values 32,64 --fixed 64 --snapshots 2-8 --trials 5 pt.h5
        """)

    enum Vary: String, ExpressibleByArgument, CaseIterable { case sensors, unknowns }
    enum Sensing: String, ExpressibleByArgument, CaseIterable { case gaussian, bernoulli, convolution }

    @OptionGroup var common: CommonOptions
    @Argument(help: "Output file (.h5).") var files: [String] = []
    @Option(help: "Which dimension the rows vary: sensors (m) or unknowns (n).") var vary: Vary = .sensors
    @Option(help: "Row values of the varied dimension, e.g. 16,32,64,128 or 16-20.") var values = IntegerList(argument: "16,32,64,128")!
    @Option(help: "Snapshot counts p (columns), e.g. 1-16.") var snapshots = IntegerList(argument: "1-16")!
    @Option(help: "The other dimension: n when varying sensors, m when varying unknowns.") var fixed = 64
    @Option(help: "Gain range ρ (0 ≤ ρ < 1).") var gainRange = 0.5
    @Option(help: "Trials per grid point.") var trials = 20
    @Option(help: "Success threshold on max(e_x, e_d).") var threshold = 1e-6
    @Option(help: "Sensing operators: gaussian, bernoulli or convolution.") var sensing: Sensing = .gaussian
    @Option(help: "Iteration cap per trial.") var maxIterations = 5000
    @Option(help: "Relative-change tolerance per trial.") var tolerance = 1e-12

    func validate() throws {
        try validateFiles()
        if fixed < 1 { throw ValidationError("--fixed must be ≥ 1, got \(fixed)") }
        if !(gainRange >= 0 && gainRange < 1) { throw ValidationError("--gain-range must be in [0, 1), got \(gainRange)") }
        if trials < 1 { throw ValidationError("--trials must be ≥ 1, got \(trials)") }
        if !(threshold > 0 && threshold.isFinite) { throw ValidationError("--threshold must be a finite number > 0, got \(threshold)") }
        if maxIterations < 1 { throw ValidationError("--max-iterations must be ≥ 1, got \(maxIterations)") }
        if !(tolerance >= 0 && tolerance.isFinite) { throw ValidationError("--tolerance must be a finite number ≥ 0, got \(tolerance)") }
        if sensing == .convolution {
            let m = vary == .sensors ? values.values.max()! : fixed, n = vary == .sensors ? fixed : values.values.min()!
            if m > n { throw ValidationError("--sensing convolution needs m ≤ n; the grid has m = \(m) > n = \(n)") }
        }
        let (_, output) = try splitFiles()
        if let out = output {
            guard DatasetReference.isHDF5Path(out) else { throw ValidationError("\(out): the experiment writes HDF5 (.h5, .hdf5, .nxs)") }
            let plot = OutputWriter.siblingPath(for: out, suffix: "success")
            if AtomicOutput.exists(plot) && !common.force {
                throw ValidationError("\(plot) exists (the heat map written next to \(out)); use --force to overwrite")
            }
        }
    }

    /// Guards the progress reporter (the library calls back from worker threads); made on the
    /// first call, when the number of trials actually run is known.
    final class LockedProgress: @unchecked Sendable {
        let context: ToolContext
        let reporter = Mutex<ProgressReporter?>(nil)
        init(_ context: ToolContext) { self.context = context }
        func update(_ done: Int, _ total: Int) {
            reporter.withLock { r in
                if r == nil { r = context.progress("phase transition", total: total) }
                r?.update(done, status: "trials")
            }
        }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        var c = CalibrationExperiments.PhaseTransitionConfiguration()
        c.axis = vary == .sensors ? .sensors : .unknowns
        c.axisValues = values.values
        c.snapshots = snapshots.values
        c.fixedDimension = fixed
        c.range = gainRange
        c.trials = trials
        c.threshold = threshold
        c.sensing = sensing.rawValue
        c.maxIterations = maxIterations
        c.tolerance = tolerance
        c.seed = context.seed
        let rows = values.values.count, columns = snapshots.values.count
        let progress = LockedProgress(context)
        let result = try CalibrationExperiments.phaseTransition(c, progress: { done, total in progress.update(done, total) })

        func table(_ t: [[Double]]) -> Grid { Grid(shape: Shape(rows, columns), storage: t.flatMap { $0 }) }
        let rowName = vary == .sensors ? "m" : "n"
        let axisValues: [String: Grid] = [
            rowName: Grid(shape: Shape(rows), storage: values.values.map(Double.init)),
            "p": Grid(shape: Shape(columns), storage: snapshots.values.map(Double.init)),
        ]
        func group(_ name: String, _ t: Grid, _ long: String) -> NXData {
            var d = NXData(name: name, signal: t, axes: [rowName, "p"], interpretation: "image", longName: long)
            d.axisValues = axisValues
            return d
        }
        let success = table(result.successRate)
        var extra = [group("median_iterations", table(result.medianIterations), "median iterations among successes"),
                     group("capped_trials", table(result.cappedTrials.map { $0.map(Double.init) }), "trials stopped by the iteration cap"),
                     group("seconds", table(result.seconds), "summed solver seconds per grid point"),
                     group("skipped", table(result.skipped.map { $0.map { $0 ? 1 : 0 } }), "1 where mp < n + m − 1 (not run)")]
        extra.append(group("median_iterations_to_threshold", table(result.medianIterationsToThreshold),
                           "median iterations until max error ≤ threshold, among successes"))
        extra.append(group("mp_over_n_plus_m", table(result.oversampling), "mp/(n + m)"))
        // Where the transition lies, per row, in units of mp/(n + m): from this p on every rate ≥ level.
        var summary: [SummaryItem] = [SummaryItem("grid_points", rows * columns), SummaryItem("trials", trials),
                                      SummaryItem("threads", result.threads), SummaryItem("wall_seconds", result.wallSeconds)]
        for level in [0.5, 0.9] {
            for (i, v) in result.transition(rate: level).enumerated() {
                summary.append(SummaryItem("transition_\(Int(level * 100))_\(rowName)\(values.values[i])", v ?? .nan))
            }
        }

        var r = ToolResult(grid: success, name: "success_rate")
        r.axes = [rowName, "p"]
        r.longName = "success rate (max relative error ≤ \(formatNumber(threshold)), \(trials) trials)"
        r.extra = extra
        r.summary = summary
        r.displayRange = .fixed(0, 1)
        r.attributes = ["sensing": .string(sensing.rawValue), "fixed_dimension": .int(fixed),
                        "gain_range": .double(gainRange), "threshold": .double(threshold)]
        r.plots = [("success", heatMap(result.successRate, rowName: rowName))]
        // The NXdata axis values of the main result.
        r.axisValues = axisValues
        return r
    }

    /// Success-rate heat map with the counting floor mp = n + m − 1.
    func heatMap(_ rates: [[Double]], rowName: String) -> String {
        let p = snapshots.values
        var map = SVGHeatMap(
            title: "Blind calibration success rate (\(sensing.rawValue), \(vary == .sensors ? "n" : "m") = \(fixed), ρ = \(formatNumber(gainRange)), \(trials) trials)",
            xLabel: "snapshots p", yLabel: vary == .sensors ? "sensors m" : "unknowns n", colorbarLabel: "success rate",
            values: rates.flatMap { $0 }, rows: rates.count, columns: p.count,
            rowLabels: values.values.map(String.init), columnLabels: p.map(String.init), range: 0...1)
        map.annotate = p.count <= 24
        // Column coordinate of a (fractional) p, interpolating between the listed p values.
        func column(_ q: Double) -> Double {
            if q <= Double(p[0]) { return 0.5 - (Double(p[0]) - q) }
            for j in 1..<max(p.count, 1) where q <= Double(p[j]) {
                return Double(j) - 0.5 + (q - Double(p[j - 1])) / Double(p[j] - p[j - 1])
            }
            return Double(p.count) - 0.5 + (q - Double(p[p.count - 1]))
        }
        for (i, v) in values.values.enumerated() {
            let (m, n) = vary == .sensors ? (v, fixed) : (fixed, v)
            let floor = Double(n + m - 1) / Double(m)
            map.overlay.append((column(floor), Double(i)))
            map.overlay.append((column(floor), Double(i + 1)))
        }
        map.overlayName = "mp = n + m − 1"
        return map.svg()
    }
}

import Foundation
import Testing
@testable import Imaging

/// End-to-end tests of `wb simulate calibration`, `wb calibrate` and `wb experiment phase-transition`.
@Suite(.serialized) struct CalibrationToolTests {
    func run(_ args: [String], in dir: TempDir) throws -> CLIResult {
        let r = try CLI.run(args, in: dir.path)
        #expect(r.code == 0, "wb \(args.joined(separator: " ")) failed: \(r.stderr)")
        return r
    }

    func summary(_ file: String) throws -> [String: HDF5Value] {
        let f = try HDF5File(file)
        defer { f.close() }
        return try f.attributes(of: "/entry/process/summary")
    }

    func read(_ file: String, _ dataset: String) throws -> Grid {
        let f = try HDF5File(file)
        defer { f.close() }
        return try f.readGrid(dataset)
    }

    func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        var num = 0.0, den = 0.0
        for i in a.indices { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i] }
        return (num / den).squareRoot()
    }

    @Test(arguments: ["gaussian", "bernoulli", "convolution"])
    func simulateThenCalibrateRecoversTruth(sensing: String) throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try run(["simulate", "calibration", "--unknowns", "32", "--sensors", "32", "--snapshots", "8",
                     "--sensing", sensing, "--seed", "3", "problem.h5"], in: dir)
        // Random sensing is described, not stored.
        let pf = try HDF5File(dir.file("problem.h5"))
        let attrs = try pf.attributes(of: "/entry/measurements")
        #expect(attrs["sensing"]?.stringValue == sensing)
        #expect(attrs["unknowns"]?.intValue == 32)
        #expect(attrs["sensing_seed"]?.stringValue.flatMap { UInt64($0) } != nil)
        #expect(!pf.exists("/entry/sensing"))
        #expect(try pf.readGrid("/entry/measurements/data").shape == Shape(8, 32))
        let x = try pf.readGrid("/entry/true_signal/data").storage, d = try pf.readGrid("/entry/true_gains/data").storage
        pf.close()

        let r = try run(["calibrate", "problem.h5", "solution.h5"], in: dir)
        #expect(r.stdout.contains("converged=true") && r.stdout.contains("algorithm=1"), "\(r.stdout)")
        let s = try summary(dir.file("solution.h5"))
        let maxError = try #require(s["max_error"]?.doubleValue)
        #expect(maxError <= 1e-6, "max error \(maxError)")
        // The stored estimate against the truth (simulated gains have 1ᵀd = m, so α = 1).
        let xh = try read(dir.file("solution.h5"), "/entry/signal/data").storage
        let dh = try read(dir.file("solution.h5"), "/entry/gains/data").storage
        #expect(relativeError(xh, x) <= 1e-6 && relativeError(dh, d) <= 1e-6)
        #expect(abs(dh.reduce(0, +) - 32) < 1e-9)
        // History and plots.
        let f = try HDF5File(dir.file("solution.h5"))
        for c in ["iteration", "objective", "residual", "relative_change", "step_signal", "step_gains", "seconds", "elapsed_seconds"] {
            #expect(f.isDataset("/entry/process/convergence/\(c)"), "history column \(c)")
        }
        // Exact line search: both block steps are positive and finite in the first iterations.
        let steps = try f.readGrid("/entry/process/convergence/step_gains").storage
        #expect(!steps.isEmpty && steps.prefix(5).allSatisfy { $0 > 0 && $0.isFinite }, "μ_γ history \(steps.prefix(5))")
        f.close()
        for plot in ["solution_gains.svg", "solution_convergence.svg"] {
            let svg = try String(contentsOfFile: dir.file(plot), encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") && svg.contains("</svg>"))
        }
    }

    @Test func gainsFileIsAProtectedInputWithProvenance() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let f = try HDF5File(dir.file("gains.h5"), mode: .create)
        try f.write(Grid(shape: Shape(16), storage: (0..<16).map { 0.8 + 0.025 * Double($0) }), to: "/gains")
        f.close()
        _ = try run(["simulate", "calibration", "--unknowns", "16", "--snapshots", "8", "--gains", "gains.h5:/gains",
                     "--seed", "1", "p.h5"], in: dir)
        let out = try HDF5File(dir.file("p.h5"))
        defer { out.close() }
        let files = try out.readStrings("/entry/process/input_files")
        #expect(files.contains { $0.hasSuffix("gains.h5") }, "input_files: \(files)")
        #expect(try out.readStrings("/entry/process/input_sha256").count == files.count)
        // The gains file may not be the output.
        let r = try CLI.run(["simulate", "calibration", "--unknowns", "16", "--gains", "gains.h5:/gains", "--force",
                             "gains.h5"], in: dir.path)
        #expect(r.code != 0 && r.stderr.contains("gains.h5"), "\(r.code): \(r.stderr)")
    }

    @Test func imageSignalKeepsShapeAndUnitGainsBaselineIsWorse() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let image = testImage(8, 8)
        let f = try HDF5File(dir.file("image.h5"), mode: .create)
        try f.write(image, to: "/image")
        f.close()
        _ = try run(["simulate", "calibration", "--sensors", "64", "--snapshots", "6", "--seed", "2", "image.h5", "p.h5"], in: dir)
        _ = try run(["calibrate", "p.h5", "x.h5"], in: dir)
        let xh = try read(dir.file("x.h5"), "/entry/signal/data")
        #expect(xh.shape == Shape(8, 8))
        #expect(relativeError(xh.storage, image.storage) <= 1e-6)
        let r = try run(["calibrate", "--unit-gains", "p.h5", "u.h5"], in: dir)
        let uncalibrated = try #require(try summary(dir.file("u.h5"))["signal_error"]?.doubleValue)
        #expect(uncalibrated > 1e-2, "gains fixed to 1 should not recover x: \(r.stdout)")
    }

    /// The minimal layout a user writes (docs/file-format.md): measurements + matrices, no truth.
    @Test func userMatricesMinimalLayout() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (p, m, n) = (6, 24, 16)
        var rng = RandomSource(seed: 11)
        let a = rng.gaussianGrid(Shape(p, m, n))
        let x = (0..<n).map { _ in rng.gaussian() }
        let d = (0..<m).map { _ in 1 + 0.4 * (2 * rng.uniform() - 1) }
        var y = Grid(shape: Shape(p, m))
        for l in 0..<p { for i in 0..<m {
            var s = 0.0
            for j in 0..<n { s += a[l, i, j] * x[j] }
            y[l, i] = d[i] * s
        } }
        let f = try HDF5File(dir.file("mine.h5"), mode: .create)
        try f.createGroup("/entry")
        try f.createGroup("/entry/measurements")
        try f.createGroup("/entry/sensing")
        try f.write(y, to: "/entry/measurements/data")
        try f.write(a, to: "/entry/sensing/data")
        f.close()
        let r = try run(["calibrate", "--tolerance", "1e-13", "mine.h5", "out.h5"], in: dir)
        #expect(r.stdout.contains("converged=true") && !r.stdout.contains("max_error"), "\(r.stdout)")
        let xh = try read(dir.file("out.h5"), "/entry/signal/data").storage
        let alpha = d.reduce(0, +) / Double(m)
        #expect(relativeError(xh, x.map { $0 * alpha }) <= 1e-6)
        #expect(FileManager.default.fileExists(atPath: dir.file("out_gains.svg")))

        // The same matrices from another file, referenced by simulate --reference-matrices.
        let g = try HDF5File(dir.file("A.h5"), mode: .create)
        try g.write(a, to: "/A")
        g.close()
        _ = try run(["simulate", "calibration", "--sensing", "matrices", "--matrices", "A.h5:/A", "--reference-matrices",
                     "--seed", "4", "ref.h5"], in: dir)
        let h = try HDF5File(dir.file("ref.h5"))
        #expect(try h.attributes(of: "/entry/measurements")["sensing_matrices"]?.stringValue == "A.h5:/A")
        #expect(!h.exists("/entry/sensing"))
        h.close()
        let q = try run(["calibrate", "--tolerance", "1e-13", "ref.h5", "ref_out.h5"], in: dir)
        let e = try #require(try summary(dir.file("ref_out.h5"))["max_error"]?.doubleValue)
        #expect(e <= 1e-6, "\(q.stdout)")
    }

    @Test func subspaceProblemUsesAlgorithm2WithOneSnapshot() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try run(["simulate", "calibration", "--unknowns", "64", "--sensors", "64", "--snapshots", "1",
                     "--signal-subspace", "6", "--gain-subspace", "4", "--seed", "5", "p.h5"], in: dir)
        let r = try run(["calibrate", "p.h5", "s.h5"], in: dir)
        #expect(r.stdout.contains("algorithm=2"), "\(r.stdout)")
        let e = try #require(try summary(dir.file("s.h5"))["max_error"]?.doubleValue)
        #expect(e <= 1e-6, "\(r.stdout)")
        #expect(try read(dir.file("s.h5"), "/entry/signal_coefficients/data").count == 6)
    }

    @Test func phaseTransitionTinyGrid() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let r = try run(["experiment", "phase-transition", "--values", "8,16", "--fixed", "8", "--snapshots", "1-4",
                         "--trials", "2", "--seed", "1", "pt.h5"], in: dir)
        #expect(r.stdout.contains("wall_seconds="), "\(r.stdout)")
        let f = try HDF5File(dir.file("pt.h5"))
        defer { f.close() }
        for name in ["success_rate", "median_iterations", "median_iterations_to_threshold", "capped_trials",
                     "seconds", "skipped", "mp_over_n_plus_m"] {
            #expect(try f.readGrid("/entry/\(name)/data").shape == Shape(2, 4), "\(name)")
        }
        #expect(try f.readGrid("/entry/success_rate/m").storage == [8, 16])
        #expect(try f.readGrid("/entry/success_rate/p").storage == [1, 2, 3, 4])
        let rate = try f.readGrid("/entry/success_rate/data").storage
        #expect(rate.allSatisfy { $0 >= 0 && $0 <= 1 })
        // m = 8, p = 1: mp = 8 < n + m − 1 = 15, not run.
        #expect(try f.readGrid("/entry/skipped/data")[0, 0] == 1 && rate[0] == 0)
        let svg = try String(contentsOfFile: dir.file("pt_success.svg"), encoding: .utf8)
        #expect(svg.contains("snapshots p") && svg.contains("sensors m") && svg.contains("success rate"))
    }

    // MARK: Bad input: clear message, exit ≠ 0, no output.

    func expectFailure(_ args: [String], code: Int32 = 1, message: [String], setup: (TempDir) throws -> Void = { _ in }) throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try setup(dir)
        let before = dir.listing()
        let r = try CLI.run(args, in: dir.path)
        #expect(r.code == code, "exit \(r.code): \(r.stderr)")
        for m in message { #expect(r.stderr.contains(m), "stderr lacks '\(m)': \(r.stderr)") }
        #expect(!r.stderr.contains("HDF5-DIAG") && !r.stderr.contains("Fatal error"), "\(r.stderr)")
        #expect(dir.listing() == before, "files changed: \(before) → \(dir.listing())")
    }

    /// A valid small problem (p = 4, m = n = 8) written by hand, with an optional tweak.
    func writeProblem(_ dir: TempDir, name: String = "p.h5", measurements: Grid? = nil, matrices: Grid? = nil,
                      omitMeasurements: Bool = false) throws {
        var rng = RandomSource(seed: 1)
        let a = matrices ?? rng.gaussianGrid(Shape(4, 8, 8))
        let y = measurements ?? rng.gaussianGrid(Shape(4, 8))
        let f = try HDF5File(dir.file(name), mode: .create)
        try f.createGroup("/entry")
        try f.createGroup("/entry/measurements")
        try f.createGroup("/entry/sensing")
        if !omitMeasurements { try f.write(y, to: "/entry/measurements/data") }
        try f.write(a, to: "/entry/sensing/data")
        f.close()
    }

    @Test func missingMeasurements() throws {
        try expectFailure(["calibrate", "p.h5", "out.h5"], message: ["p.h5", "/entry/measurements/data"]) {
            try writeProblem($0, omitMeasurements: true)
        }
    }

    @Test func missingSensingDescription() throws {
        try expectFailure(["calibrate", "p.h5", "out.h5"], message: ["p.h5", "sensing"]) { d in
            let f = try HDF5File(d.file("p.h5"), mode: .create)
            try f.createGroup("/entry")
            try f.createGroup("/entry/measurements")
            try f.write(Grid(shape: Shape(4, 8), repeating: 1), to: "/entry/measurements/data")
            f.close()
        }
    }

    @Test func wrongMatrixShape() throws {
        try expectFailure(["calibrate", "p.h5", "out.h5"], message: ["p.h5", "(4, 8, n)"]) {
            try writeProblem($0, matrices: Grid(shape: Shape(4, 9, 8), repeating: 1))
        }
    }

    @Test func nanInMeasurements() throws {
        var y = Grid(shape: Shape(4, 8), repeating: 1)
        y[2, 3] = .nan
        try expectFailure(["calibrate", "p.h5", "out.h5"], message: ["p.h5", "/entry/measurements/data", "NaN"]) {
            try writeProblem($0, measurements: y)
        }
    }

    @Test func tooFewMeasurements() throws {
        try expectFailure(["calibrate", "p.h5", "out.h5"], message: ["p.h5", "too few measurements"]) {
            try writeProblem($0, measurements: Grid(shape: Shape(1, 8), repeating: 1),
                             matrices: Grid(shape: Shape(1, 8, 8), repeating: 1))
        }
    }

    @Test(arguments: [
        (["calibrate", "--gain-bound", "1.5", "p.h5", "out.h5"], "--gain-bound"),
        (["calibrate", "--max-iterations", "0", "p.h5", "out.h5"], "--max-iterations"),
        (["calibrate", "--step", "fixed", "--mu", "-1", "p.h5", "out.h5"], "--mu"),
        (["calibrate", "--tolerance", "nan", "p.h5", "out.h5"], "--tolerance"),
        (["simulate", "calibration", "--unknowns", "8", "--gain-range", "1.2", "out.h5"], "--gain-range"),
        (["simulate", "calibration", "--sensing", "matrices", "--unknowns", "8", "out.h5"], "--matrices"),
        (["experiment", "phase-transition", "--snapshots", "5-1", "out.h5"], "--snapshots"),
        (["experiment", "phase-transition", "--trials", "0", "out.h5"], "--trials"),
    ])
    func badOptions(args: [String], option: String) throws {
        try expectFailure(args, code: 2, message: [option]) { try writeProblem($0) }
    }
}

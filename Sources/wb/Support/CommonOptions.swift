import ArgumentParser
import Imaging

/// Options every tool accepts (formats.md §4).
struct CommonOptions: ParsableArguments {
    @Option(help: "Seed of every random step (pipelines derive one per step from it).")
    var seed: UInt64 = 0

    @Option(help: "Compute threads for parallel loops, FFTW and OpenBLAS (default: all cores).")
    var threads: Int?

    @Option(help: "FFTW planning: estimate (fast planning) or measure (slower planning, faster long runs).")
    var fftPlanning: FFTPlanning = .estimate

    @Flag(name: .shortAndLong, help: "Log more detail to stderr.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "No progress or log output on stderr.")
    var quiet = false

    @Flag(help: "Overwrite an existing output file (an input is never overwritten).")
    var force = false

    @Flag(help: "Print the summary on stdout as one JSON object.")
    var json = false

    func validate() throws {
        if let t = threads, t < 1 || t > 256 {
            throw ValidationError("--threads must be between 1 and 256, got \(t)")
        }
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
    }

    /// Applies the thread and planning settings to the libraries.
    func applySettings() {
        if let t = threads { ComputeThreads.set(t) }
        FFTSettings.setPlanning(fftPlanning)
    }
}

extension FFTPlanning: ExpressibleByArgument {}
extension PNGChannels: ExpressibleByArgument {}
extension HDF5Precision: ExpressibleByArgument {}

/// A `lo:hi` display range, or `auto` (the data's min:max).
enum DisplayRange: ExpressibleByArgument, Equatable, Sendable, CustomStringConvertible {
    case fixed(Double, Double)
    case auto

    init?(argument: String) {
        if argument == "auto" { self = .auto; return }
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]),
              lo.isFinite, hi.isFinite, lo < hi else { return nil }
        self = .fixed(lo, hi)
    }

    var description: String {
        switch self {
        case .auto: return "auto"
        case .fixed(let a, let b): return "\(formatNumber(a)):\(formatNumber(b))"
        }
    }

    /// The concrete range for `grid` (auto → min...max, or 0...1 when constant).
    func resolve(for grid: Grid) -> ClosedRange<Double> {
        switch self {
        case .fixed(let a, let b): return a...b
        case .auto:
            let lo = grid.min, hi = grid.max
            return lo < hi ? lo...hi : (lo - 0.5)...(lo + 0.5)
        }
    }
}

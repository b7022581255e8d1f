import Imaging

/// Where a tool's input comes from: a file on disk, or a result held in memory by a pipeline.
enum InputSource {
    /// A PNG path or an HDF5 reference (`file.h5` or `file.h5:/path/to/dataset`).
    case file(String)
    /// The result of an earlier pipeline step.
    case step(id: String, grid: Grid)

    /// The name used in messages.
    var label: String {
        switch self {
        case .file(let p): return p
        case .step(let id, _): return "step '\(id)'"
        }
    }

    /// The file path on disk, if any (without a `:/dataset` suffix).
    var filePath: String? {
        if case .file(let p) = self { return DataFiles.fileComponent(p) }
        return nil
    }
}

/// Reading grids from PNG and HDF5 by extension; every grid read is checked for NaN/Inf.
enum DataFiles {
    enum Format { case png, hdf5 }

    /// The format implied by a path's extension, or a clear error.
    static func format(of path: String, role: String) throws -> Format {
        let file = fileComponent(path)
        let lower = file.lowercased()
        if lower.hasSuffix(".png") { return .png }
        if DatasetReference.isHDF5Path(file) { return .hdf5 }
        throw WBError("\(path): unknown \(role) format (use .png, or .h5/.hdf5/.nxs for HDF5)")
    }

    /// "a.h5:/x" → "a.h5"; paths without a dataset part unchanged.
    static func fileComponent(_ ref: String) -> String {
        if ref.lowercased().hasSuffix(".png") { return ref }
        let r = DatasetReference(parsing: ref)
        return r.file
    }

    /// Reads a grid from `ref` (PNG or HDF5 reference), rejecting NaN/Inf and checking the rank.
    static func read(_ ref: String, channels: PNGChannels = .gray, ranks: ClosedRange<Int> = 1...4) throws -> Grid {
        let grid: Grid
        let source: String
        switch try format(of: ref, role: "input") {
        case .png:
            grid = try PNG.read(ref, channels: channels)
            source = ref
        case .hdf5:
            let r = DatasetReference(parsing: ref)
            let file = try HDF5File(r.file)
            defer { file.close() }
            let path = try r.dataset ?? file.defaultSignalPath()
            grid = try file.readGrid(path)
            source = "\(r.file):\(path)"
        }
        try grid.requireFinite(source: source)
        if !ranks.contains(grid.rank) {
            throw ImagingError.invalidData(source: source,
                reason: "rank \(grid.rank) (shape \(grid.shape)); this tool takes rank \(ranks.lowerBound == ranks.upperBound ? "\(ranks.lowerBound)" : "\(ranks.lowerBound)–\(ranks.upperBound)")")
        }
        return grid
    }
}

/// What a tool sees while it runs: its inputs, seed and progress settings.
final class ToolContext {
    let inputs: [InputSource]
    let seed: UInt64
    let quiet: Bool
    let verbose: Bool
    /// Models of earlier pipeline steps, by the option of this step that names them.
    var stepModels: [String: DenoisingModel] = [:]

    init(inputs: [InputSource], seed: UInt64, quiet: Bool, verbose: Bool) {
        self.inputs = inputs
        self.seed = seed
        self.quiet = quiet
        self.verbose = verbose
    }

    /// Input `i` as a grid (PNG read as `channels`), checked for NaN/Inf and rank.
    func grid(_ i: Int, channels: PNGChannels = .gray, ranks: ClosedRange<Int> = 1...4) throws -> Grid {
        switch inputs[i] {
        case .file(let ref): return try DataFiles.read(ref, channels: channels, ranks: ranks)
        case .step(let id, let g):
            if !ranks.contains(g.rank) {
                throw ImagingError.invalidData(source: "step '\(id)'", reason: "rank \(g.rank) (shape \(g.shape)) not accepted here (\(ranks))")
            }
            return g
        }
    }

    /// A progress reporter that respects `--quiet`.
    func progress(_ label: String, total: Int) -> ProgressReporter {
        ProgressReporter(label: label, total: total, enabled: !quiet)
    }

    /// A log line on stderr unless `--quiet`.
    func log(_ text: String) { if !quiet { printError(text) } }
}

/// What a tool produces: an optional main grid (written as NeXus NXdata or PNG) and a summary.
struct ToolResult {
    /// The main result, if the tool makes one (metrics and info do not).
    var grid: Grid?
    /// NXdata name in a standalone output file.
    var name: String = "result"
    var axes: [String]? = nil
    var interpretation: String? = "image"
    var longName: String? = nil
    var units: String? = nil
    /// How the grid maps to a PNG when written as one.
    var displayRange: DisplayRange = .fixed(0, 1)
    /// Further NXdata groups (e.g. a kernel or a mask).
    var extra: [NXData] = []
    /// Named scalar results: printed and stored.
    var summary: [SummaryItem] = []
    /// Values of the main result's axes by axis name (pixel indices when absent).
    var axisValues: [String: Grid] = [:]
    /// Further attributes of the main NXdata group (not printed).
    var attributes: [String: HDF5Value] = [:]
    /// Solver history, if any.
    var convergence: ConvergenceHistory? = nil
    /// Further per-iteration arrays stored in the convergence group beside its columns (e.g.
    /// `theta`, shape (iterations, dim θ)).
    var convergenceDatasets: [(name: String, grid: Grid)] = []
    /// A model for later steps and for the output file (`/model` standalone,
    /// `/entry/<step>/model` in a pipeline).
    var model: DenoisingModel? = nil
    /// Figures written next to the output as `<stem>_<suffix>.svg` (see ``SVGPlot``; in a pipeline
    /// `<stem>_<step>_<suffix>.svg`). Written through ``sideFiles`` like the attachments.
    var plots: [(suffix: String, svg: String)] = []
    /// Other side files (e.g. PNG panels) written next to the output as `<stem>_<suffix>.<ext>`;
    /// each must be listed in the tool's ``Tool/attachmentNames`` (checked before the tool runs).
    var attachments: [Attachment] = []

    /// Every side file of the result, plots included: the one list that standalone runs and
    /// pipelines write (``OutputWriter/writeSideFiles(_:path:force:inputs:log:)``).
    var sideFiles: [Attachment] {
        attachments + plots.map { plot in Attachment(suffix: plot.suffix, ext: "svg") { try SVGPlot.write(plot.svg, to: $0) } }
    }
}

/// A side file of a result: its name suffix and extension, and how to write it (atomically) to a path.
struct Attachment {
    let suffix: String
    let ext: String
    let write: (String) throws -> Void
}

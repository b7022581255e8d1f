import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// Writes tool results: NeXus HDF5 with provenance, or PNG, always atomically.
enum OutputWriter {
    /// The command line as typed, for provenance.
    static var commandLine: String {
        CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    /// The NXdata group of a result's grid.
    static func nxData(_ result: ToolResult, name: String, grid: Grid) -> NXData {
        var d = NXData(name: name, signal: grid, axes: result.axes, interpretation: result.interpretation,
                       longName: result.longName, units: result.units)
        for item in result.summary { d.attributes[item.name] = item.hdf5Value }
        for (key, value) in result.attributes { d.attributes[key] = value }
        d.axisValues = result.axisValues
        return d
    }

    /// Writes a standalone tool's output (format by extension).
    static func writeStandalone(_ result: ToolResult, to output: String, tool: String,
                                parameters: String, seed: UInt64, inputs: [String]) throws {
        guard let grid = result.grid else {
            throw WBError("\(tool) produced no image to write to \(output)")
        }
        switch try DataFiles.format(of: output, role: "output") {
        case .png:
            try writePNG(grid, to: output, displayRange: result.displayRange, bitDepth: 8)
        case .hdf5:
            let main = nxData(result, name: result.name, grid: grid)
            var doc = NeXusDocument(
                results: [main] + result.extra, defaultResult: result.name,
                provenance: Provenance(commandLine: commandLine, parameters: parameters, seed: seed, inputs: inputs),
                convergence: result.convergence,
                summary: Dictionary(uniqueKeysWithValues: result.summary.map { ($0.name, $0.hdf5Value) }))
            if let model = result.model { doc.appendices.append(modelWriter(model, group: "/model")) }
            if result.convergence != nil {
                doc.appendices.append(datasetWriter(result.convergenceDatasets, group: "/entry/process/convergence"))
            }
            try NeXus.write(doc, to: output)
        }
    }

    /// `<stem>_<suffix>.<ext>` next to `output` (the extension of `output` removed).
    static func siblingPath(for output: String, suffix: String, extension ext: String = "svg") -> String {
        var stem = output
        if let dot = stem.lastIndex(of: "."), !stem[dot...].contains("/") { stem = String(stem[..<dot]) }
        return "\(stem)_\(suffix).\(ext)"
    }

    /// Writes side files (``ToolResult/sideFiles``: plots and attachments), each to its path.
    /// Every path is checked first (never an input; existing files only with `--force`); if one
    /// cannot be written, the side files already written and `cleanup` (the main output) are
    /// removed, so nothing partial stays.
    static func writeSideFiles(_ files: [(file: Attachment, path: String)], force: Bool, inputs: [String],
                               cleanup: [String], log: (String) -> Void) throws {
        var written: [String] = []
        do {
            for f in files { try AtomicOutput.validate(f.path, inputs: inputs, force: force) }
            for f in files {
                try f.file.write(f.path)
                written.append(f.path)
                log("wrote \(f.path)")
            }
        } catch {
            for p in written + cleanup { unlink(p) }
            throw error
        }
    }

    /// Writes `model` as `group` into the NeXus file being written.
    static func modelWriter(_ model: DenoisingModel, group: String) -> @Sendable (HDF5File) throws -> Void {
        { file in try model.write(in: file, group: group) }
    }

    /// Writes `datasets` into the existing `group` of the NeXus file being written.
    static func datasetWriter(_ datasets: [(name: String, grid: Grid)], group: String) -> @Sendable (HDF5File) throws -> Void {
        let copy = datasets.map { ($0.name, $0.grid) }
        return { file in for (name, grid) in copy { try file.write(grid, to: "\(group)/\(name)", compression: 4) } }
    }

    /// Writes a grid as PNG: rank 2 (gray), (h, w, 3|4) colour; a stack needs a frame chosen first.
    @discardableResult
    static func writePNG(_ grid: Grid, to path: String, displayRange: DisplayRange, bitDepth: Int) throws -> PNGWriteReport {
        let isImage = grid.rank == 2 || (grid.rank == 3 && [3, 4].contains(grid.shape[2]))
        guard isImage else {
            throw WBError("\(path): PNG holds a 2-D image, but the data has shape \(grid.shape); choose a frame (--frame) or write HDF5")
        }
        return try PNG.write(grid, to: path, bitDepth: bitDepth, displayRange: displayRange.resolve(for: grid))
    }
}

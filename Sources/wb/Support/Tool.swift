import ArgumentParser
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// A wb tool: one type that is both the CLI subcommand and the pipeline step, so both share
/// one parameter vocabulary. `wb <tool> [options] INPUT... [OUTPUT]`.
protocol Tool: ParsableCommand {
    /// The name in pipelines (`tool:`) and after `wb`.
    static var toolName: String { get }
    /// How many inputs the tool takes.
    static var inputCount: ClosedRange<Int> { get }
    /// Whether the tool writes an output file (last positional argument).
    static var writesOutput: Bool { get }
    /// The shared options.
    var common: CommonOptions { get set }
    /// Positional arguments: inputs, then the output when ``writesOutput``.
    var files: [String] { get set }
    /// Does the work on already-resolved inputs; no file writing here.
    func execute(_ context: ToolContext) throws -> ToolResult
    /// Options whose value names a model file, which a pipeline may instead set to the id of an
    /// earlier step that produces a model (``ToolResult/model``), e.g. `model` of `denoise-tv`.
    static var modelOptions: [String] { get }
    /// Whether the tool's result carries a model (``ToolResult/model``) for later steps.
    static var producesModel: Bool { get }
    /// Files read through options (model files, extra data sets), recorded in the provenance
    /// with their SHA-256 and protected from being overwritten, like the positional inputs.
    func optionInputFiles() throws -> [String]
    /// The files behind one positional input (default: the file of a PNG/HDF5 reference, which
    /// must exist); tools that accept folders expand them here.
    static func inputFiles(of input: String) throws -> [String]
    /// Side files written next to the output (``ToolResult/attachments``) as (suffix, extension):
    /// `out.h5` → `out_<suffix>.<ext>`; checked before the tool runs.
    static var attachmentNames: [(suffix: String, ext: String)] { get }
}

extension Tool {
    static var writesOutput: Bool { true }
    static var modelOptions: [String] { [] }
    static var producesModel: Bool { false }
    func optionInputFiles() throws -> [String] { [] }
    static var attachmentNames: [(suffix: String, ext: String)] { [] }

    static func inputFiles(of input: String) throws -> [String] {
        let file = DataFiles.fileComponent(input)
        _ = try DataFiles.format(of: input, role: "input")
        if !AtomicOutput.exists(file) { throw ImagingError.fileNotFound(path: file) }
        return [file]
    }


    /// Inputs and output from the positional arguments, with usage errors for wrong counts.
    func splitFiles() throws -> (inputs: [String], output: String?) {
        let n = files.count
        let need = Self.inputCount
        let outs = Self.writesOutput ? 1 : 0
        let inputs = Array(files.prefix(max(0, n - outs)))
        guard n >= need.lowerBound + outs, n <= need.upperBound + outs else {
            let want = need.lowerBound == need.upperBound ? "\(need.lowerBound)" : "\(need.lowerBound)–\(need.upperBound)"
            throw ValidationError("\(Self.toolName) takes \(want) input\(need.upperBound == 1 ? "" : "s")\(outs == 1 ? " and one output" : ""); got \(n) file argument\(n == 1 ? "" : "s")")
        }
        return (inputs, Self.writesOutput ? files.last : nil)
    }

    /// Checks the positional arguments (call from `validate()`).
    func validateFiles() throws {
        _ = try splitFiles()
        try common.validate()
    }

    func validate() throws { try validateFiles() }

    /// Standalone run: read inputs, execute, write the output atomically, print the summary.
    func run() throws {
        let (inputs, output) = try splitFiles()
        common.applySettings()
        var readFiles: [String] = []
        for input in inputs { readFiles += try Self.inputFiles(of: input) }
        for file in try optionInputFiles() where !readFiles.contains(file) {
            if !AtomicOutput.exists(file) { throw ImagingError.fileNotFound(path: file) }
            readFiles.append(file)
        }
        if let output {
            _ = try DataFiles.format(of: output, role: "output")
            if output.contains(":") && DatasetReference.isHDF5Path(DataFiles.fileComponent(output)) && DataFiles.fileComponent(output) != output {
                throw WBError("\(output): an output is a whole file; a dataset path is not accepted")
            }
            try AtomicOutput.validate(output, inputs: readFiles, force: common.force)
            for a in Self.attachmentNames {
                try AtomicOutput.validate(OutputWriter.siblingPath(for: output, suffix: a.suffix, extension: a.ext),
                                          inputs: readFiles, force: common.force)
            }
        }
        let context = ToolContext(inputs: inputs.map { .file($0) }, seed: common.seed,
                                  quiet: common.quiet, verbose: common.verbose)
        let start = wallClock()
        let result = try execute(context)
        if let output {
            try OutputWriter.writeStandalone(result, to: output, tool: Self.toolName,
                                             parameters: ParameterSnapshot.json(of: self, toolName: Self.toolName, inputs: inputs),
                                             seed: common.seed, inputs: readFiles)
            try OutputWriter.writeSideFiles(result.sideFiles.map { ($0, OutputWriter.siblingPath(for: output, suffix: $0.suffix, extension: $0.ext)) },
                                            force: common.force, inputs: readFiles, cleanup: [output], log: context.log)
            context.log("wrote \(output) (\(String(format6: wallClock() - start)) s)")
        }
        SummaryPrinter.print(result.summary, output: output, json: common.json)
    }
}

/// Prints a tool's summary: `key=value …` on one line, or one JSON object with `--json`.
enum SummaryPrinter {
    static func print(_ items: [SummaryItem], output: String?, json: Bool) {
        var all = items
        if let output { all.append(SummaryItem("output", output)) }
        if json {
            Swift.print(JSONValue.object(all.map { ($0.name, $0.value) }).serialized())
        } else if !all.isEmpty {
            Swift.print(all.map(\.plain).joined(separator: " "))
        }
    }
}

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
}

extension Tool {
    static var writesOutput: Bool { true }

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
        for input in inputs {
            let file = DataFiles.fileComponent(input)
            _ = try DataFiles.format(of: input, role: "input")
            if !AtomicOutput.exists(file) { throw ImagingError.fileNotFound(path: file) }
        }
        if let output {
            _ = try DataFiles.format(of: output, role: "output")
            if output.contains(":") && DatasetReference.isHDF5Path(DataFiles.fileComponent(output)) && DataFiles.fileComponent(output) != output {
                throw WBError("\(output): an output is a whole file; a dataset path is not accepted")
            }
            try AtomicOutput.validate(output, inputs: inputs.map(DataFiles.fileComponent), force: common.force)
        }
        let context = ToolContext(inputs: inputs.map { .file($0) }, seed: common.seed,
                                  quiet: common.quiet, verbose: common.verbose)
        let start = wallClock()
        let result = try execute(context)
        if let output {
            try OutputWriter.writeStandalone(result, to: output, tool: Self.toolName,
                                             parameters: ParameterSnapshot.json(of: self, toolName: Self.toolName, inputs: inputs),
                                             seed: common.seed, inputs: inputs.map(DataFiles.fileComponent))
            try OutputWriter.writePlots(result, nextTo: output, force: common.force, context: context)
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

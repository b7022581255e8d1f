import ArgumentParser
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// `wb run pipeline.yaml`: run a YAML pipeline of wb tools into one NeXus file.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a YAML pipeline: steps of wb tools chained into one reproducible NeXus file.",
        discussion: """
        The file lists steps (id, tool, inputs, params); inputs name earlier steps or files \
        (FILE.png, FILE.h5[:/path]), relative to the working directory. params are the tool's \
        options without dashes (data_range or data-range). The whole spec is validated (unknown \
        tools, unknown or ill-typed params, missing inputs, cycles) before any step runs. Each \
        step's seed is derived from the pipeline seed and the step id. Every step's image lands \
        in outputs.file as /entry/<id>; outputs.png lists steps also written as <stem>_<id>.png.

          name: demo
          seed: 7
          steps:
            - {id: clean, tool: convert, inputs: [data/images/camera.png]}
            - {id: noisy, tool: noise, inputs: [clean], params: {sigma: 0.1}}
            - {id: score, tool: metrics, inputs: [noisy, clean]}
          outputs: {file: out/demo.h5, png: [noisy]}

        Tools: \(ToolRegistry.names.joined(separator: ", ")).

        Examples:
          wb run data/pipelines/demo.yaml
          wb run --dry-run data/pipelines/demo.yaml
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "The pipeline file (YAML or JSON).") var pipeline: String
    @Flag(help: "Validate and print the resolved plan without running it.") var dryRun = false

    func run() throws {
        common.applySettings()
        guard AtomicOutput.exists(pipeline) else { throw ImagingError.fileNotFound(path: pipeline) }
        let text = try readTextFile(pipeline)
        let spec = try PipelineSpec(yaml: text, file: pipeline,
                                    seedOverride: CommandLine.arguments.contains("--seed") ? common.seed : nil)
        let runner = PipelineRunner(spec: spec, common: common)
        if dryRun {
            do { try runner.validateOutputs() } catch {
                // A dry run reports what the real run would refuse, without failing on it.
                printError("warning: \(error) — the real run will stop here")
            }
            print(runner.plan())
            if common.json { print(spec.resolvedJSON) }
            return
        }
        let t0 = wallClock()
        let report = try runner.run()
        var items: [SummaryItem] = []
        for r in report { for s in r.summary { items.append(SummaryItem(json: s.value, name: "\(r.id).\(s.name)")) } }
        items.append(SummaryItem("seconds", wallClock() - t0))
        if !common.quiet {
            printError("wrote \(spec.outputFile)" + spec.pngSteps.map { ", " + spec.pngPath(for: $0) }.joined())
        }
        SummaryPrinter.print(items, output: spec.outputFile, json: common.json)
    }
}

extension SummaryItem {
    init(json: JSONValue, name: String) { self.init(name, json: json) }
}

/// Reads a whole text file, naming the file in errors.
func readTextFile(_ path: String) throws -> String {
    guard let f = fopen(path, "rb") else {
        throw ImagingError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
        if n < buffer.count { break }
    }
    if ferror(f) != 0 { throw ImagingError.unreadable(path: path, reason: "read error") }
    guard let s = String(validating: bytes, as: UTF8.self) else {
        throw ImagingError.unreadable(path: path, reason: "not UTF-8 text")
    }
    return s
}

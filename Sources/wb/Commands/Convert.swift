import ArgumentParser
import Imaging

/// `wb convert IN OUT`: PNG ↔ HDF5, dataset and frame selection, 8/16-bit PNG output.
struct Convert: Tool {
    static let toolName = "convert"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        abstract: "Convert between PNG and HDF5 (NeXus), select a dataset or frame, set bit depth.",
        discussion: """
        Inputs: a PNG, or an HDF5 reference FILE.h5[:/path/to/dataset] (a bare file means its \
        NeXus default plot, or its only dataset). The output format follows the extension. \
        Colour PNGs are read as gray with ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B) \
        unless --channels rgb is given, which keeps a trailing axis of 3.

        Examples:
          wb convert data/images/camera.png camera.h5
          wb convert camera.h5:/entry/result/data camera16.png --bit-depth 16
          wb convert stack.h5 frame3.png --frame 3 --display-range auto
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "Input file, then output file.") var files: [String] = []

    @Option(help: "Channels read from a PNG: gray, rgb or rgba.") var channels: PNGChannels = .gray
    @Option(help: "PNG output bit depth: 8 or 16.") var bitDepth: Int = 8
    @Option(help: "Value range mapped to black…white in a PNG output: lo:hi or auto.") var displayRange: DisplayRange = .fixed(0, 1)
    @Option(help: "HDF5 output precision: float64 or float32.") var precision: HDF5Precision = .float64
    @Option(help: "Frame (index along the first axis) taken from a stack.") var frame: Int?

    func validate() throws {
        try validateFiles()
        if bitDepth != 8 && bitDepth != 16 { throw ValidationError("--bit-depth must be 8 or 16, got \(bitDepth)") }
        if let f = frame, f < 0 { throw ValidationError("--frame must be ≥ 0, got \(f)") }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        var grid = try context.grid(0, channels: channels)
        if let f = frame {
            guard grid.rank >= 2, f < grid.shape[0] else {
                throw WBError("\(context.inputs[0].label): --frame \(f) is out of range for shape \(grid.shape)")
            }
            grid = grid.slice(f)
        }
        var r = ToolResult(grid: grid, name: "image")
        r.displayRange = displayRange
        r.summary = [SummaryItem("shape", grid.shape.description), SummaryItem("min", grid.min), SummaryItem("max", grid.max)]
        if channels != .gray && grid.rank == 3 { r.axes = ["y", "x", "channel"] }
        return r
    }

    func run() throws {
        let (inputs, output) = try splitFiles()
        guard let output else { return }
        // PNG and precision options need the output path, so convert writes itself.
        common.applySettings()
        let ctx = ToolContext(inputs: inputs.map { .file($0) }, seed: common.seed, quiet: common.quiet, verbose: common.verbose)
        for input in inputs where !AtomicOutput.exists(DataFiles.fileComponent(input)) {
            throw ImagingError.fileNotFound(path: DataFiles.fileComponent(input))
        }
        let format = try DataFiles.format(of: output, role: "output")
        try AtomicOutput.validate(output, inputs: inputs.map(DataFiles.fileComponent), force: common.force)
        let result = try execute(ctx)
        guard let grid = result.grid else { return }
        var summary = result.summary
        switch format {
        case .png:
            let report = try OutputWriter.writePNG(grid, to: output, displayRange: displayRange, bitDepth: bitDepth)
            if report.clippedLow + report.clippedHigh > 0 {
                ctx.log("warning: \(report.clippedLow) values below and \(report.clippedHigh) above the display range \(displayRange) were clipped")
            }
            summary.append(SummaryItem("clipped", report.clippedLow + report.clippedHigh))
        case .hdf5:
            var d = OutputWriter.nxData(result, name: result.name, grid: grid)
            d.precision = precision
            let doc = NeXusDocument(results: [d], defaultResult: result.name,
                provenance: Provenance(commandLine: OutputWriter.commandLine,
                                       parameters: ParameterSnapshot.json(of: self, toolName: Self.toolName, inputs: inputs),
                                       seed: common.seed, inputs: inputs.map(DataFiles.fileComponent)))
            try NeXus.write(doc, to: output)
        }
        SummaryPrinter.print(summary, output: output, json: common.json)
    }
}

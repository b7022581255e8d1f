import ArgumentParser
import Imaging

/// `wb phantom OUT`: Shepp–Logan or seeded piecewise-constant test images.
struct PhantomCommand: Tool {
    static let toolName = "phantom"
    static let inputCount = 0...0
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Make a test image: modified Shepp–Logan or a seeded piecewise-constant image.",
        discussion: """
        Values lie in [0, 1]. The piecewise-constant image draws --regions random ellipses and \
        rectangles from --seed, so the same seed gives the same image on every machine.

        Examples:
          wb phantom --kind shepp-logan --size 256 sl.h5
          wb phantom --kind piecewise --size 128 --regions 20 --seed 3 pc.png
        """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case sheppLogan = "shepp-logan", piecewise }

    @OptionGroup var common: CommonOptions
    @Argument(help: "Output file (.h5 or .png).") var files: [String] = []
    @Option(help: "shepp-logan or piecewise.") var kind: Kind = .sheppLogan
    @Option(help: "Image size (square).") var size: Int = 256
    @Option(help: "Height, overriding --size (piecewise only).") var height: Int?
    @Option(help: "Width, overriding --size (piecewise only).") var width: Int?
    @Option(help: "Number of regions (piecewise only).") var regions: Int = 12

    func validate() throws {
        try validateFiles()
        for (name, v) in [("size", size), ("height", height ?? size), ("width", width ?? size)] where v < 2 || v > 16384 {
            throw ValidationError("--\(name) must be between 2 and 16384, got \(v)")
        }
        if regions < 1 { throw ValidationError("--regions must be ≥ 1, got \(regions)") }
        if kind == .sheppLogan && (height != nil || width != nil) {
            throw ValidationError("--height/--width apply to --kind piecewise; Shepp–Logan is square (--size)")
        }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let g: Grid
        switch kind {
        case .sheppLogan: g = Phantom.sheppLogan(size: size)
        case .piecewise: g = Phantom.piecewiseConstant(height: height ?? size, width: width ?? size, regions: regions, seed: context.seed)
        }
        var r = ToolResult(grid: g, name: "phantom")
        r.longName = kind == .sheppLogan ? "modified Shepp–Logan phantom" : "piecewise-constant phantom"
        r.summary = [SummaryItem("shape", g.shape.description)]
        return r
    }
}

import ArgumentParser
import Imaging

/// `wb fft IN OUT`: the log-magnitude spectrum as an image.
struct FFTCommand: Tool {
    static let toolName = "fft"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        commandName: "fft",
        abstract: "Log-magnitude spectrum log(1 + |F x|) as an image, zero frequency centred.",
        discussion: """
        F is the unnormalised forward DFT (FFTW). PNG output uses the spectrum's own min:max \
        unless --display-range is given.

        Examples:
          wb fft camera.png spectrum.png
          wb fft --no-center camera.h5 spectrum.h5
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "Input file, then output file.") var files: [String] = []
    @Flag(inversion: .prefixedNo, help: "Move the zero frequency to the centre (fftshift).") var center = true
    @Option(help: "Display range of a PNG output: lo:hi or auto.") var displayRange: DisplayRange = .auto

    func execute(_ context: ToolContext) throws -> ToolResult {
        let x = try context.grid(0, ranks: 1...3)
        var r = ToolResult(grid: Spectrum.logMagnitude(x, centered: center), name: "spectrum")
        r.interpretation = x.rank == 1 ? "spectrum" : "image"
        r.axes = x.rank == 1 ? ["frequency"] : (x.rank == 2 ? ["ky", "kx"] : ["kz", "ky", "kx"])
        r.longName = "log(1 + |FFT|)"
        r.displayRange = displayRange
        return r
    }
}

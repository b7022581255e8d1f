import ArgumentParser
import Imaging

/// `wb blur IN OUT`: circular Gaussian blur or convolution with a kernel file, by FFT.
struct Blur: Tool {
    static let toolName = "blur"
    static let inputCount = 1...1
    static let configuration = CommandConfiguration(
        abstract: "Blur by FFT: Gaussian (--sigma) or any kernel (--kernel FILE), periodic boundary.",
        discussion: """
        Circular convolution, as scipy.ndimage.convolve(mode='wrap'): the kernel's centre is \
        at index (size div 2) on each axis. The Gaussian kernel is sampled, truncated at 4σ and \
        normalised to sum 1 (scipy.ndimage.gaussian_filter's default). Works on 1-D, 2-D and 3-D data.

        Examples:
          wb blur --sigma 2 camera.h5 blurred.h5
          wb blur --kernel psf.h5:/entry/psf/data camera.png blurred.png
        """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "Input file, then output file.") var files: [String] = []
    @Option(help: "Standard deviation of the Gaussian kernel, in pixels.") var sigma: Double = 2
    @Option(help: "Convolve with this kernel (PNG or HDF5 reference) instead of a Gaussian.") var kernel: String?

    func validate() throws {
        try validateFiles()
        if !(sigma > 0 && sigma.isFinite) { throw ValidationError("--sigma must be > 0, got \(sigma)") }
    }

    func execute(_ context: ToolContext) throws -> ToolResult {
        let x = try context.grid(0, ranks: 1...3)
        var r = ToolResult(grid: nil, name: "blurred")
        if let kernel {
            let k = try DataFiles.read(kernel, ranks: 1...3)
            guard k.rank == x.rank else {
                throw WBError("--kernel \(kernel): kernel has rank \(k.rank), image has rank \(x.rank); they must match")
            }
            for a in 0..<k.rank where k.shape[a] > x.shape[a] {
                throw WBError("--kernel \(kernel): kernel shape \(k.shape) is larger than the image \(x.shape) along axis \(a)")
            }
            r.grid = FourierConvolution(kernel: k, shape: x.shape)(x)
            r.summary = [SummaryItem("kernel", kernel)]
        } else {
            r.grid = GaussianBlur(shape: x.shape, sigma: sigma)(x)
            r.summary = [SummaryItem("sigma", sigma)]
        }
        r.longName = "blurred image"
        return r
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Gaussian blur with circular (periodic) boundary: domain = range = `shape` (rank 1–3).
///
/// Matches `scipy.ndimage.gaussian_filter(x, sigma, mode='wrap')` with the default
/// `truncate=4.0`: along each axis the kernel is `exp(−t²/(2σ²))` sampled at integer
/// `t ∈ [−r, r]`, `r = Int(4σ + 0.5)`, normalised to sum 1 (an axis with σ ≤ 1e-15 is left
/// unblurred); the n-D kernel is the product of the axis kernels. Applied as a
/// ``FourierConvolution``, so the operator is self-adjoint and preserves the mean.
///
/// Kernels longer than the signal along an axis (2r + 1 > n) are **folded**: taps beyond the
/// signal wrap around and add up, which is the exact convolution of the periodically extended
/// signal (what `mode='wrap'` means). No size restriction applies.
public struct GaussianBlur: LinearOperator {
    /// Standard deviation per axis, in pixels (slowest axis first).
    public let sigma: [Double]
    let convolution: FourierConvolution

    /// Isotropic blur with standard deviation `sigma` pixels (≥ 0) on grids of `shape`.
    public init(shape: Shape, sigma: Double) {
        self.init(shape: shape, sigma: [Double](repeating: sigma, count: shape.rank))
    }

    /// Blur with standard deviation `sigma[a]` pixels (≥ 0) along axis a (one entry per axis).
    public init(shape: Shape, sigma: [Double]) {
        precondition((1...3).contains(shape.rank), "GaussianBlur: rank must be 1...3, got \(shape)")
        precondition(sigma.count == shape.rank, "GaussianBlur: \(sigma.count) sigmas for rank \(shape.rank)")
        precondition(sigma.allSatisfy { $0 >= 0 && $0.isFinite }, "GaussianBlur: sigma must be finite and ≥ 0, got \(sigma)")
        self.sigma = sigma
        let axes = sigma.map(GaussianBlur.kernel1D(sigma:))
        var kernel = Grid(shape: Shape(axes.map(\.count)), repeating: 1)
        // Outer product of the axis kernels.
        let dims = axes.map(\.count) + [1, 1]
        var flat = 0
        for i in 0..<dims[0] {
            for j in 0..<dims[1] {
                for k in 0..<dims[2] {
                    var v = axes[0][i]
                    if axes.count > 1 { v *= axes[1][j] }
                    if axes.count > 2 { v *= axes[2][k] }
                    kernel.storage[flat] = v
                    flat += 1
                }
            }
        }
        let sigmaText = Set(sigma).count == 1 ? GaussianBlur.format(sigma[0]) : sigma.map(GaussianBlur.format).joined(separator: ",")
        convolution = FourierConvolution(foldingKernel: kernel, shape: shape,
                                         label: "gaussianBlur\(shape.rank)d(\(shape), σ=\(sigmaText))")
    }

    /// The normalised 1-D kernel used along an axis with standard deviation `sigma`:
    /// `2r + 1` taps, `r = Int(4σ + 0.5)`, centre at index r; `[1]` when σ ≤ 1e-15.
    public static func kernel1D(sigma: Double) -> [Double] {
        guard sigma > 1e-15 else { return [1] }
        let radius = Int(4 * sigma + 0.5)
        var w = (-radius...radius).map { t in exp(-0.5 * Double(t * t) / (sigma * sigma)) }
        let total = w.reduce(0, +)
        for i in w.indices { w[i] /= total }
        return w
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    /// The same blur as a ``FourierConvolution`` (for solvers that work with its transfer function).
    public var fourierConvolution: FourierConvolution { convolution }

    /// The signal shape.
    public var domain: Shape { convolution.shape }
    /// The signal shape.
    public var range: Shape { convolution.shape }
    /// y ← G_σ ⊛ x.
    public func apply(_ x: Grid, into y: inout Grid) { convolution.apply(x, into: &y) }
    /// x ← G_σ ⋆ y (equal to the forward blur: the kernel is symmetric).
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { convolution.applyAdjoint(y, into: &x) }
    /// "gaussianBlur2d(64×64, σ=2)".
    public var name: String { convolution.name }
}

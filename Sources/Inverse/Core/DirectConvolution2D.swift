/// Direct "same"-size 2-D convolution with a small odd-sized kernel: domain (H, W) → range (H, W),
///
///     (c ∗ x)[i, j] = Σ_{a,b} c[a, b] · x̃[i − a + kh/2, j − b + kw/2],
///
/// where x̃ extends x by the ``ConvolutionBoundary`` (reflect or periodic). The adjoint is the
/// correlation with c followed by folding the boundary copies back onto their source pixels.
/// Direct loops (taps outside, unit-stride pixels inside) beat FFTs for 3×3 to 7×7 kernels.
/// Operator norm: ≤ ‖c‖₁ (periodic), ≤ 2‖c‖₁ (reflect: a pixel appears at most 4 times in a window).
public struct DirectConvolution2D: LinearOperator {
    /// The kernel, shape (kh, kw) with kh, kw odd.
    public let kernel: Grid
    /// The boundary extension.
    public let boundary: ConvolutionBoundary
    let engine: PaddedConvolution

    /// Convolution of `height` × `width` images with `kernel` (odd sizes) and `boundary`.
    public init(kernel: Grid, height: Int, width: Int, boundary: ConvolutionBoundary = .reflect) {
        precondition(kernel.rank == 2, "DirectConvolution2D: kernel must be rank 2, got \(kernel.shape)")
        self.kernel = kernel
        self.boundary = boundary
        engine = PaddedConvolution(height: height, width: width, kernelHeight: kernel.shape[0],
                                   kernelWidth: kernel.shape[1], boundary: boundary)
    }

    /// (H, W).
    public var domain: Shape { Shape(engine.height, engine.width) }
    /// (H, W).
    public var range: Shape { domain }

    /// y ← c ∗ x (allocates one padded image).
    public func apply(_ x: Grid, into y: inout Grid) {
        precondition(x.count == engine.pixelCount && y.count == engine.pixelCount,
                     "DirectConvolution2D: \(x.shape) → \(y.shape), expected \(domain)")
        var padded = [Double](repeating: 0, count: engine.paddedCount)
        x.storage.withUnsafeBufferPointer { xs in
            padded.withUnsafeMutableBufferPointer { p in
                engine.pad(xs.baseAddress!, into: p.baseAddress!)
            }
        }
        padded.withUnsafeBufferPointer { p in
            kernel.storage.withUnsafeBufferPointer { c in
                y.storage.withUnsafeMutableBufferPointer { ys in
                    engine.convolve(padded: p.baseAddress!, kernel: c.baseAddress!, into: ys.baseAddress!)
                }
            }
        }
    }

    /// x ← (c ∗ ·)ᵀ y: scatter through the kernel, then fold the padding (allocates one padded image).
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        precondition(x.count == engine.pixelCount && y.count == engine.pixelCount,
                     "DirectConvolution2D: adjoint \(y.shape) → \(x.shape), expected \(domain)")
        var q = [Double](repeating: 0, count: engine.paddedCount)
        y.storage.withUnsafeBufferPointer { ys in
            kernel.storage.withUnsafeBufferPointer { c in
                q.withUnsafeMutableBufferPointer { qs in
                    engine.scatter(ys.baseAddress!, kernel: c.baseAddress!, into: qs.baseAddress!)
                }
            }
        }
        q.withUnsafeBufferPointer { qs in
            x.storage.withUnsafeMutableBufferPointer { xs in
                engine.fold(qs.baseAddress!, into: xs.baseAddress!)
            }
        }
    }

    /// "directconv2d(7×7, reflect, 64×64)".
    public var name: String { "directconv2d(\(kernel.shape), \(boundary.rawValue), \(domain))" }
}

/// The geometry and kernels of a direct 2-D "same" convolution through an explicitly padded
/// image: the engine of ``DirectConvolution2D`` and ``FieldOfExperts``.
///
/// For a kernel c of size kh × kw (both odd, centre (hh, hw) = (kh/2, kw/2)) and an image x of
/// H × W, the padded image is P[pi][pj] = x[ρ(pi − hh)][γ(pj − hw)] of size (H + 2hh) × (W + 2hw),
/// with ρ, γ the boundary's index maps, and
///
///     (c ∗ x)[i, j] = Σ_{a,b} c[a, b] · x̃[i − a + hh, j − b + hw] = Σ_{a,b} c[a, b] · P[i − a + 2hh][j − b + 2hw].
///
/// The adjoint scatters: Q[i − a + 2hh][j − b + 2hw] += c[a, b]·u[i, j], then folds Q back onto x
/// (the adjoint of padding sums every padded copy into its source pixel). All kernel loops have
/// the taps outside and a unit-stride pixel loop inside.
struct PaddedConvolution: Sendable {
    let height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let halfHeight: Int, halfWidth: Int
    let paddedHeight: Int, paddedWidth: Int
    /// Source row of each padded row, source column of each padded column.
    let rowSource: [Int], columnSource: [Int]

    init(height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, boundary: ConvolutionBoundary) {
        precondition(height >= 1 && width >= 1, "convolution: empty image \(height)×\(width)")
        precondition(kernelHeight % 2 == 1 && kernelWidth % 2 == 1,
                     "convolution: kernel sizes must be odd, got \(kernelHeight)×\(kernelWidth)")
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        halfHeight = kernelHeight / 2
        halfWidth = kernelWidth / 2
        if boundary == .reflect {
            precondition(height > halfHeight && width > halfWidth,
                         "convolution: reflect boundary needs an image larger than the kernel radius (\(height)×\(width) vs \(kernelHeight)×\(kernelWidth))")
        }
        paddedHeight = height + 2 * halfHeight
        paddedWidth = width + 2 * halfWidth
        let hh = halfHeight, hw = halfWidth
        rowSource = (0..<(height + 2 * hh)).map { boundary.sourceIndex($0 - hh, count: height) }
        columnSource = (0..<(width + 2 * hw)).map { boundary.sourceIndex($0 - hw, count: width) }
    }

    var pixelCount: Int { height * width }
    var paddedCount: Int { paddedHeight * paddedWidth }

    /// P ← pad(x).
    func pad(_ x: UnsafePointer<Double>, into p: UnsafeMutablePointer<Double>) {
        let w = width, pw = paddedWidth, hw = halfWidth
        columnSource.withUnsafeBufferPointer { cs in
            for pi in 0..<paddedHeight {
                let src = x + rowSource[pi] &* w
                let dst = p + pi &* pw
                // interior columns are a contiguous copy
                for j in 0..<w { dst[j &+ hw] = src[j] }
                for pj in 0..<hw { dst[pj] = src[cs[pj]] }
                for pj in (w &+ hw)..<pw { dst[pj] = src[cs[pj]] }
            }
        }
    }

    /// x ← padᵀ(Q): every padded entry added to its source pixel.
    func fold(_ q: UnsafePointer<Double>, into x: UnsafeMutablePointer<Double>) {
        let w = width, pw = paddedWidth
        for i in 0..<(height &* w) { x[i] = 0 }
        columnSource.withUnsafeBufferPointer { cs in
            for pi in 0..<paddedHeight {
                let src = q + pi &* pw
                let dst = x + rowSource[pi] &* w
                for pj in 0..<pw { dst[cs[pj]] += src[pj] }
            }
        }
    }

    /// out ← c ∗ x given P = pad(x); `kernel` row-major kh × kw.
    func convolve(padded p: UnsafePointer<Double>, kernel c: UnsafePointer<Double>,
                  into out: UnsafeMutablePointer<Double>) {
        let w = width, pw = paddedWidth
        for i in 0..<(height &* w) { out[i] = 0 }
        for a in 0..<kernelHeight {
            for b in 0..<kernelWidth {
                let tap = c[a &* kernelWidth &+ b]
                if tap == 0 { continue }
                let rowShift = 2 &* halfHeight &- a, colShift = 2 &* halfWidth &- b
                for i in 0..<height {
                    let src = p + ((i &+ rowShift) &* pw &+ colShift)
                    let dst = out + i &* w
                    for j in 0..<w { dst[j] += tap * src[j] }
                }
            }
        }
    }

    /// Q += scatter of u through the kernel (the adjoint of ``convolve(padded:kernel:into:)`` before folding).
    func scatter(_ u: UnsafePointer<Double>, kernel c: UnsafePointer<Double>,
                 into q: UnsafeMutablePointer<Double>) {
        let w = width, pw = paddedWidth
        for a in 0..<kernelHeight {
            for b in 0..<kernelWidth {
                let tap = c[a &* kernelWidth &+ b]
                if tap == 0 { continue }
                let rowShift = 2 &* halfHeight &- a, colShift = 2 &* halfWidth &- b
                for i in 0..<height {
                    let dst = q + ((i &+ rowShift) &* pw &+ colShift)
                    let src = u + i &* w
                    for j in 0..<w { dst[j] += tap * src[j] }
                }
            }
        }
    }

    /// D[a, b] += scale · Σ_{i,j} u[i, j]·P[i − a + 2hh][j − b + 2hw]: the derivative of ⟨u, c ∗ x⟩
    /// with respect to each kernel tap, given P = pad(x).
    func accumulateKernelDerivative(_ u: UnsafePointer<Double>, padded p: UnsafePointer<Double>,
                                    scale: Double, into d: UnsafeMutablePointer<Double>) {
        let w = width, pw = paddedWidth
        for a in 0..<kernelHeight {
            for b in 0..<kernelWidth {
                let rowShift = 2 &* halfHeight &- a, colShift = 2 &* halfWidth &- b
                var s0 = 0.0, s1 = 0.0
                for i in 0..<height {
                    let src = p + ((i &+ rowShift) &* pw &+ colShift)
                    let ui = u + i &* w
                    var j = 0
                    while j &+ 2 <= w { s0 += ui[j] * src[j]; s1 += ui[j &+ 1] * src[j &+ 1]; j &+= 2 }
                    if j < w { s0 += ui[j] * src[j] }
                }
                d[a &* kernelWidth &+ b] += scale * (s0 + s1)
            }
        }
    }
}

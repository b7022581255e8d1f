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
/// (the adjoint of padding sums every padded copy into its source pixel). The hot kernels work
/// row by row, with a unit-stride pixel loop inside and the taps of one kernel row unrolled
/// (``correlateRow(_:_:_:taps:count:)``); the adjoint also has a gather form (``gatherRow``)
/// that ``FieldOfExperts`` fuses with the response of each filter (``sweepAdjoint``).
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

    /// out ← c ∗ x given P = pad(x); `kernel` row-major kh × kw (row by row, ``convolveRow``).
    func convolve(padded p: UnsafePointer<Double>, kernel c: UnsafePointer<Double>,
                  into out: UnsafeMutablePointer<Double>) {
        let taps = kernelHeight &* kernelWidth
        withUnsafeTemporaryAllocation(of: Double.self, capacity: taps) { f in
            let flipped = f.baseAddress!
            flip(c, into: flipped)
            for i in 0..<height { convolveRow(i, padded: p, flipped: flipped, into: out + i &* width) }
        }
    }

    /// f[a, b] ← c[kh − 1 − a, kw − 1 − b]: the kernel that turns the convolution into a correlation.
    func flip(_ c: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>) {
        let taps = kernelHeight &* kernelWidth
        for t in 0..<taps { f[t] = c[taps &- 1 &- t] }
    }

    /// r[j] ← (c ∗ x)[i, j], j < W, for one output row i, given P = pad(x) and the flipped kernel
    /// f (``flip(_:into:)``): r[j] = Σ_{a,b} f[a, b]·P[i + a][j + b], one unit-stride pass per kernel row.
    @inline(__always)
    func convolveRow(_ i: Int, padded p: UnsafePointer<Double>, flipped f: UnsafePointer<Double>,
                     into r: UnsafeMutablePointer<Double>) {
        r.update(repeating: 0, count: width)
        for a in 0..<kernelHeight {
            Self.correlateRow(r, p + (i &+ a) &* paddedWidth, f + a &* kernelWidth, taps: kernelWidth, count: width)
        }
    }

    /// Width W + 4·hw of the zero-bordered buffer U of the gather-form adjoint (its height is H + 4·hh):
    /// U[m][n] = u[m − 2hh][n − 2hw], zero outside u.
    var borderedWidth: Int { width &+ 4 &* halfWidth }
    /// (H + 4hh)(W + 4hw).
    var borderedCount: Int { (height &+ 4 &* halfHeight) &* borderedWidth }
    /// Offset of u[0, 0] in U.
    var borderedOrigin: Int { 2 &* halfHeight &* borderedWidth &+ 2 &* halfWidth }

    /// Q[pi][·] += Σ_{a,b} c[a, b]·U[pi + a][· + b] for one padded row pi: the scatter of
    /// ``scatter(_:kernel:into:)`` written as a gather (Q[i − a + 2hh][j − b + 2hw] += c[a, b]·u[i, j]
    /// for all a, b, i, j is the same sum), unit stride and no read-modify-write per tap.
    /// Needs u's rows pi − 2hh … pi in U.
    @inline(__always)
    func gatherRow(_ pi: Int, bordered u: UnsafePointer<Double>, kernel c: UnsafePointer<Double>,
                   into q: UnsafeMutablePointer<Double>) {
        let bw = borderedWidth, dst = q + pi &* paddedWidth
        for a in 0..<kernelHeight {
            Self.correlateRow(dst, u + (pi &+ a) &* bw, c + a &* kernelWidth, taps: kernelWidth, count: paddedWidth)
        }
    }

    /// Q += Cᵀu for one kernel c (before folding), with u produced row by row: `row(i, uRow)` must
    /// fill u's row i (W entries at `uRow`, inside the zero-bordered buffer U of
    /// ``borderedCount`` entries whose border is zero); Q's row i is added right after, while the
    /// rows it reads are still in cache. One fused sweep per filter.
    @inline(__always)
    func sweepAdjoint(kernel c: UnsafePointer<Double>, bordered u: UnsafeMutablePointer<Double>,
                      into q: UnsafeMutablePointer<Double>, _ row: (Int, UnsafeMutablePointer<Double>) -> Void) {
        let bw = borderedWidth, origin = u + borderedOrigin
        for i in 0..<height {
            row(i, origin + i &* bw)
            gatherRow(i, bordered: u, kernel: c, into: q)
        }
        for pi in height..<paddedHeight { gatherRow(pi, bordered: u, kernel: c, into: q) }
    }

    /// o[j] += Σ_{b < taps} t[b]·s[j + b] for j < n: the inner kernel of every convolution here,
    /// unrolled over the taps for the common widths 3, 5 and 7 so that each output is loaded and
    /// stored once per kernel row.
    @inline(__always)
    static func correlateRow(_ o: UnsafeMutablePointer<Double>, _ s: UnsafePointer<Double>, _ t: UnsafePointer<Double>,
                             taps: Int, count n: Int) {
        switch taps {
        case 3:
            let t0 = t[0], t1 = t[1], t2 = t[2]
            for j in 0..<n { o[j] += t0 * s[j] + t1 * s[j &+ 1] + t2 * s[j &+ 2] }
        case 5:
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4]
            for j in 0..<n {
                o[j] += t0 * s[j] + t1 * s[j &+ 1] + t2 * s[j &+ 2] + t3 * s[j &+ 3] + t4 * s[j &+ 4]
            }
        case 7:
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6]
            for j in 0..<n {
                o[j] += t0 * s[j] + t1 * s[j &+ 1] + t2 * s[j &+ 2] + t3 * s[j &+ 3]
                    + t4 * s[j &+ 4] + t5 * s[j &+ 5] + t6 * s[j &+ 6]
            }
        default:
            for b in 0..<taps {
                let tb = t[b], sb = s + b
                for j in 0..<n { o[j] += tb * sb[j] }
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
    /// with respect to each kernel tap, given P = pad(x). One vectorised dot product per tap and row.
    func accumulateKernelDerivative(_ u: UnsafePointer<Double>, padded p: UnsafePointer<Double>,
                                    scale: Double, into d: UnsafeMutablePointer<Double>) {
        let w = width, pw = paddedWidth
        for a in 0..<kernelHeight {
            for b in 0..<kernelWidth {
                let rowShift = 2 &* halfHeight &- a, colShift = 2 &* halfWidth &- b
                var s = 0.0
                for i in 0..<height {
                    s += Self.dot(u + i &* w, p + ((i &+ rowShift) &* pw &+ colShift), count: w)
                }
                d[a &* kernelWidth &+ b] += scale * s
            }
        }
    }

    /// Σ_{j<n} x[j]·y[j] with four 4-lane accumulators.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count n: Int) -> Double {
        typealias V = SIMD4<Double>
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y), stride = MemoryLayout<Double>.stride
        var s0 = V.zero, s1 = V.zero, s2 = V.zero, s3 = V.zero
        var j = 0
        while j &+ 16 <= n {
            let o = j &* stride
            s0 += rx.loadUnaligned(fromByteOffset: o, as: V.self) * ry.loadUnaligned(fromByteOffset: o, as: V.self)
            s1 += rx.loadUnaligned(fromByteOffset: o &+ 32, as: V.self) * ry.loadUnaligned(fromByteOffset: o &+ 32, as: V.self)
            s2 += rx.loadUnaligned(fromByteOffset: o &+ 64, as: V.self) * ry.loadUnaligned(fromByteOffset: o &+ 64, as: V.self)
            s3 += rx.loadUnaligned(fromByteOffset: o &+ 96, as: V.self) * ry.loadUnaligned(fromByteOffset: o &+ 96, as: V.self)
            j &+= 16
        }
        while j &+ 4 <= n {
            let o = j &* stride
            s0 += rx.loadUnaligned(fromByteOffset: o, as: V.self) * ry.loadUnaligned(fromByteOffset: o, as: V.self)
            j &+= 4
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while j < n { total += x[j] * y[j]; j &+= 1 }
        return total
    }
}

import Imaging

/// How a convolution extends its input beyond the borders.
public enum PaddingMode: String, Sendable, Codable, CaseIterable {
    /// Zeros outside (PyTorch `padding_mode="zeros"`).
    case zero
    /// Mirror without repeating the edge sample: x[−1] = x[1], x[n] = x[n−2] (PyTorch `"reflect"`,
    /// numpy `mode="reflect"`). Needs a padding smaller than the axis length.
    case reflect
    /// Wrap around: x[−1] = x[n−1] (PyTorch `"circular"`, numpy `mode="wrap"`).
    case periodic
}

/// How much a convolution pads, in PyTorch's terms.
public enum ConvPadding: String, Sendable, Codable, CaseIterable {
    /// p = k/2 on every side (odd k only): output extent ⌈n/s⌉ — n at stride 1, and for stride 2 the
    /// PyTorch `padding=k//2` convention (128 → 64 for k = 3, p = 1, s = 2).
    case same
    /// No padding: output extent ⌊(n − k)/s⌋ + 1.
    case valid
}

/// The geometry of one 2-D correlation `[C, H, W] → [O, Ho, Wo]` with a `kh × kw` kernel, one
/// stride for both axes and symmetric padding `ph`, `pw` (1-D layers use `H = 1`, `kh = 1`, `ph = 0`).
struct ConvGeometry: Equatable, Sendable {
    var channels: Int, height: Int, width: Int
    var kernelHeight: Int, kernelWidth: Int
    var stride: Int
    var padHeight: Int, padWidth: Int
    var mode: PaddingMode

    var paddedHeight: Int { height + 2 * padHeight }
    var paddedWidth: Int { width + 2 * padWidth }
    var outputHeight: Int { (paddedHeight - kernelHeight) / stride + 1 }
    var outputWidth: Int { (paddedWidth - kernelWidth) / stride + 1 }
    /// Rows of the im2col matrix: C·kh·kw.
    var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Columns of the im2col matrix: Ho·Wo.
    var outputPixels: Int { outputHeight * outputWidth }
    var inputSample: Int { channels * height * width }
    var paddedSample: Int { channels * paddedHeight * paddedWidth }

    /// Checks that the padded input holds at least one kernel and that reflect padding fits.
    func validate(layer: String) throws {
        guard height >= 1, width >= 1 else { throw NNError("\(layer): empty spatial extent \(height)×\(width)") }
        guard paddedHeight >= kernelHeight, paddedWidth >= kernelWidth else {
            throw NNError("\(layer): input \(height)×\(width) (padded \(paddedHeight)×\(paddedWidth)) is smaller than the kernel \(kernelHeight)×\(kernelWidth)")
        }
        if mode == .reflect && (padHeight > 0 && padHeight >= height || padWidth > 0 && padWidth >= width) {
            throw NNError("\(layer): reflect padding \(padHeight)×\(padWidth) needs an input larger than the padding, got \(height)×\(width)")
        }
    }

    /// Source index of padded position `i` (0-based in the padded axis) on an axis of length `n`
    /// with padding `p`, or −1 where the padded value is zero.
    static func sourceIndex(_ i: Int, length n: Int, pad p: Int, mode: PaddingMode) -> Int {
        let t = i - p
        if t >= 0 && t < n { return t }
        guard n > 0 else { return -1 }   // geometry not yet bound to an input
        switch mode {
        case .zero: return -1
        case .periodic: return ((t % n) + n) % n
        case .reflect:
            // Single reflection suffices because p < n.
            return t < 0 ? -t : 2 * (n - 1) - t
        }
    }

    var rowMap: [Int] { (0..<paddedHeight).map { Self.sourceIndex($0, length: height, pad: padHeight, mode: mode) } }
    var columnMap: [Int] { (0..<paddedWidth).map { Self.sourceIndex($0, length: width, pad: padWidth, mode: mode) } }
}

/// The per-sample linear maps of a correlation, on raw pointers: padding (and its adjoint),
/// im2col (and its adjoint col2im). Index maps are computed once per geometry.
struct ConvKernels: Sendable {
    let g: ConvGeometry
    let rows: [Int]
    let columns: [Int]

    init(_ g: ConvGeometry) {
        self.g = g
        self.rows = g.rowMap
        self.columns = g.columnMap
    }

    /// xp[c, r, q] = x[c, rows[r], columns[q]] (0 where a map is −1).
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    func pad<S: NNScalar>(_ x: UnsafePointer<S>, into xp: UnsafeMutablePointer<S>) {
        let H = g.height, W = g.width, Hp = g.paddedHeight, Wp = g.paddedWidth, pw = g.padWidth
        rows.withUnsafeBufferPointer { rm in
            columns.withUnsafeBufferPointer { cm in
                for c in 0..<g.channels {
                    let src = x + c * H * W, dst = xp + c * Hp * Wp
                    for r in 0..<Hp {
                        let d = dst + r * Wp
                        let sr = rm[r]
                        if sr < 0 { d.update(repeating: 0, count: Wp); continue }
                        let s = src + sr * W, di = d + pw
                        // Offset pointer, not d[pw + j]: the overflow check on pw + j kept this
                        // copy scalar (measured 12 % of a conv training step).
                        for j in 0..<W { di[j] = s[j] }
                        for q in 0..<pw {
                            let a = cm[q], b = cm[Wp - pw + q]
                            d[q] = a < 0 ? 0 : s[a]
                            d[Wp - pw + q] = b < 0 ? 0 : s[b]
                        }
                    }
                }
            }
        }
    }

    /// Adjoint of ``pad(_:into:)``: x[c, rows[r], columns[q]] += xp[c, r, q].
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    func padAdjoint<S: NNScalar>(_ xp: UnsafePointer<S>, addingInto x: UnsafeMutablePointer<S>) {
        let H = g.height, W = g.width, Hp = g.paddedHeight, Wp = g.paddedWidth, pw = g.padWidth
        rows.withUnsafeBufferPointer { rm in
            columns.withUnsafeBufferPointer { cm in
                for c in 0..<g.channels {
                    let src = xp + c * Hp * Wp, dst = x + c * H * W
                    for r in 0..<Hp {
                        let sr = rm[r]
                        if sr < 0 { continue }
                        let d = dst + sr * W, s = src + r * Wp, si = s + pw
                        for j in 0..<W { d[j] += si[j] }
                        for q in 0..<pw {
                            let a = cm[q], b = cm[Wp - pw + q]
                            if a >= 0 { d[a] += s[q] }
                            if b >= 0 { d[b] += s[Wp - pw + q] }
                        }
                    }
                }
            }
        }
    }

    /// col[(c·kh + u)·kw + v, i·Wo + j] = xp[c, s·i + u, s·j + v].
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    func im2col<S: NNScalar>(_ xp: UnsafePointer<S>, into col: UnsafeMutablePointer<S>) {
        im2col(xp, into: col, rows: 0..<g.outputHeight)
    }

    /// The columns of output rows `rows` only: `[C·kh·kw, rows.count·Wo]` (row stride
    /// rows.count·Wo), so a block of output rows can be multiplied while its columns are in cache.
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    func im2col<S: NNScalar>(_ xp: UnsafePointer<S>, into col: UnsafeMutablePointer<S>, rows: Range<Int>) {
        let Hp = g.paddedHeight, Wp = g.paddedWidth, Wo = g.outputWidth, s = g.stride
        let n = rows.count * Wo
        var row = col
        for c in 0..<g.channels {
            for u in 0..<g.kernelHeight {
                for v in 0..<g.kernelWidth {
                    for i in rows {
                        let src = xp + (c * Hp + s * i + u) * Wp + v
                        let dst = row + (i - rows.lowerBound) * Wo
                        // Plain loops (vectorised): rows are short, a memmove call per row cost more
                        // than the copy (measured ~25 % of a conv training step).
                        if s == 1 {
                            for j in 0..<Wo { dst[j] = src[j] }
                        } else {
                            for j in 0..<Wo { dst[j] = src[s * j] }
                        }
                    }
                    row += n
                }
            }
        }
    }

    /// Output rows per block of ``im2col(_:into:rows:)``: the block's columns (≤ 48 k scalars)
    /// stay in the L2 cache between the copy and the GEMM.
    var rowBlock: Int { max(1, min(g.outputHeight, 49_152 / max(g.patchSize * g.outputWidth, 1))) }

    /// Adjoint of ``im2col(_:into:)``: xp[c, s·i + u, s·j + v] += col[…]. `xp` must be zeroed by
    /// the caller when a plain adjoint (not an accumulation) is wanted.
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    func col2im<S: NNScalar>(_ col: UnsafePointer<S>, addingInto xp: UnsafeMutablePointer<S>) {
        let Hp = g.paddedHeight, Wp = g.paddedWidth, Ho = g.outputHeight, Wo = g.outputWidth, s = g.stride
        var row = col
        for c in 0..<g.channels {
            for u in 0..<g.kernelHeight {
                for v in 0..<g.kernelWidth {
                    for i in 0..<Ho {
                        let dst = xp + (c * Hp + s * i + u) * Wp + v
                        let src = row + i * Wo
                        if s == 1 {
                            for j in 0..<Wo { dst[j] += src[j] }
                        } else {
                            for j in 0..<Wo { dst[s * j] += src[j] }
                        }
                    }
                    row += Ho * Wo
                }
            }
        }
    }
}

/// Direct stride-1 3×3 correlations on padded planes, for the layers where im2col + GEMM is mostly
/// copying: one input channel (C = 1) or one output channel (O = 1). There the GEMM has an inner
/// dimension of 9 or an outer one of 1, and the im2col matrix is 9× the input. Measured on the
/// benchmark-(c) net (float32, 1 thread), the 16 → 1 layer took 1.03 ms forward and 1.52 ms
/// backward by im2col + GEMM, against 1.54 / 3.70 ms for the 16 → 16 layer with 16× the flops.
extension ConvKernels {
    /// True when ``correlate3x3`` and ``weightGradient3x3`` apply to this geometry.
    var isStrideOne3x3: Bool { g.stride == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 }

    /// y[o, i, j] (= or +=) Σ_c Σ_{u,v} w[o, c, u, v]·xp[c, i + u, j + v] (+ bias[o] when not
    /// accumulating). `xp` holds the C padded planes of one sample, `w` is `[O, C, 3, 3]`, `y` is
    /// `[O, Ho, Wo]`. Each output row gets one pass per channel, four pixels at a time (explicit SIMD:
    /// no alias checks), with the nine taps in registers and the three kernel rows summed as a tree.
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    func correlate3x3<S: NNScalar>(_ xp: UnsafePointer<S>, weight: UnsafePointer<S>, outChannels O: Int,
                                   bias: UnsafePointer<S>?, accumulate: Bool, into y: UnsafeMutablePointer<S>) {
        let C = g.channels, Hp = g.paddedHeight, Wp = g.paddedWidth, Ho = g.outputHeight, Wo = g.outputWidth
        let vectorEnd = Wo & ~3
        for o in 0..<O {
            let b: S = bias.map { $0[o] } ?? 0
            let yo = y + o * Ho * Wo
            for c in 0..<C {
                // The first channel stores (bias + taps) unless accumulating; later ones add.
                let first = c == 0 && !accumulate
                let k = weight + (o * C + c) * 9
                let k0 = SIMD4(repeating: k[0]), k1 = SIMD4(repeating: k[1]), k2 = SIMD4(repeating: k[2])
                let k3 = SIMD4(repeating: k[3]), k4 = SIMD4(repeating: k[4]), k5 = SIMD4(repeating: k[5])
                let k6 = SIMD4(repeating: k[6]), k7 = SIMD4(repeating: k[7]), k8 = SIMD4(repeating: k[8])
                let bv = SIMD4(repeating: b)
                for i in 0..<Ho {
                    let d = yo + i * Wo
                    let r0 = xp + (c * Hp + i) * Wp, r1 = r0 + Wp, r2 = r1 + Wp
                    var j = 0
                    while j < vectorEnd {
                        let t0 = k0 * load4(r0 + j) + k1 * load4(r0 + j + 1) + k2 * load4(r0 + j + 2)
                        let t1 = k3 * load4(r1 + j) + k4 * load4(r1 + j + 1) + k5 * load4(r1 + j + 2)
                        let t2 = k6 * load4(r2 + j) + k7 * load4(r2 + j + 1) + k8 * load4(r2 + j + 2)
                        store4((first ? bv : load4(d + j)) + ((t0 + t1) + t2), d + j)
                        j += 4
                    }
                    while j < Wo {
                        let t0 = k[0] * r0[j] + k[1] * r0[j + 1] + k[2] * r0[j + 2]
                        let t1 = k[3] * r1[j] + k[4] * r1[j + 1] + k[5] * r1[j + 2]
                        let t2 = k[6] * r2[j] + k[7] * r2[j + 1] + k[8] * r2[j + 2]
                        d[j] = (first ? b : d[j]) + ((t0 + t1) + t2)
                        j += 1
                    }
                }
            }
        }
    }

    /// W̄[o, c, u, v] += Σ_{i,j} ȳ[o, i, j]·xp[c, i + u, j + v] for every (o, c), and, when `biasGradient`
    /// is given, b̄[o] += Σ_{i,j} ȳ[o, i, j]. Per column block of four pixels the nine taps keep their
    /// partial sums in registers over all output rows (explicit SIMD); blocks are reduced in a fixed
    /// order.
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    func weightGradient3x3<S: NNScalar>(outputGradient yb: UnsafePointer<S>, padded xp: UnsafePointer<S>, outChannels O: Int,
                                        into wg: UnsafeMutablePointer<S>, biasGradient bg: UnsafeMutablePointer<S>?) {
        let C = g.channels, Hp = g.paddedHeight, Wp = g.paddedWidth, Ho = g.outputHeight, Wo = g.outputWidth
        let vectorEnd = Wo & ~3
        for o in 0..<O {
            let yo = yb + o * Ho * Wo
            if let bg { bg[o] += Self.sum(yo, count: Ho * Wo) }
            for c in 0..<C {
                let w = wg + (o * C + c) * 9
                let xc = xp + c * Hp * Wp
                var j = 0
                while j < vectorEnd {
                    var a0 = SIMD4<S>(), a1 = SIMD4<S>(), a2 = SIMD4<S>(), a3 = SIMD4<S>(), a4 = SIMD4<S>()
                    var a5 = SIMD4<S>(), a6 = SIMD4<S>(), a7 = SIMD4<S>(), a8 = SIMD4<S>()
                    for i in 0..<Ho {
                        let e = load4(yo + i * Wo + j)
                        let r0 = xc + i * Wp + j, r1 = r0 + Wp, r2 = r1 + Wp
                        a0 += e * load4(r0); a1 += e * load4(r0 + 1); a2 += e * load4(r0 + 2)
                        a3 += e * load4(r1); a4 += e * load4(r1 + 1); a5 += e * load4(r1 + 2)
                        a6 += e * load4(r2); a7 += e * load4(r2 + 1); a8 += e * load4(r2 + 2)
                    }
                    w[0] += a0.sum(); w[1] += a1.sum(); w[2] += a2.sum()
                    w[3] += a3.sum(); w[4] += a4.sum(); w[5] += a5.sum()
                    w[6] += a6.sum(); w[7] += a7.sum(); w[8] += a8.sum()
                    j += 4
                }
                while j < Wo {
                    for i in 0..<Ho {
                        let e = yo[i * Wo + j]
                        let r0 = xc + i * Wp + j, r1 = r0 + Wp, r2 = r1 + Wp
                        w[0] += e * r0[0]; w[1] += e * r0[1]; w[2] += e * r0[2]
                        w[3] += e * r1[0]; w[4] += e * r1[1]; w[5] += e * r1[2]
                        w[6] += e * r2[0]; w[7] += e * r2[1]; w[8] += e * r2[2]
                    }
                    j += 1
                }
            }
        }
    }

    /// Four scalars from `p` (any alignment).
    @inline(__always)
    func load4<S: NNScalar>(_ p: UnsafePointer<S>) -> SIMD4<S> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<S>.self)
    }

    @inline(__always)
    func store4<S: NNScalar>(_ v: SIMD4<S>, _ p: UnsafeMutablePointer<S>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<S>.self)
    }

    /// Σ p[0..<count] in a fixed order (four interleaved partial sums).
    @inline(__always)
    static func sum<S: NNScalar>(_ p: UnsafePointer<S>, count: Int) -> S {
        var s0: S = 0, s1: S = 0, s2: S = 0, s3: S = 0
        var j = 0
        while j + 4 <= count { s0 += p[j]; s1 += p[j + 1]; s2 += p[j + 2]; s3 += p[j + 3]; j += 4 }
        while j < count { s0 += p[j]; j += 1 }
        return (s0 + s1) + (s2 + s3)
    }
}

/// im2col + GEMM correlation over a batch, shared by ``Conv2D``, ``Conv1D`` and ``Downsample``.
///
/// Per sample: pad → im2col (`[C·kh·kw, Ho·Wo]`) → `Y = W·col` (GEMM, `W` is `[O, C·kh·kw]`, i.e.
/// PyTorch's `[O, C, kh, kw]` as stored). The reverse pass is `col̄ = Wᵀ·Ȳ` → col2im → padding
/// adjoint, and `W̄ += Ȳ·colᵀ`. The batch is split into a fixed number of chunks
/// (``BatchParallel``, independent of the thread count) run on the compute threads with
/// single-threaded GEMMs; each worker owns a padded-sample and a column buffer, each chunk its W̄/b̄
/// partial (summed in chunk order after the loop), all allocated once and reused across calls.
final class ConvEngine<Scalar: NNScalar> {
    let outChannels: Int
    private(set) var geometry: ConvGeometry
    private var kernels: ConvKernels
    /// For stride-1 zero padding, the input gradient is itself a correlation:
    /// x̄ = corr(zeroPad(ȳ, k − 1 − p), W̃) with W̃[c, o, u, v] = W[o, c, k−1−u, k−1−v]. Its kernels
    /// (nil when the layer is strided or not zero-padded: those use GEMM + col2im + padᵀ).
    private var adjointKernels: ConvKernels?
    /// Per-worker padded sample + columns.
    private let workerScratch = ScratchBuffer<Scalar>()
    /// W̃ of ``adjointKernels`` (`[C, O·kh·kw]`), rebuilt per reverse pass.
    private let flippedWeight = ScratchBuffer<Scalar>()
    /// Per-chunk W̄ `[O, C·kh·kw]` + b̄ `[O]` partials.
    private let partials = ScratchBuffer<Scalar>()
    /// When false every pass runs its chunks on the calling thread (for timing comparisons; the
    /// results are bit-identical either way).
    var parallel = true
    /// Minimum flops per batch chunk (tests lower it to exercise many chunks on small batches).
    var minimumChunkWork = BatchParallel.defaultMinimumChunkWork

    init(geometry: ConvGeometry, outChannels: Int) {
        self.geometry = geometry
        self.outChannels = outChannels
        self.kernels = ConvKernels(geometry)
        self.adjointKernels = Self.adjointKernels(geometry, outChannels: outChannels)
    }

    /// Kernels of the input-gradient correlation (see ``adjointKernels``), or nil where it does not apply.
    private static func adjointKernels(_ g: ConvGeometry, outChannels: Int) -> ConvKernels? {
        guard g.stride == 1, g.mode == .zero, g.padHeight <= g.kernelHeight - 1, g.padWidth <= g.kernelWidth - 1,
              g.height > 0, g.width > 0 else { return nil }
        let a = ConvGeometry(channels: outChannels, height: g.outputHeight, width: g.outputWidth,
                             kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, stride: 1,
                             padHeight: g.kernelHeight - 1 - g.padHeight, padWidth: g.kernelWidth - 1 - g.padWidth, mode: .zero)
        precondition(a.outputHeight == g.height && a.outputWidth == g.width, "ConvEngine: adjoint geometry mismatch")
        return ConvKernels(a)
    }

    /// Uses the correlation form of the input gradient where it applies (tests switch it off to
    /// compare with the GEMM + col2im path).
    var usesAdjointCorrelation = true

    /// Uses the direct 3×3 loops (``ConvKernels/correlate3x3``) for layers with one input or one
    /// output channel (tests switch it off to compare with im2col + GEMM).
    var usesDirect3x3 = true

    /// The direct loops apply: stride-1 3×3 with C = 1 or O = 1.
    private var isDirect: Bool {
        usesDirect3x3 && kernels.isStrideOne3x3 && (geometry.channels == 1 || outChannels == 1)
    }

    /// Sets the input extent (index maps are rebuilt only when it changes).
    func setInput(height: Int, width: Int) {
        if height != geometry.height || width != geometry.width {
            geometry.height = height
            geometry.width = width
            kernels = ConvKernels(geometry)
            adjointKernels = Self.adjointKernels(geometry, outChannels: outChannels)
        }
    }

    /// Per worker: padded sample + im2col columns (the larger of the forward and adjoint geometries).
    private var workerStride: Int {
        let forward = geometry.paddedSample + geometry.patchSize * geometry.outputPixels
        guard let a = adjointKernels?.g else { return forward }
        return max(forward, a.paddedSample + a.patchSize * a.outputPixels)
    }
    private var partialStride: Int { outChannels * geometry.patchSize + outChannels }

    /// Number of batch chunks (depends on the batch and the geometry only).
    private func chunkCount(batch: Int) -> Int {
        BatchParallel.chunkCount(batch: batch, workPerSample: 2 * outChannels * geometry.patchSize * geometry.outputPixels,
                                 minimumChunkWork: minimumChunkWork)
    }

    private func workerCount(chunks: Int) -> Int { parallel ? BatchParallel.workers(chunks: chunks) : 1 }

    /// y[n] = W·im2col(pad(x[n])) (+ bias[o]) for every sample. `x` is `[B, C·H·W]` flat, `y` `[B, O·Ho·Wo]`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    func forward(_ x: UnsafePointer<Scalar>, batch: Int, weight: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>?,
                 output y: UnsafeMutablePointer<Scalar>) {
        let chunks = chunkCount(batch: batch), workers = workerCount(chunks: chunks)
        let g = geometry, k = kernels, O = outChannels, P = g.outputPixels, K = g.patchSize
        let inS = g.inputSample, wStride = workerStride, colOff = g.paddedSample
        let Ho = g.outputHeight, Wo = g.outputWidth, rb = k.rowBlock
        let hasBias = bias != nil, direct = isDirect
        let ptrs = SharedBuffers<Scalar>([UnsafeMutablePointer(mutating: x), y, UnsafeMutablePointer(mutating: weight),
                                          UnsafeMutablePointer(mutating: bias ?? weight),
                                          workerScratch.pointer(count: workers * wStride)])
        BatchParallel.run(chunks: chunks, workers: workers, parallel: parallel) { c, w in
            let xp = ptrs[0], yp = ptrs[1], wp = ptrs[2], bp = ptrs[3]
            let pad = ptrs[4] + w * wStride, col = pad + colOff
            for n in BatchParallel.samples(c, of: chunks, batch: batch) {
                k.pad(xp + n * inS, into: pad)
                let yn = yp + n * O * P
                if direct {
                    k.correlate3x3(pad, weight: wp, outChannels: O, bias: hasBias ? bp : nil, accumulate: false, into: yn)
                    continue
                }
                if hasBias {
                    for o in 0..<O { (yn + o * P).update(repeating: bp[o], count: P) }
                }
                for r0 in stride(from: 0, to: Ho, by: rb) {
                    let rows = r0..<min(Ho, r0 + rb), cols = rows.count * Wo
                    k.im2col(pad, into: col, rows: rows)
                    Scalar.gemm(transposeA: false, transposeB: false, m: O, n: cols, k: K, alpha: 1,
                                a: wp, lda: K, b: col, ldb: cols, beta: hasBias ? 1 : 0, c: yn + r0 * Wo, ldc: P)
                }
            }
        }
    }

    /// Reverse pass over the batch.
    /// - For every pair (ȳ, x̄) in `inputGradients`: x̄[n] += padᵀ·col2im(Wᵀ·ȳ[n]).
    /// - For every triple (ȳ, x, bias) in `weightGradients`: W̄ += ȳ[n]·im2col(pad(x[n]))ᵀ and,
    ///   when flagged and `biasGradient` is given, b̄[o] += Σ_pixels ȳ[n, o].
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    func backward(batch: Int, weight: UnsafePointer<Scalar>,
                  inputGradients: [(outputGradient: UnsafePointer<Scalar>, inputGradient: UnsafeMutablePointer<Scalar>)],
                  weightGradients: [(outputGradient: UnsafePointer<Scalar>, input: UnsafePointer<Scalar>, includesBias: Bool)],
                  weightGradient: UnsafeMutablePointer<Scalar>?, biasGradient: UnsafeMutablePointer<Scalar>?) {
        let chunks = chunkCount(batch: batch), workers = workerCount(chunks: chunks)
        let wantW = weightGradient != nil && !weightGradients.isEmpty
        let g = geometry, k = kernels, O = outChannels, P = g.outputPixels, K = g.patchSize
        let inS = g.inputSample, padS = g.paddedSample
        let wStride = workerStride, colOff = g.paddedSample, pStride = partialStride
        let direct = isDirect
        let Ho = g.outputHeight, Wo = g.outputWidth, rb = k.rowBlock
        let nIn = inputGradients.count, nW = weightGradients.count
        let flags = weightGradients.map { $0.includesBias && biasGradient != nil }
        let part = partials.pointer(count: chunks * pStride)
        let adjoint = nIn > 0 && usesAdjointCorrelation ? adjointKernels : nil
        let C = g.channels, kh = g.kernelHeight, kw = g.kernelWidth, kk = kh * kw
        let flipped = flippedWeight.pointer(count: C * O * kk)
        if adjoint != nil {
            for o in 0..<O {
                for c in 0..<C {
                    for u in 0..<kk { flipped[(c * O + o) * kk + u] = weight[(o * C + c) * kk + kk - 1 - u] }
                }
            }
        }
        var list: [UnsafeMutablePointer<Scalar>] = [adjoint == nil ? UnsafeMutablePointer(mutating: weight) : flipped,
                                                    workerScratch.pointer(count: workers * wStride), part]
        for p in inputGradients { list += [UnsafeMutablePointer(mutating: p.outputGradient), p.inputGradient] }
        for p in weightGradients { list += [UnsafeMutablePointer(mutating: p.outputGradient), UnsafeMutablePointer(mutating: p.input)] }
        let ptrs = SharedBuffers<Scalar>(list)
        BatchParallel.run(chunks: chunks, workers: workers, parallel: parallel) { c, w in
            let wp = ptrs[0]
            let pad = ptrs[1] + w * wStride, col = pad + colOff
            let wa = ptrs[2] + c * pStride, ba = wa + O * K
            if wantW { wa.update(repeating: 0, count: pStride) }
            for n in BatchParallel.samples(c, of: chunks, batch: batch) {
                for t in 0..<nIn {
                    let yb = ptrs[3 + 2 * t] + n * O * P, xb = ptrs[4 + 2 * t] + n * inS
                    if let a = adjoint {
                        // x̄[n] += W̃ · im2col(zeroPad(ȳ[n])): [C, O·kh·kw] · [O·kh·kw, H·W].
                        a.pad(yb, into: pad)
                        if direct {
                            a.correlate3x3(pad, weight: wp, outChannels: C, bias: nil, accumulate: true, into: xb)
                            continue
                        }
                        let acol = pad + a.g.paddedSample, arb = a.rowBlock, aw = a.g.outputWidth
                        for r0 in stride(from: 0, to: a.g.outputHeight, by: arb) {
                            let rows = r0..<min(a.g.outputHeight, r0 + arb), cols = rows.count * aw
                            a.im2col(pad, into: acol, rows: rows)
                            Scalar.gemm(transposeA: false, transposeB: false, m: C, n: cols, k: O * kk, alpha: 1,
                                        a: wp, lda: O * kk, b: acol, ldb: cols, beta: 1, c: xb + r0 * aw, ldc: inS / C)
                        }
                        continue
                    }
                    Scalar.gemm(transposeA: true, transposeB: false, m: K, n: P, k: O, alpha: 1,
                                a: wp, lda: K, b: yb, ldb: P, beta: 0, c: col, ldc: P)
                    pad.update(repeating: 0, count: padS)
                    k.col2im(col, addingInto: pad)
                    k.padAdjoint(pad, addingInto: xb)
                }
                guard wantW else { continue }
                for t in 0..<nW {
                    let yb = ptrs[3 + 2 * nIn + 2 * t] + n * O * P, xs = ptrs[4 + 2 * nIn + 2 * t] + n * inS
                    k.pad(xs, into: pad)
                    if direct {
                        k.weightGradient3x3(outputGradient: yb, padded: pad, outChannels: O, into: wa,
                                            biasGradient: flags[t] ? ba : nil)
                        continue
                    }
                    for r0 in stride(from: 0, to: Ho, by: rb) {
                        let rows = r0..<min(Ho, r0 + rb), cols = rows.count * Wo
                        k.im2col(pad, into: col, rows: rows)
                        Scalar.gemm(transposeA: false, transposeB: true, m: O, n: K, k: cols, alpha: 1,
                                    a: yb + r0 * Wo, lda: P, b: col, ldb: cols, beta: 1, c: wa, ldc: K)
                    }
                    if flags[t] {
                        for o in 0..<O { ba[o] += ConvKernels.sum(yb + o * P, count: P) }
                    }
                }
            }
        }
        if wantW, let wg = weightGradient {
            // Chunk partials summed in chunk order: the result does not depend on the thread count.
            for c in 0..<chunks {
                let wa = part + c * pStride
                for i in 0..<(O * K) { wg[i] += wa[i] }
                if let bg = biasGradient { for o in 0..<O { bg[o] += wa[O * K + o] } }
            }
        }
    }

    /// The same correlation as ``forward(_:batch:weight:bias:output:)`` by direct loops (pad, then
    /// for every (o, c, u, v) a unit-stride multiply-add over output rows), kept for the im2col-vs-direct
    /// timing comparison and as a second implementation in tests.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    func forwardDirect(_ x: UnsafePointer<Scalar>, batch: Int, weight: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>?,
                       output y: UnsafeMutablePointer<Scalar>) {
        let chunks = chunkCount(batch: batch), workers = workerCount(chunks: chunks)
        let g = geometry, k = kernels, O = outChannels, Ho = g.outputHeight, Wo = g.outputWidth, P = g.outputPixels
        let C = g.channels, kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride
        let Hp = g.paddedHeight, Wp = g.paddedWidth, inS = g.inputSample, stride = workerStride
        let ptrs = SharedBuffers<Scalar>([UnsafeMutablePointer(mutating: x), y, UnsafeMutablePointer(mutating: weight),
                                          UnsafeMutablePointer(mutating: bias ?? weight),
                                          workerScratch.pointer(count: workers * stride)])
        let hasBias = bias != nil
        BatchParallel.run(chunks: chunks, workers: workers, parallel: parallel) { c, w in
            let xp = ptrs[0], yp = ptrs[1], wp = ptrs[2], bp = ptrs[3]
            let pad = ptrs[4] + w * stride
            for n in BatchParallel.samples(c, of: chunks, batch: batch) {
                k.pad(xp + n * inS, into: pad)
                for o in 0..<O {
                    let yo = yp + (n * O + o) * P
                    yo.update(repeating: hasBias ? bp[o] : 0, count: P)
                    for ch in 0..<C {
                        for u in 0..<kh {
                            for v in 0..<kw {
                                let w = wp[((o * C + ch) * kh + u) * kw + v]
                                for i in 0..<Ho {
                                    let src = pad + (ch * Hp + s * i + u) * Wp + v
                                    let dst = yo + i * Wo
                                    if s == 1 {
                                        for j in 0..<Wo { dst[j] += w * src[j] }
                                    } else {
                                        for j in 0..<Wo { dst[j] += w * src[s * j] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

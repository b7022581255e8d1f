/// Fourier-feature encoding of points, in the convention of OReX (shape-reconstruction.md §2.1):
/// for x ∈ ℝ^d and frequency vectors ω_c, ω_s ∈ ℝ^K (shared by all coordinates),
///
///     y = [ x  (if includesInput) | cos(x_j · ω_c[k]) | sin(x_j · ω_s[k]) ],
///
/// each trigonometric block coordinate-major (index `j·K + k`), so the output has
/// `(includesInput ? d : 0) + 2·d·K` features (OReX: d = 3, K = 5 → 33). There is no 2π factor:
/// the frequencies are angular (OReX initialises both vectors to 2⁰ … 2^(K−1)). With
/// `learned: false` the frequencies are saved with the model but not trained (`isTrainable = false`;
/// OReX's fixed iteration code is d = 1, K = 16, no input; its NeRF-style interleaved
/// order sin f₀, cos f₀, … is a fixed permutation of this layout). Gradients with respect to the
/// frequencies are accumulated in both reverse passes either way.
///
/// Layouts: input `[B, d]`, output `[B, F]`; parameters "cos_frequencies" `[K]`, "sin_frequencies" `[K]`.
public final class FourierFeatures<Scalar: NNScalar>: Layer {
    public let inputDimension: Int
    public let includesInput: Bool
    public let learned: Bool
    public let cosFrequencies: Parameter<Scalar>
    public let sinFrequencies: Parameter<Scalar>

    private var x = Tensor<Scalar>(shape: [0])
    private var xdot = Tensor<Scalar>(shape: [0])
    /// cos(x ω_c), sin(x ω_c), cos(x ω_s), sin(x ω_s) at the cached point, `[B·d·K]` each.
    private var cc: [Scalar] = [], sc: [Scalar] = [], cs: [Scalar] = [], ss: [Scalar] = []

    /// - Parameters:
    ///   - frequencies: initial ω_c = ω_s (default 2⁰ … 2⁴, OReX).
    /// - Throws: ``NNError`` for d < 1 or no frequencies.
    public init(inputDimension: Int, frequencies: [Double] = [1, 2, 4, 8, 16], includesInput: Bool = true,
                learned: Bool = true) throws {
        guard inputDimension >= 1 else { throw NNError("FourierFeatures: input dimension must be ≥ 1, got \(inputDimension)") }
        guard !frequencies.isEmpty, frequencies.allSatisfy({ $0.isFinite }) else {
            throw NNError("FourierFeatures: need at least one finite frequency, got \(frequencies)")
        }
        self.inputDimension = inputDimension
        self.includesInput = includesInput
        self.learned = learned
        let w = Tensor<Scalar>(shape: [frequencies.count], storage: frequencies.map { Scalar($0) })
        cosFrequencies = Parameter(name: "cos_frequencies", value: w, isTrainable: learned)
        sinFrequencies = Parameter(name: "sin_frequencies", value: w, isTrainable: learned)
    }

    /// Number of frequencies K.
    public var frequencyCount: Int { cosFrequencies.value.count }
    /// Output features per sample.
    public var outputDimension: Int { (includesInput ? inputDimension : 0) + 2 * inputDimension * frequencyCount }

    public var parameters: [Parameter<Scalar>] { [cosFrequencies, sinFrequencies] }

    public var descriptor: LayerDescriptor {
        LayerDescriptor(kind: "fourier_features", attributes: [
            "input_dim": .int(inputDimension), "frequencies": .int(frequencyCount),
            "include_input": .bool(includesInput), "learned": .bool(learned)])
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape[1] == inputDimension else {
            throw NNError("FourierFeatures: input shape \(inputShape) is not [B, \(inputDimension)]")
        }
        return [inputShape[0], outputDimension]
    }

    private var inputOffset: Int { includesInput ? inputDimension : 0 }

    /// Minimum work per batch chunk (tests lower it to exercise the chunked path on small batches).
    var minimumChunkWork = BatchParallel.defaultMinimumChunkWork
    /// Per-chunk ω̄ partials of the reverse pass, reused across calls.
    private let partials = ScratchBuffer<Scalar>()

    /// Batch chunks of the forward and reverse passes (a trigonometric evaluation counts ~25 flops).
    private func chunkCount(batch: Int) -> Int {
        BatchParallel.chunkCount(batch: batch, workPerSample: 100 * inputDimension * frequencyCount,
                                 minimumChunkWork: minimumChunkWork)
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        do { _ = try outputShape(for: input.shape) } catch { preconditionFailure("\(error)") }
        x = input
        let B = input.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        let n = B * d * K
        // The caches are reused when the batch repeats; every element is overwritten below.
        if cc.count != n {
            cc = [Scalar](repeating: 0, count: n); sc = cc; cs = cc; ss = cc
        }
        var y = Tensor<Scalar>(uninitializedShape: [B, F])   // every element is written below
        let inc = includesInput
        let chunks = chunkCount(batch: B)
        // Raw pointers in the loops: stored properties of a class accessed per element cost a
        // dynamic exclusivity check each (measured: ~15 % of a training step).
        let ptrs = SharedBuffers<Scalar>([
            input.withBase { UnsafeMutablePointer(mutating: $0) }, y.withMutableBase { $0 },
            cc.withUnsafeMutableBufferPointer { $0.baseAddress! }, sc.withUnsafeMutableBufferPointer { $0.baseAddress! },
            cs.withUnsafeMutableBufferPointer { $0.baseAddress! }, ss.withUnsafeMutableBufferPointer { $0.baseAddress! },
            cosFrequencies.value.withBase { UnsafeMutablePointer(mutating: $0) },
            sinFrequencies.value.withBase { UnsafeMutablePointer(mutating: $0) }])
        BatchParallel.run(chunks: chunks) { c, _ in
            let xp = ptrs[0], yp = ptrs[1], ccp = ptrs[2], scp = ptrs[3], csp = ptrs[4], ssp = ptrs[5]
            let wc = ptrs[6], ws = ptrs[7]
            let samples = BatchParallel.samples(c, of: chunks, batch: B)
            // Arguments x·ω into the cos caches, then sin/cos of the whole chunk in one call
            // (vectorised for Float; four scalar trigonometric calls per element were 9 % of a
            // training step of benchmark (b)).
            for b in samples {
                for j in 0..<d {
                    let xj = xp[b * d + j]
                    let i0 = (b * d + j) * K
                    for k in 0..<K { ccp[i0 + k] = xj * wc[k]; csp[i0 + k] = xj * ws[k] }
                }
            }
            let lo = samples.lowerBound * d * K, count = samples.count * d * K
            Scalar.sinCos(ccp + lo, count: count, sin: scp + lo, cos: ccp + lo)
            Scalar.sinCos(csp + lo, count: count, sin: ssp + lo, cos: csp + lo)
            for b in samples {
                if inc { for j in 0..<d { yp[b * F + j] = xp[b * d + j] } }
                let row = yp + b * F + off, i0 = b * d * K
                for t in 0..<(d * K) { row[t] = ccp[i0 + t]; row[d * K + t] = ssp[i0 + t] }
            }
        }
        return y
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func backward(_ ybar: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(ybar.shape == [x.batchSize, outputDimension], "FourierFeatures.backward: gradient \(ybar.shape) does not match output")
        let B = x.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        var xbar = Tensor<Scalar>(uninitializedShape: x.shape)   // every element is written below
        let inc = includesInput
        let chunks = chunkCount(batch: B)
        let part = partials.pointer(count: chunks * 2 * K)
        let ptrs = SharedBuffers<Scalar>([
            x.withBase { UnsafeMutablePointer(mutating: $0) }, ybar.withBase { UnsafeMutablePointer(mutating: $0) },
            xbar.withMutableBase { $0 },
            sc.withUnsafeMutableBufferPointer { $0.baseAddress! }, cs.withUnsafeMutableBufferPointer { $0.baseAddress! },
            cosFrequencies.value.withBase { UnsafeMutablePointer(mutating: $0) },
            sinFrequencies.value.withBase { UnsafeMutablePointer(mutating: $0) }, part])
        BatchParallel.run(chunks: chunks) { c, _ in
            let xp = ptrs[0], yb = ptrs[1], xbp = ptrs[2], scp = ptrs[3], csp = ptrs[4], wc = ptrs[5], ws = ptrs[6]
            let gcp = ptrs[7] + c * 2 * K, gsp = gcp + K
            gcp.update(repeating: 0, count: 2 * K)
            for b in BatchParallel.samples(c, of: chunks, batch: B) {
                for j in 0..<d {
                    let xj = xp[b * d + j]
                    var g: Scalar = inc ? yb[b * F + j] : 0
                    let row = b * F + off
                    for k in 0..<K {
                        let i = (b * d + j) * K + k
                        let yc = yb[row + j * K + k], ys = yb[row + d * K + j * K + k]
                        g += -yc * wc[k] * scp[i] + ys * ws[k] * csp[i]
                        gcp[k] += -yc * xj * scp[i]
                        gsp[k] += ys * xj * csp[i]
                    }
                    xbp[b * d + j] = g
                }
            }
        }
        // ω̄ partials summed in chunk order (independent of the thread count).
        cosFrequencies.gradient.withMutableBase { gc in
            sinFrequencies.gradient.withMutableBase { gs in
                for c in 0..<chunks {
                    for k in 0..<K { gc[k] += part[c * 2 * K + k]; gs[k] += part[c * 2 * K + K + k] }
                }
            }
        }
        return xbar
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(inputTangent.shape == x.shape, "FourierFeatures.tangent: direction \(inputTangent.shape) does not match input \(x.shape)")
        xdot = inputTangent
        let B = x.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        var ydot = Tensor<Scalar>(shape: [B, F])
        let wc = cosFrequencies.value.storage, ws = sinFrequencies.value.storage
        for b in 0..<B {
            for j in 0..<d {
                let v = inputTangent[b * d + j]
                if includesInput { ydot[b * F + j] = v }
                for k in 0..<K {
                    let i = (b * d + j) * K + k
                    ydot[b * F + off + j * K + k] = -wc[k] * sc[i] * v
                    ydot[b * F + off + d * K + j * K + k] = ws[k] * cs[i] * v
                }
            }
        }
        return ydot
    }

    /// With a = x·ω: cos block ẏ = −ω sin(a) ẋ, sin block ẏ = ω cos(a) ẋ, so
    /// x̄ = ȳ·∂y/∂x + ẏ̄·∂ẏ/∂x, ẋ̄ = ẏ̄·∂ẏ/∂ẋ, ω̄ += ȳ·∂y/∂ω + ẏ̄·∂ẏ/∂ω (see docs/nn-kit.md).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func tangentBackward(_ ybar: Tensor<Scalar>, _ ydotbar: Tensor<Scalar>) -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        precondition(ybar.shape == [x.batchSize, outputDimension] && ydotbar.shape == ybar.shape,
                     "FourierFeatures.tangentBackward: gradients \(ybar.shape), \(ydotbar.shape) do not match output")
        precondition(xdot.shape == x.shape, "FourierFeatures.tangentBackward called before tangent")
        let B = x.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        var xbar = Tensor<Scalar>(shape: x.shape), xdotbar = Tensor<Scalar>(shape: x.shape)
        let wc = cosFrequencies.value.storage, ws = sinFrequencies.value.storage
        for b in 0..<B {
            for j in 0..<d {
                let xj = x[b * d + j], v = xdot[b * d + j]
                var gx: Scalar = includesInput ? ybar[b * F + j] : 0
                var gv: Scalar = includesInput ? ydotbar[b * F + j] : 0
                for k in 0..<K {
                    let i = (b * d + j) * K + k
                    let ic = b * F + off + j * K + k, isn = b * F + off + d * K + j * K + k
                    let yc = ybar[ic], ydc = ydotbar[ic], ys = ybar[isn], yds = ydotbar[isn]
                    let w = wc[k], u = ws[k]
                    // cos block: y = cos(xw), ẏ = −w sin(xw) v
                    gx += -yc * w * sc[i] - ydc * w * w * cc[i] * v
                    gv += -ydc * w * sc[i]
                    cosFrequencies.gradient[k] += -yc * xj * sc[i] + ydc * v * (-sc[i] - w * xj * cc[i])
                    // sin block: y = sin(xu), ẏ = u cos(xu) v
                    gx += ys * u * cs[i] - yds * u * u * ss[i] * v
                    gv += yds * u * cs[i]
                    sinFrequencies.gradient[k] += ys * xj * cs[i] + yds * v * (cs[i] - u * xj * ss[i])
                }
                xbar[b * d + j] = gx
                xdotbar[b * d + j] = gv
            }
        }
        return (xbar, xdotbar)
    }
}

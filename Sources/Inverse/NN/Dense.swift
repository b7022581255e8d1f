import Imaging

/// A fully connected layer y = x Wᵀ + b on batch-major input `[B, in]` (any input whose samples
/// hold `in` elements), output `[B, out]`. The weight is stored `[out, in]` like PyTorch's
/// `nn.Linear`, so weights exchange without transposition; the bias is optional.
///
/// Every pass is one or two single-threaded BLAS GEMMs per batch chunk, the chunks run on the
/// compute threads (``BatchParallel``; W̄, b̄ summed per chunk, partials reduced in chunk order):
/// - forward y = xWᵀ + b; backward x̄ = ȳW, W̄ += ȳᵀx, b̄ += Σ_batch ȳ;
/// - tangent ẏ = ẋWᵀ; tangentBackward x̄ = ȳW, ẋ̄ = ẏ̄W, W̄ += ȳᵀx + ẏ̄ᵀẋ, b̄ += Σ_batch ȳ.
public final class Dense<Scalar: NNScalar>: Layer {
    public let inputCount: Int
    public let outputCount: Int
    /// `[out, in]`.
    public let weight: Parameter<Scalar>
    /// `[out]`, or nil for a layer without bias.
    public let bias: Parameter<Scalar>?
    /// Prefix of the parameter names ("" for plain "weight"/"bias").
    public let name: String

    private var input = Tensor<Scalar>(shape: [0])
    private var inputTangent = Tensor<Scalar>(shape: [0])

    /// A layer with the given weight `[out, in]` and optional bias `[out]`. `name` prefixes the
    /// parameter names ("A0" → "A0.weight", "A0.bias"); empty gives "weight" and "bias".
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, weightConstraint: Parameter<Scalar>.Constraint = .none,
                name: String = "") {
        precondition(weight.rank == 2, "Dense: weight must be [out, in], got shape \(weight.shape)")
        outputCount = weight.shape[0]
        inputCount = weight.shape[1]
        if let bias { precondition(bias.count == outputCount, "Dense: bias has \(bias.count) elements, weight has \(outputCount) rows") }
        self.name = name
        let prefix = name.isEmpty ? "" : name + "."
        self.weight = Parameter(name: prefix + "weight", value: weight, constraint: weightConstraint)
        let out = weight.shape[0]
        self.bias = bias.map { Parameter(name: prefix + "bias", value: $0.reshaped([out])) }
    }

    /// A layer initialised like PyTorch's `nn.Linear`: weight and bias uniform in ±1/√in, drawn
    /// from `rng` (weight first, row-major, then bias).
    public convenience init(inputCount: Int, outputCount: Int, bias: Bool = true,
                            weightConstraint: Parameter<Scalar>.Constraint = .none, name: String = "",
                            rng: inout RandomSource) {
        precondition(inputCount > 0 && outputCount > 0, "Dense: sizes must be positive (in \(inputCount), out \(outputCount))")
        let bound = 1 / Double(inputCount).squareRoot()
        let w = Tensor<Scalar>.uniform(shape: [outputCount, inputCount], lower: -bound, upper: bound, rng: &rng)
        let b: Tensor<Scalar>? = bias ? .uniform(shape: [outputCount], lower: -bound, upper: bound, rng: &rng) : nil
        self.init(weight: w, bias: b, weightConstraint: weightConstraint, name: name)
    }

    public var parameters: [Parameter<Scalar>] { bias.map { [weight, $0] } ?? [weight] }

    public var descriptor: LayerDescriptor {
        var attributes: [String: LayerDescriptor.Value] = [
            "inputCount": .int(inputCount), "outputCount": .int(outputCount), "bias": .bool(bias != nil),
            "weightConstraint": .string(weight.constraint.rawValue),
        ]
        if !name.isEmpty { attributes["name"] = .string(name) }
        return LayerDescriptor(kind: "dense", attributes: attributes)
    }

    /// A zero-initialised layer of the architecture `descriptor` records (kind "dense"; model
    /// files then copy the stored tensors into ``parameters``).
    public convenience init(descriptor d: LayerDescriptor) throws {
        guard d.kind == "dense" else { throw NNError("dense: descriptor kind is '\(d.kind)'") }
        guard case .int(let inputs)? = d.attributes["inputCount"], case .int(let outputs)? = d.attributes["outputCount"],
              inputs > 0, outputs > 0 else {
            throw NNError("dense: attributes inputCount and outputCount must be positive integers")
        }
        var hasBias = true
        if let v = d.attributes["bias"] {
            guard case .bool(let b) = v else { throw NNError("dense: attribute 'bias' must be a boolean") }
            hasBias = b
        }
        var constraint = Parameter<Scalar>.Constraint.none
        if let v = d.attributes["weightConstraint"] {
            guard case .string(let s) = v, let c = Parameter<Scalar>.Constraint(rawValue: s) else {
                throw NNError("dense: attribute 'weightConstraint' must be 'none' or 'nonNegative'")
            }
            constraint = c
        }
        var name = ""
        if let v = d.attributes["name"] {
            guard case .string(let s) = v else { throw NNError("dense: attribute 'name' must be a string") }
            name = s
        }
        self.init(weight: Tensor(shape: [outputs, inputs]), bias: hasBias ? Tensor(shape: [outputs]) : nil,
                  weightConstraint: constraint, name: name)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        let features = inputShape.dropFirst().reduce(1, *)
        guard inputShape.count >= 2, features == inputCount else {
            throw NNError("dense \(inputCount)→\(outputCount): input shape \(inputShape) does not have \(inputCount) features per sample")
        }
        return [inputShape[0], outputCount]
    }

    private func checkInput(_ x: Tensor<Scalar>) {
        precondition(x.rank >= 2 && x.sampleCount == inputCount,
                     "dense \(inputCount)→\(outputCount): input shape \(x.shape) does not have \(inputCount) features per sample")
    }

    /// Minimum flops per batch chunk (tests lower it to exercise the chunked path on small batches).
    var minimumChunkWork = BatchParallel.defaultMinimumChunkWork
    /// Per-chunk W̄/b̄ partials, reused across calls.
    private let partials = ScratchBuffer<Scalar>()

    private func chunkCount(batch: Int) -> Int {
        BatchParallel.chunkCount(batch: batch, workPerSample: 2 * inputCount * outputCount, minimumChunkWork: minimumChunkWork)
    }

    /// out = v Wᵀ (+ b), for v `[B, in]`: per batch chunk, bias rows then one GEMM (β = 1).
    private func applyWeight(_ v: Tensor<Scalar>, addBias: Bool) -> Tensor<Scalar> {
        let b = v.batchSize
        // Every element is written: by the bias copy, or by the GEMM with β = 0.
        var y = Tensor<Scalar>(uninitializedShape: [b, outputCount])
        guard b > 0 else { return y }
        let (n, k) = (outputCount, inputCount)
        let chunks = chunkCount(batch: b)
        let biasValue = addBias ? bias?.value : nil
        v.withBase { vp in
            weight.value.withBase { wp in
                y.withMutableBase { yp in
                    let vs = NNSendablePointer(vp), ws = NNSendablePointer(wp), ys = NNSendablePointer(yp)
                    func run(_ bs: NNSendablePointer<Scalar>?) {
                        BatchParallel.run(chunks: chunks) { c, _ in
                            let rows = BatchParallel.samples(c, of: chunks, batch: b)
                            let yc = ys.base + rows.lowerBound * n
                            if let bs {
                                // Plain loop (vectorised): a memmove call per short row costs more.
                                for r in 0..<rows.count {
                                    let row = yc + r * n
                                    for j in 0..<n { row[j] = bs.base[j] }
                                }
                            }
                            Scalar.gemm(transposeA: false, transposeB: true, m: rows.count, n: n, k: k, alpha: 1,
                                        a: vs.base + rows.lowerBound * k, lda: k, b: ws.base, ldb: k,
                                        beta: bs == nil ? 0 : 1, c: yc, ldc: n)
                        }
                    }
                    if let biasValue {
                        biasValue.withBase { run(NNSendablePointer($0)) }
                    } else {
                        run(nil)
                    }
                }
            }
        }
        return y
    }

    /// The reverse pass over the batch, chunk by chunk: for every pair `(g, v)` of `terms`,
    /// `x̄_t = g W` (shape `shape`) and W̄ += gᵀ v; b̄ += Σ_batch g of the first term. Chunk partials
    /// of W̄ and b̄ are summed in chunk order (independent of the thread count).
    private func reverse(_ terms: [(gradient: Tensor<Scalar>, input: Tensor<Scalar>)], shape: [Int]) -> [Tensor<Scalar>] {
        for t in terms {
            precondition(t.gradient.count == t.gradient.batchSize * outputCount,
                         "dense \(inputCount)→\(outputCount): gradient shape \(t.gradient.shape) is not [B, \(outputCount)]")
        }
        var outs = terms.map { _ in Tensor<Scalar>(uninitializedShape: shape) }   // GEMMs with β = 0 write every element
        let b = terms[0].gradient.batchSize
        guard b > 0 else { return outs }
        let (m, n) = (outputCount, inputCount)
        let chunks = chunkCount(batch: b)
        let stride = m * n + m
        let hasBias = bias != nil
        let part = partials.pointer(count: chunks == 1 ? 1 : chunks * stride)
        var list: [UnsafeMutablePointer<Scalar>] = []
        // Pointers stay valid: the tensors are not mutated (no copy-on-write) while the loop runs.
        for t in terms {
            list.append(t.gradient.withBase { UnsafeMutablePointer(mutating: $0) })
            list.append(t.input.withBase { UnsafeMutablePointer(mutating: $0) })
        }
        for i in outs.indices { list.append(outs[i].withMutableBase { $0 }) }
        list.append(weight.value.withBase { UnsafeMutablePointer(mutating: $0) })
        list.append(weight.gradient.withMutableBase { $0 })
        list.append(bias?.gradient.withMutableBase { $0 } ?? part)
        list.append(part)
        let p = SharedBuffers<Scalar>(list)
        let nt = terms.count
        BatchParallel.run(chunks: chunks) { c, _ in
            let rows = BatchParallel.samples(c, of: chunks, batch: b)
            let wv = p[3 * nt], lo = rows.lowerBound
            // Single chunk: accumulate straight into W̄, b̄; else into this chunk's partials.
            let wa = chunks == 1 ? p[3 * nt + 1] : p[3 * nt + 3] + c * stride
            let ba = chunks == 1 ? p[3 * nt + 2] : wa + m * n
            for t in 0..<nt {
                let g = p[2 * t] + lo * m, v = p[2 * t + 1] + lo * n
                Scalar.gemm(transposeA: false, transposeB: false, m: rows.count, n: n, k: m, alpha: 1, a: g, lda: m,
                            b: wv, ldb: n, beta: 0, c: p[2 * nt + t] + lo * n, ldc: n)
                Scalar.gemm(transposeA: true, transposeB: false, m: m, n: n, k: rows.count, alpha: 1, a: g, lda: m,
                            b: v, ldb: n, beta: chunks == 1 || t > 0 ? 1 : 0, c: wa, ldc: n)
            }
            if hasBias {
                if chunks > 1 { ba.update(repeating: 0, count: m) }
                let g = p[0] + lo * m
                for r in 0..<rows.count {
                    let row = g + r * m
                    for j in 0..<m { ba[j] += row[j] }
                }
            }
        }
        if chunks > 1 {
            let wg = p[3 * nt + 1], bg = p[3 * nt + 2]
            for c in 0..<chunks {
                let wa = part + c * stride
                for i in 0..<(m * n) { wg[i] += wa[i] }
                if hasBias { for j in 0..<m { bg[j] += wa[m * n + j] } }
            }
        }
        return outs
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        checkInput(x)
        input = x
        return applyWeight(x, addBias: true)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        reverse([(outputGradient, input)], shape: input.shape)[0]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(inputTangent.count == input.count,
                     "dense \(inputCount)→\(outputCount): tangent shape \(inputTangent.shape) differs from the input's \(input.shape)")
        self.inputTangent = inputTangent
        return applyWeight(inputTangent, addBias: false)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        precondition(inputTangent.count == input.count, "dense: tangentBackward needs a tangent pass first")
        let r = reverse([(outputGradient, input), (tangentGradient, inputTangent)], shape: input.shape)
        return (r[0], r[1])
    }
}

import Imaging

/// A fully connected layer y = x Wᵀ + b on batch-major input `[B, in]` (any input whose samples
/// hold `in` elements), output `[B, out]`. The weight is stored `[out, in]` like PyTorch's
/// `nn.Linear`, so weights exchange without transposition; the bias is optional.
///
/// Every pass is one or two BLAS GEMMs over the whole batch:
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

    /// out = v Wᵀ (+ b), for v `[B, in]`.
    private func applyWeight(_ v: Tensor<Scalar>, addBias: Bool) -> Tensor<Scalar> {
        let b = v.batchSize
        // Every element is written: by the bias copy, or by the GEMM with β = 0.
        var y = Tensor<Scalar>(uninitializedShape: [b, outputCount])
        guard b > 0 else { return y }
        var beta: Scalar = 0
        if addBias, let bias {
            y.withMutableBase { yp in
                bias.value.withBase { bp in
                    for r in 0..<b { (yp + r * outputCount).update(from: bp, count: outputCount) }
                }
            }
            beta = 1
        }
        let (m, n, k) = (b, outputCount, inputCount)
        v.withBase { vp in
            weight.value.withBase { wp in
                y.withMutableBase { yp in
                    Scalar.gemm(transposeA: false, transposeB: true, m: m, n: n, k: k, alpha: 1, a: vp, lda: k,
                                b: wp, ldb: k, beta: beta, c: yp, ldc: n)
                }
            }
        }
        return y
    }

    /// out = g W (shape of `like`), for g `[B, out]`.
    private func applyTransposedWeight(_ g: Tensor<Scalar>, shape: [Int]) -> Tensor<Scalar> {
        precondition(g.count == g.batchSize * outputCount,
                     "dense \(inputCount)→\(outputCount): gradient shape \(g.shape) is not [B, \(outputCount)]")
        var x = Tensor<Scalar>(uninitializedShape: shape)   // GEMM with β = 0 writes every element
        let b = g.batchSize
        guard b > 0 else { return x }
        let (n, k) = (inputCount, outputCount)
        g.withBase { gp in
            weight.value.withBase { wp in
                x.withMutableBase { xp in
                    Scalar.gemm(transposeA: false, transposeB: false, m: b, n: n, k: k, alpha: 1, a: gp, lda: k,
                                b: wp, ldb: n, beta: 0, c: xp, ldc: n)
                }
            }
        }
        return x
    }

    /// W̄ += gᵀ v.
    private func accumulateWeightGradient(_ g: Tensor<Scalar>, _ v: Tensor<Scalar>) {
        let b = g.batchSize
        guard b > 0 else { return }
        let (m, n) = (outputCount, inputCount)
        g.withBase { gp in
            v.withBase { vp in
                weight.gradient.withMutableBase { wp in
                    Scalar.gemm(transposeA: true, transposeB: false, m: m, n: n, k: b, alpha: 1, a: gp, lda: m,
                                b: vp, ldb: n, beta: 1, c: wp, ldc: n)
                }
            }
        }
    }

    /// b̄ += Σ_batch g.
    private func accumulateBiasGradient(_ g: Tensor<Scalar>) {
        guard let bias else { return }
        let b = g.batchSize, n = outputCount
        guard b > 0 else { return }
        g.withBase { gp in
            bias.gradient.withMutableBase { bp in
                for r in 0..<b {
                    let row = gp + r * n
                    for j in 0..<n { bp[j] += row[j] }
                }
            }
        }
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
        let xbar = applyTransposedWeight(outputGradient, shape: input.shape)
        accumulateWeightGradient(outputGradient, input)
        accumulateBiasGradient(outputGradient)
        return xbar
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
        let xbar = applyTransposedWeight(outputGradient, shape: input.shape)
        let xdotbar = applyTransposedWeight(tangentGradient, shape: input.shape)
        accumulateWeightGradient(outputGradient, input)
        accumulateWeightGradient(tangentGradient, inputTangent)
        accumulateBiasGradient(outputGradient)
        return (xbar, xdotbar)
    }
}

/// The four passes of a (multi-channel, strided, padded) correlation `y = W ⋆ x + b`, shared by
/// ``Conv2D``, ``Conv1D`` and ``Downsample``. The layer maps its input to `[B, C, H, W]`
/// (1-D: `H = 1`) and its output back; this object owns the engine and the caches.
///
/// The map is linear in x, so: tangent ẏ = W ⋆ ẋ (no bias); reverse x̄ = Wᵀ ⋆ ȳ (the adjoint
/// correlation, including the adjoints of stride and padding); tangent reverse x̄ = Wᵀ ⋆ ȳ,
/// ẋ̄ = Wᵀ ⋆ ẏ̄, W̄ += ∂⟨ȳ, W ⋆ x⟩/∂W + ∂⟨ẏ̄, W ⋆ ẋ⟩/∂W, b̄ += Σ ȳ.
final class CorrelationPasses<Scalar: NNScalar> {
    let layerName: String
    let weight: Parameter<Scalar>
    let bias: Parameter<Scalar>?
    let engine: ConvEngine<Scalar>
    /// False for fixed linear maps (``Downsample``) whose kernel is not a parameter.
    let accumulatesParameterGradients: Bool
    private var input = Tensor<Scalar>(shape: [0])
    private var inputTangent = Tensor<Scalar>(shape: [0])
    private var outputShape: [Int] = []
    /// See ``Conv2D/computesInputGradient``.
    var computesInputGradient = true

    init(layerName: String, weight: Parameter<Scalar>, bias: Parameter<Scalar>?, geometry: ConvGeometry, outChannels: Int,
         accumulatesParameterGradients: Bool = true) {
        self.layerName = layerName
        self.accumulatesParameterGradients = accumulatesParameterGradients
        self.weight = weight
        self.bias = bias
        self.engine = ConvEngine(geometry: geometry, outChannels: outChannels)
    }

    /// Forward at `x` (any shape whose samples are `C·H·W`), producing `outputShape`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(_ x: Tensor<Scalar>, height: Int, width: Int, outputShape: [Int]) -> Tensor<Scalar> {
        engine.setInput(height: height, width: width)
        precondition(x.sampleCount == engine.geometry.inputSample,
                     "\(layerName): input \(x.shape) does not have \(engine.geometry.channels) channels")
        input = x
        self.outputShape = outputShape
        return apply(x, withBias: true)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func apply(_ x: Tensor<Scalar>, withBias: Bool) -> Tensor<Scalar> {
        // The engine writes every element (bias fill + GEMM with β = 1, or GEMM with β = 0).
        var y = Tensor<Scalar>(uninitializedShape: outputShape)
        let b = withBias ? bias : nil
        x.storage.withUnsafeBufferPointer { xp in
            weight.value.storage.withUnsafeBufferPointer { wp in
                y.storage.withUnsafeMutableBufferPointer { yp in
                    if let b {
                        b.value.storage.withUnsafeBufferPointer { bp in
                            engine.forward(xp.baseAddress!, batch: x.batchSize, weight: wp.baseAddress!,
                                           bias: bp.baseAddress!, output: yp.baseAddress!)
                        }
                    } else {
                        engine.forward(xp.baseAddress!, batch: x.batchSize, weight: wp.baseAddress!,
                                       bias: nil, output: yp.baseAddress!)
                    }
                }
            }
        }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(_ ybar: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(ybar.shape == outputShape, "\(layerName).backward: gradient \(ybar.shape) does not match output \(outputShape)")
        return reverse(ybar, nil).input
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func tangent(_ xdot: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(xdot.shape == input.shape, "\(layerName).tangent: direction \(xdot.shape) does not match input \(input.shape)")
        inputTangent = xdot
        return apply(xdot, withBias: false)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func tangentBackward(_ ybar: Tensor<Scalar>, _ ydotbar: Tensor<Scalar>) -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        precondition(ybar.shape == outputShape && ydotbar.shape == outputShape,
                     "\(layerName).tangentBackward: gradients \(ybar.shape), \(ydotbar.shape) do not match output \(outputShape)")
        precondition(inputTangent.shape == input.shape, "\(layerName).tangentBackward called before tangent")
        let r = reverse(ybar, ydotbar)
        return (r.input, r.tangent)
    }

    /// x̄ = Wᵀ⋆ȳ, W̄ += grad(ȳ, x), b̄ += Σȳ; with ẏ̄ also ẋ̄ = Wᵀ⋆ẏ̄ and W̄ += grad(ẏ̄, ẋ).
    /// Parameter gradients are accumulated only when `accumulatesParameterGradients`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func reverse(_ ybar: Tensor<Scalar>, _ ydotbar: Tensor<Scalar>?) -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        var xbar = Tensor<Scalar>(shape: input.shape)
        var xdotbar = Tensor<Scalar>(shape: ydotbar == nil ? [0] : input.shape)
        let yd = ydotbar ?? Tensor<Scalar>(shape: [0])
        let xd = ydotbar == nil ? Tensor<Scalar>(shape: [0]) : inputTangent
        let grads = accumulatesParameterGradients
        let batch = input.batchSize
        // backward() of a layer whose input is data: x̄ is not wanted (returned as zeros).
        let wantsInput = computesInputGradient || ydotbar != nil
        ybar.storage.withUnsafeBufferPointer { yb in
        yd.storage.withUnsafeBufferPointer { ydb in
        input.storage.withUnsafeBufferPointer { xp in
        xd.storage.withUnsafeBufferPointer { xdp in
        xbar.storage.withUnsafeMutableBufferPointer { xb in
        xdotbar.storage.withUnsafeMutableBufferPointer { xdbp in
        weight.value.storage.withUnsafeBufferPointer { wp in
        weight.gradient.storage.withUnsafeMutableBufferPointer { wg in
            var ins = wantsInput ? [(outputGradient: yb.baseAddress!, inputGradient: xb.baseAddress!)] : []
            var ws = [(outputGradient: yb.baseAddress!, input: xp.baseAddress!, includesBias: true)]
            if ydotbar != nil {
                ins.append((ydb.baseAddress!, xdbp.baseAddress!))
                ws.append((ydb.baseAddress!, xdp.baseAddress!, false))
            }
            func run(_ bg: UnsafeMutablePointer<Scalar>?) {
                engine.backward(batch: batch, weight: wp.baseAddress!, inputGradients: ins,
                                weightGradients: grads ? ws : [], weightGradient: grads ? wg.baseAddress! : nil,
                                biasGradient: bg)
            }
            if let bias, grads {
                bias.gradient.storage.withUnsafeMutableBufferPointer { run($0.baseAddress!) }
            } else {
                run(nil)
            }
        }}}}}}}}
        return (xbar, xdotbar)
    }
}

/// Resolves the symmetric padding of a kernel of size `k` (odd for `.same`).
func convolutionPad(_ padding: ConvPadding, kernel k: Int) -> Int {
    padding == .same ? k / 2 : 0
}

/// A 2-D convolution layer (cross-correlation, as PyTorch's `nn.Conv2d`):
/// `y[n, o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x̃[n, c, s·i + u − p, s·j + v − p]`,
/// where x̃ is x extended by ``PaddingMode`` and `p` is `k/2` for ``ConvPadding/same`` and 0 for
/// ``ConvPadding/valid``.
///
/// Layouts (PyTorch's): input `[B, C_in, H, W]`, output `[B, C_out, Ho, Wo]`, weight
/// `[C_out, C_in, k, k]`, bias `[C_out]`. Output extent: ⌊(H + 2p − k)/s⌋ + 1, i.e. ⌈H/s⌉ for
/// "same" (128 → 64 at k = 3, s = 2) and ⌊(H − k)/s⌋ + 1 for "valid". Weights start at zero:
/// initialise them (nn-train's initialisers, or by assigning `weight.value`).
///
/// Implementation: im2col + GEMM per sample, samples split over the compute threads (see
/// docs/nn-kit.md, "Convolutions").
public final class Conv2D<Scalar: NNScalar>: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: ConvPadding
    public let paddingMode: PaddingMode
    /// `[C_out, C_in, k, k]`.
    public let weight: Parameter<Scalar>
    /// `[C_out]`, or nil without bias.
    public let bias: Parameter<Scalar>?
    let passes: CorrelationPasses<Scalar>

    /// When false, ``backward(_:)`` skips the input gradient and returns zeros for it — for a first
    /// layer whose input is data (PyTorch's `requires_grad=False` input), which saves the transposed
    /// correlation. Parameter gradients, ``tangent(_:)`` and ``tangentBackward(_:_:)`` are
    /// unaffected (the second-order path always computes x̄). Default true.
    public var computesInputGradient: Bool {
        get { passes.computesInputGradient }
        set { passes.computesInputGradient = newValue }
    }

    /// - Throws: ``NNError`` for non-positive sizes, a stride other than 1 or 2, or "same" with an even kernel.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: ConvPadding = .same, paddingMode: PaddingMode = .zero, bias: Bool = true) throws {
        try validateConvolution("Conv2D", inChannels: inChannels, outChannels: outChannels,
                                kernelSize: kernelSize, stride: stride, padding: padding)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.paddingMode = paddingMode
        let w = Parameter<Scalar>(name: "weight", value: Tensor(shape: [outChannels, inChannels, kernelSize, kernelSize]))
        let b = bias ? Parameter<Scalar>(name: "bias", value: Tensor(shape: [outChannels])) : nil
        weight = w
        self.bias = b
        let p = convolutionPad(padding, kernel: kernelSize)
        let g = ConvGeometry(channels: inChannels, height: 0, width: 0, kernelHeight: kernelSize, kernelWidth: kernelSize,
                             stride: stride, padHeight: p, padWidth: p, mode: paddingMode)
        passes = CorrelationPasses(layerName: "Conv2D", weight: w, bias: b, geometry: g, outChannels: outChannels)
    }

    public var parameters: [Parameter<Scalar>] { bias.map { [weight, $0] } ?? [weight] }

    public var descriptor: LayerDescriptor {
        LayerDescriptor(kind: "conv2d", attributes: [
            "in_channels": .int(inChannels), "out_channels": .int(outChannels), "kernel_size": .int(kernelSize),
            "stride": .int(stride), "padding": .string(padding.rawValue), "padding_mode": .string(paddingMode.rawValue),
            "bias": .bool(bias != nil)])
    }

    private func geometry(for shape: [Int]) throws -> ConvGeometry {
        guard shape.count == 4, shape[1] == inChannels else {
            throw NNError("Conv2D: input shape \(shape) is not [B, \(inChannels), H, W]")
        }
        var g = passes.engine.geometry
        g.height = shape[2]
        g.width = shape[3]
        try g.validate(layer: "Conv2D")
        return g
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        let g = try geometry(for: inputShape)
        return [inputShape[0], outChannels, g.outputHeight, g.outputWidth]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let out: [Int]
        do { out = try outputShape(for: x.shape) } catch { preconditionFailure("\(error)") }
        return passes.forward(x, height: x.shape[2], width: x.shape[3], outputShape: out)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> { passes.backward(outputGradient) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> { passes.tangent(inputTangent) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        passes.tangentBackward(outputGradient, tangentGradient)
    }
}

/// The hyper-parameter checks shared by ``Conv2D`` and ``Conv1D``.
func validateConvolution(_ layer: String, inChannels: Int, outChannels: Int, kernelSize: Int,
                         stride: Int, padding: ConvPadding) throws {
    guard inChannels > 0, outChannels > 0, kernelSize > 0 else {
        throw NNError("\(layer): channels and kernel size must be positive (got in \(inChannels), out \(outChannels), k \(kernelSize))")
    }
    guard stride == 1 || stride == 2 else { throw NNError("\(layer): stride must be 1 or 2, got \(stride)") }
    guard padding == .valid || kernelSize % 2 == 1 else {
        throw NNError("\(layer): \"same\" padding needs an odd kernel size, got \(kernelSize)")
    }
}

/// A 1-D convolution layer (cross-correlation, as PyTorch's `nn.Conv1d`):
/// `y[n, o, i] = b[o] + Σ_{c,u} W[o, c, u] · x̃[n, c, s·i + u − p]`, with the same padding rules as
/// ``Conv2D``. Periodic padding is PyTorch's `padding_mode="circular"` (the PDE corrector's
/// 1-D periodic fields). Layouts: input `[B, C_in, L]`, output `[B, C_out, Lo]`, weight
/// `[C_out, C_in, k]`, bias `[C_out]`. Weights start at zero.
public final class Conv1D<Scalar: NNScalar>: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: ConvPadding
    public let paddingMode: PaddingMode
    /// `[C_out, C_in, k]`.
    public let weight: Parameter<Scalar>
    /// `[C_out]`, or nil without bias.
    public let bias: Parameter<Scalar>?
    let passes: CorrelationPasses<Scalar>

    /// When false, ``backward(_:)`` skips the input gradient and returns zeros for it — for a first
    /// layer whose input is data (PyTorch's `requires_grad=False` input), which saves the transposed
    /// correlation. Parameter gradients, ``tangent(_:)`` and ``tangentBackward(_:_:)`` are
    /// unaffected (the second-order path always computes x̄). Default true.
    public var computesInputGradient: Bool {
        get { passes.computesInputGradient }
        set { passes.computesInputGradient = newValue }
    }

    /// - Throws: ``NNError`` for non-positive sizes, a stride other than 1 or 2, or "same" with an even kernel.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: ConvPadding = .same, paddingMode: PaddingMode = .periodic, bias: Bool = true) throws {
        try validateConvolution("Conv1D", inChannels: inChannels, outChannels: outChannels,
                                kernelSize: kernelSize, stride: stride, padding: padding)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.paddingMode = paddingMode
        let w = Parameter<Scalar>(name: "weight", value: Tensor(shape: [outChannels, inChannels, kernelSize]))
        let b = bias ? Parameter<Scalar>(name: "bias", value: Tensor(shape: [outChannels])) : nil
        weight = w
        self.bias = b
        let g = ConvGeometry(channels: inChannels, height: 1, width: 0, kernelHeight: 1, kernelWidth: kernelSize,
                             stride: stride, padHeight: 0, padWidth: convolutionPad(padding, kernel: kernelSize), mode: paddingMode)
        passes = CorrelationPasses(layerName: "Conv1D", weight: w, bias: b, geometry: g, outChannels: outChannels)
    }

    public var parameters: [Parameter<Scalar>] { bias.map { [weight, $0] } ?? [weight] }

    public var descriptor: LayerDescriptor {
        LayerDescriptor(kind: "conv1d", attributes: [
            "in_channels": .int(inChannels), "out_channels": .int(outChannels), "kernel_size": .int(kernelSize),
            "stride": .int(stride), "padding": .string(padding.rawValue), "padding_mode": .string(paddingMode.rawValue),
            "bias": .bool(bias != nil)])
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[1] == inChannels else {
            throw NNError("Conv1D: input shape \(inputShape) is not [B, \(inChannels), L]")
        }
        var g = passes.engine.geometry
        g.width = inputShape[2]
        try g.validate(layer: "Conv1D")
        return [inputShape[0], outChannels, g.outputWidth]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let out: [Int]
        do { out = try outputShape(for: x.shape) } catch { preconditionFailure("\(error)") }
        return passes.forward(x, height: 1, width: x.shape[2], outputShape: out)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> { passes.backward(outputGradient) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> { passes.tangent(inputTangent) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        passes.tangentBackward(outputGradient, tangentGradient)
    }
}

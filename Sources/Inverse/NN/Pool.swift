/// A fixed linear downsampling layer: every channel is filtered by the same separable kernel
/// `t ⊗ t` (1-D: `t`) and subsampled by `factor`,
/// `y[n, c, i, j] = Σ_{u,v} t[u] t[v] · x̃[n, c, f·i + u − p, f·j + v − p]`,
/// with the padding rules of ``Conv2D``. Average pooling is the box filter with `valid` padding
/// (``averagePool(kernelSize:stride:dimensions:)``). No parameters: the reverse pass is the exact
/// adjoint (zero-filling upsampling followed by the flipped filter, padding adjoint included).
///
/// Layouts: `[B, C, H, W]` (dimensions 2) or `[B, C, L]` (dimensions 1); channels are independent.
public final class Downsample<Scalar: NNScalar>: Layer {
    /// The 1-D taps of the separable filter.
    public enum Filter: String, Sendable, Codable, CaseIterable {
        /// 1/k each (average).
        case box
        /// Binomial(k − 1, j) / 2^(k−1) (k = 3: [1, 2, 1]/4).
        case binomial
    }

    public let filter: Filter
    public let kernelSize: Int
    public let factor: Int
    public let padding: ConvPadding
    public let paddingMode: PaddingMode
    /// 1 (`[B, C, L]`) or 2 (`[B, C, H, W]`).
    public let dimensions: Int
    let passes: CorrelationPasses<Scalar>
    private var inputShape: [Int] = []
    private var outShape: [Int] = []

    /// - Throws: ``NNError`` for non-positive sizes, dimensions other than 1 or 2, or "same" with an even kernel.
    public init(filter: Filter, kernelSize: Int, factor: Int, padding: ConvPadding = .valid,
                paddingMode: PaddingMode = .zero, dimensions: Int = 2) throws {
        guard kernelSize > 0, factor > 0 else {
            throw NNError("Downsample: kernel size and factor must be positive (got \(kernelSize), \(factor))")
        }
        guard dimensions == 1 || dimensions == 2 else { throw NNError("Downsample: dimensions must be 1 or 2, got \(dimensions)") }
        guard padding == .valid || kernelSize % 2 == 1 else {
            throw NNError("Downsample: \"same\" padding needs an odd kernel size, got \(kernelSize)")
        }
        self.filter = filter
        self.kernelSize = kernelSize
        self.factor = factor
        self.padding = padding
        self.paddingMode = paddingMode
        self.dimensions = dimensions
        let taps = Self.taps(filter, kernelSize)
        let p = convolutionPad(padding, kernel: kernelSize)
        let weight: Tensor<Scalar>
        if dimensions == 2 {
            weight = Tensor(shape: [1, 1, kernelSize, kernelSize], storage: taps.flatMap { a in taps.map { Scalar(a * $0) } })
        } else {
            weight = Tensor(shape: [1, 1, 1, kernelSize], storage: taps.map { Scalar($0) })
        }
        let g = ConvGeometry(channels: 1, height: 1, width: 0, kernelHeight: dimensions == 2 ? kernelSize : 1,
                             kernelWidth: kernelSize, stride: factor, padHeight: dimensions == 2 ? p : 0, padWidth: p,
                             mode: paddingMode)
        passes = CorrelationPasses(layerName: "Downsample", weight: Parameter(name: "filter", value: weight, isTrainable: false),
                                   bias: nil, geometry: g, outChannels: 1, accumulatesParameterGradients: false)
    }

    /// Average pooling over `kernelSize`-wide windows (2-D: `kernelSize × kernelSize`) every
    /// `stride` samples (default: non-overlapping, stride = kernel size), no padding.
    public static func averagePool(kernelSize: Int = 2, stride: Int? = nil, dimensions: Int = 2) throws -> Downsample {
        try Downsample(filter: .box, kernelSize: kernelSize, factor: stride ?? kernelSize, padding: .valid,
                       paddingMode: .zero, dimensions: dimensions)
    }

    static func taps(_ filter: Filter, _ k: Int) -> [Double] {
        switch filter {
        case .box: return Array(repeating: 1 / Double(k), count: k)
        case .binomial:
            var row = [1.0]
            for _ in 1..<max(k, 1) { row = zip(row + [0], [0] + row).map { $0 + $1 } }
            let s = row.reduce(0, +)
            return row.map { $0 / s }
        }
    }

    public var parameters: [Parameter<Scalar>] { [] }

    public var descriptor: LayerDescriptor {
        LayerDescriptor(kind: "downsample", attributes: [
            "filter": .string(filter.rawValue), "kernel_size": .int(kernelSize), "factor": .int(factor),
            "padding": .string(padding.rawValue), "padding_mode": .string(paddingMode.rawValue),
            "dimensions": .int(dimensions)])
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == dimensions + 2 else {
            throw NNError("Downsample: input shape \(inputShape) is not \(dimensions == 2 ? "[B, C, H, W]" : "[B, C, L]")")
        }
        var g = passes.engine.geometry
        g.height = dimensions == 2 ? inputShape[2] : 1
        g.width = inputShape[dimensions + 1]
        try g.validate(layer: "Downsample")
        return dimensions == 2 ? [inputShape[0], inputShape[1], g.outputHeight, g.outputWidth]
                               : [inputShape[0], inputShape[1], g.outputWidth]
    }

    /// Channels become samples of a one-channel correlation.
    private func internalShape(_ shape: [Int]) -> [Int] {
        [shape[0] * shape[1], 1, dimensions == 2 ? shape[2] : 1, shape[dimensions + 1]]
    }

    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        do { outShape = try outputShape(for: x.shape) } catch { preconditionFailure("\(error)") }
        inputShape = x.shape
        let inner = internalShape(x.shape)
        let y = passes.forward(x.reshaped(inner), height: inner[2], width: inner[3], outputShape: internalShape(outShape))
        return y.reshaped(outShape)
    }

    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(outputGradient.shape == outShape, "Downsample.backward: gradient \(outputGradient.shape) does not match output \(outShape)")
        return passes.backward(outputGradient.reshaped(internalShape(outShape))).reshaped(inputShape)
    }

    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(inputTangent.shape == inputShape, "Downsample.tangent: direction \(inputTangent.shape) does not match input \(inputShape)")
        return passes.tangent(inputTangent.reshaped(internalShape(inputShape))).reshaped(outShape)
    }

    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        let inner = internalShape(outShape)
        let r = passes.tangentBackward(outputGradient.reshaped(inner), tangentGradient.reshaped(inner))
        return (r.input.reshaped(inputShape), r.tangent.reshaped(inputShape))
    }
}

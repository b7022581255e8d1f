/// Reshapes every sample to `sampleShape` (the batch axis is kept): `[B, …] → [B] + sampleShape`,
/// element order unchanged (row-major). ``flatten()`` gives `[B, F]` so convolution features can
/// feed ``Dense``-style layers. All passes are the same reshape (the reverse passes reshape back).
public final class Reshape<Scalar: NNScalar>: Layer {
    /// Target shape of one sample; nil flattens (`[F]`).
    public let sampleShape: [Int]?
    private var inputShape: [Int] = []

    /// - Throws: ``NNError`` when an extent is not positive.
    public init(sampleShape: [Int]) throws {
        guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw NNError("Reshape: sample shape \(sampleShape) must have positive extents")
        }
        self.sampleShape = sampleShape
    }

    private init() { sampleShape = nil }

    /// The flattening layer `[B, …] → [B, F]`.
    public static func flatten() -> Reshape { Reshape() }

    public var parameters: [Parameter<Scalar>] { [] }

    public var descriptor: LayerDescriptor {
        if let sampleShape { return LayerDescriptor(kind: "reshape", attributes: ["shape": .ints(sampleShape)]) }
        return LayerDescriptor(kind: "flatten")
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard let b = inputShape.first else { throw NNError("Reshape: empty input shape") }
        let per = inputShape.dropFirst().reduce(1, *)
        guard let sampleShape else { return [b, per] }
        guard sampleShape.reduce(1, *) == per else {
            throw NNError("Reshape: a sample of \(Array(inputShape.dropFirst())) (\(per) elements) cannot become \(sampleShape)")
        }
        return [b] + sampleShape
    }

    private func out(_ shape: [Int]) -> [Int] {
        do { return try outputShape(for: shape) } catch { preconditionFailure("\(error)") }
    }

    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        inputShape = x.shape
        return x.reshaped(out(x.shape))
    }

    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> { outputGradient.reshaped(inputShape) }

    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> { inputTangent.reshaped(out(inputTangent.shape)) }

    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        (outputGradient.reshaped(inputShape), tangentGradient.reshaped(inputShape))
    }
}

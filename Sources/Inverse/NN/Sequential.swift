/// Layers applied one after another: y = f_n(… f_2(f_1(x))). Itself a ``Layer``: every pass
/// runs the children's passes in order (forward, tangent) or in reverse (backward, tangentBackward).
public final class Sequential<Scalar: NNScalar>: Layer {
    public let layers: [any Layer<Scalar>]

    public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }
    public convenience init(_ layers: any Layer<Scalar>...) { self.init(layers) }

    public var parameters: [Parameter<Scalar>] { layers.flatMap { $0.parameters } }
    public var descriptor: LayerDescriptor { LayerDescriptor(kind: "sequential", children: layers.map { $0.descriptor }) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try layers.reduce(inputShape) { try $1.outputShape(for: $0) }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var y = x
        for layer in layers { y = layer.forward(y) }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        var g = outputGradient
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        var t = inputTangent
        for layer in layers { t = layer.tangent(t) }
        return t
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        var g = (input: outputGradient, tangent: tangentGradient)
        for layer in layers.reversed() { g = layer.tangentBackward(g.input, g.tangent) }
        return g
    }
}

/// A residual block y = x + f(x) (f must keep the shape).
public final class Residual<Scalar: NNScalar>: Layer {
    public let body: any Layer<Scalar>

    public init(_ body: any Layer<Scalar>) { self.body = body }

    public var parameters: [Parameter<Scalar>] { body.parameters }
    public var descriptor: LayerDescriptor { LayerDescriptor(kind: "residual", children: [body.descriptor]) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        let out = try body.outputShape(for: inputShape)
        guard out == inputShape else {
            throw NNError("residual: the body maps \(inputShape) to \(out); a residual block must keep the shape")
        }
        return out
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var y = body.forward(x)
        y.add(x)
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        var g = body.backward(outputGradient)
        g.add(outputGradient)
        return g
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        var t = body.tangent(inputTangent)
        t.add(inputTangent)
        return t
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        var (g, gt) = body.tangentBackward(outputGradient, tangentGradient)
        g.add(outputGradient)
        gt.add(tangentGradient)
        return (g, gt)
    }
}

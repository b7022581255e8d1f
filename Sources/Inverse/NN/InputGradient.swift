/// What ``Layer/accumulateInputGradientLoss(at:outputWeight:gradientLoss:outputLoss:)`` computed.
public struct InputGradientLossResult<Scalar: NNScalar> {
    /// y = F(x).
    public var output: Tensor<Scalar>
    /// g = ∇ₓ⟨w, F(x)⟩.
    public var inputGradient: Tensor<Scalar>
    /// ℓ(g).
    public var gradientLoss: Double
    /// The loss of y (0 without one).
    public var outputLoss: Double
    /// ℓ(g) + loss of y.
    public var value: Double { gradientLoss + outputLoss }
}

extension Layer {
    /// Saves the parameter gradients, runs `body`, restores them (the copy happens only if `body`
    /// writes, by copy-on-write).
    private func preservingParameterGradients<R>(_ body: () -> R) -> R {
        let params = parameters
        let saved = params.map { $0.gradient }
        let result = body()
        for (p, g) in zip(params, saved) { p.gradient = g }
        return result
    }

    /// y = F(x) and g = ∇ₓ⟨w, F(x)⟩ (forward + backward with ȳ = w; w = ones when nil), e.g. the LPN
    /// output f = ∇ψ. Parameter gradients are left as they were. Leaves the layer at point x.
    public func inputGradient(at x: Tensor<Scalar>, outputWeight w: Tensor<Scalar>? = nil)
        -> (output: Tensor<Scalar>, gradient: Tensor<Scalar>) {
        let y = forward(x)
        let weight = w ?? .ones(shape: y.shape)
        let g = preservingParameterGradients { backward(weight) }
        return (y, g)
    }

    /// ∇ₓ⟨v, g(x)⟩ = (Dg)ᵀ v for g = ∇ₓ⟨w, F⟩: the product of v with the Hessian of ⟨w, F⟩
    /// (symmetric), by forward, tangent(v) and tangentBackward(0, w). Parameter gradients are left
    /// as they were.
    public func inputHessianProduct(at x: Tensor<Scalar>, direction v: Tensor<Scalar>,
                                    outputWeight w: Tensor<Scalar>? = nil) -> Tensor<Scalar> {
        let y = forward(x)
        let weight = w ?? .ones(shape: y.shape)
        _ = tangent(v)
        return preservingParameterGradients { tangentBackward(Tensor(shape: y.shape), weight).input }
    }

    /// Second-order training step ("double backprop"): with g = ∇ₓ⟨w, F(x; θ)⟩ (w = ones when nil),
    /// **accumulates** ∇_θ[ℓ(g) + ℓ_y(F(x))] into the parameter gradients and returns the values.
    ///
    /// `gradientLoss(g)` returns ℓ(g) and v = ∂ℓ/∂g; the optional `outputLoss(y)` returns ℓ_y and
    /// ∂ℓ_y/∂y. Because ∇_θ ℓ(g) = ∇_θ⟨v, g⟩ = ∇_θ⟨w, J_x v⟩, the passes are: forward(x),
    /// backward(w) for g (its parameter gradients are discarded), tangent(v), and
    /// tangentBackward(∂ℓ_y/∂y or 0, w).
    @discardableResult
    public func accumulateInputGradientLoss(
        at x: Tensor<Scalar>, outputWeight w: Tensor<Scalar>? = nil,
        gradientLoss: (Tensor<Scalar>) -> (value: Double, gradient: Tensor<Scalar>),
        outputLoss: ((Tensor<Scalar>) -> (value: Double, gradient: Tensor<Scalar>))? = nil
    ) -> InputGradientLossResult<Scalar> {
        let (y, g) = inputGradient(at: x, outputWeight: w)
        let weight = w ?? .ones(shape: y.shape)
        let (lg, v) = gradientLoss(g)
        precondition(v.count == x.count, "accumulateInputGradientLoss: ∂ℓ/∂g has \(v.count) elements, the input \(x.count)")
        var ly = 0.0
        var ybar = Tensor<Scalar>(shape: y.shape)
        if let outputLoss {
            let r = outputLoss(y)
            precondition(r.gradient.count == y.count, "accumulateInputGradientLoss: ∂ℓ/∂y has \(r.gradient.count) elements, the output \(y.count)")
            ly = r.value
            ybar = r.gradient
        }
        _ = tangent(v)
        _ = tangentBackward(ybar, weight)
        return InputGradientLossResult(output: y, inputGradient: g, gradientLoss: lg, outputLoss: ly)
    }
}

import Imaging

/// An input-convex MLP (Amos et al. 2017; the potential ψ of a learned proximal network, LPN §1.2(a)):
///
///     z₁      = s(A₀x [+ b₀])
///     z_{k+1} = s(W_k z_k + U_k x + c_k),     k = 1 … depth
///     ψ(x)    = wᵀz_{depth+1} + uᵀx + c₀ + α‖x‖²
///
/// with W_k ≥ 0 and w ≥ 0 (``Parameter/Constraint/nonNegative``, projected by optimisers after
/// every step) and s convex and non-decreasing (softplus, ReLU, LeakyReLU with slope in [0, 1]),
/// so ψ is convex in x. The skip ("passthrough") weights A₀, U_k, u and the biases are free. The
/// α term follows the reference code (α‖x‖², gradient 2αx).
///
/// It is a ``Layer`` with input `[B, d]` (any shape with d elements per sample) and output `[B, 1]`,
/// so all four passes are available: the LPN output f = ∇ψ is ``Layer/inputGradient(at:outputWeight:)``
/// and the parameter gradient of a loss of f is ``Layer/accumulateInputGradientLoss(at:outputWeight:gradientLoss:outputLoss:)``.
///
/// Parameters, in order: `A0.weight` [H, d] (`A0.bias` [H] if `firstBias`), then for k = 1 … depth
/// `W{k}.weight` [H, H] and `U{k}.weight` [H, d], `U{k}.bias` [H]; then `w.weight` [1, H], `u.weight` [1, d], `u.bias` [1].
public final class InputConvexNetwork<Scalar: NNScalar>: Layer {
    public let inputCount: Int
    public let hiddenCount: Int
    /// Number of hidden-to-hidden layers W_k (L in LPN's notation).
    public let depth: Int
    public let activation: ActivationKind
    /// α of the α‖x‖² term.
    public let strongConvexity: Double
    public let first: Dense<Scalar>
    public let hidden: [Dense<Scalar>]
    public let skips: [Dense<Scalar>]
    public let output: Dense<Scalar>
    public let outputSkip: Dense<Scalar>
    private let activations: [any Layer<Scalar>]
    private var input = Tensor<Scalar>(shape: [0])
    private var inputTangent = Tensor<Scalar>(shape: [0])

    /// A network initialised like PyTorch's `nn.Linear` (all layers, drawn from `rng` in parameter
    /// order), after which the constrained weights are projected onto ≥ 0 (as LPN's first clamp).
    public init(inputCount: Int, hiddenCount: Int, depth: Int, activation: ActivationKind,
                strongConvexity: Double = 0, firstBias: Bool = false, rng: inout RandomSource) throws {
        guard inputCount > 0, hiddenCount > 0, depth >= 0 else {
            throw NNError("icnn: sizes must be positive (inputCount \(inputCount), hiddenCount \(hiddenCount), depth \(depth))")
        }
        guard activation.isConvexNonDecreasing else {
            throw NNError("icnn: activation \(activation) is not convex and non-decreasing (use softplus, relu or leakyReLU with slope in [0, 1])")
        }
        guard strongConvexity >= 0, strongConvexity.isFinite else {
            throw NNError("icnn: strongConvexity must be ≥ 0 and finite (got \(strongConvexity))")
        }
        self.inputCount = inputCount
        self.hiddenCount = hiddenCount
        self.depth = depth
        self.activation = activation
        self.strongConvexity = strongConvexity
        first = Dense(inputCount: inputCount, outputCount: hiddenCount, bias: firstBias, name: "A0", rng: &rng)
        var hidden: [Dense<Scalar>] = [], skips: [Dense<Scalar>] = []
        for k in stride(from: 1, through: depth, by: 1) {
            hidden.append(Dense(inputCount: hiddenCount, outputCount: hiddenCount, bias: false,
                                weightConstraint: .nonNegative, name: "W\(k)", rng: &rng))
            skips.append(Dense(inputCount: inputCount, outputCount: hiddenCount, name: "U\(k)", rng: &rng))
        }
        self.hidden = hidden
        self.skips = skips
        output = Dense(inputCount: hiddenCount, outputCount: 1, bias: false, weightConstraint: .nonNegative, name: "w", rng: &rng)
        outputSkip = Dense(inputCount: inputCount, outputCount: 1, name: "u", rng: &rng)
        activations = (0...depth).map { _ in activation.makeLayer(Scalar.self) }
        projectParameters()
    }

    /// The architecture `descriptor` records (kind "icnn"; attributes inputCount, hiddenCount, depth,
    /// strongConvexity, firstBias; children[0] the activation), with placeholder weights that model
    /// files then overwrite.
    public convenience init(descriptor d: LayerDescriptor) throws {
        guard d.kind == "icnn" else { throw NNError("icnn: descriptor kind is '\(d.kind)'") }
        func int(_ key: String) throws -> Int {
            guard case .int(let v)? = d.attributes[key] else { throw NNError("icnn: attribute '\(key)' is missing or not an integer") }
            return v
        }
        var alpha = 0.0
        switch d.attributes["strongConvexity"] {
        case .double(let v)?: alpha = v
        case .int(let v)?: alpha = Double(v)
        case nil: break
        default: throw NNError("icnn: attribute 'strongConvexity' must be a number")
        }
        var firstBias = false
        if let v = d.attributes["firstBias"] {
            guard case .bool(let b) = v else { throw NNError("icnn: attribute 'firstBias' must be a boolean") }
            firstBias = b
        }
        guard d.children.count == 1 else { throw NNError("icnn: the descriptor needs exactly one child (the activation)") }
        var rng = RandomSource(seed: 0)
        try self.init(inputCount: try int("inputCount"), hiddenCount: try int("hiddenCount"), depth: try int("depth"),
                      activation: try ActivationKind(descriptor: d.children[0]), strongConvexity: alpha,
                      firstBias: firstBias, rng: &rng)
    }

    public var parameters: [Parameter<Scalar>] {
        var p = first.parameters
        for k in 0..<depth { p += hidden[k].parameters + skips[k].parameters }
        return p + output.parameters + outputSkip.parameters
    }

    public var descriptor: LayerDescriptor {
        LayerDescriptor(kind: "icnn", attributes: [
            "inputCount": .int(inputCount), "hiddenCount": .int(hiddenCount), "depth": .int(depth),
            "strongConvexity": .double(strongConvexity), "firstBias": .bool(first.bias != nil),
        ], children: [activation.descriptor])
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count >= 2, inputShape.dropFirst().reduce(1, *) == inputCount else {
            throw NNError("icnn: input shape \(inputShape) does not have \(inputCount) elements per sample")
        }
        return [inputShape[0], 1]
    }

    /// ψ_b += α‖x_b‖² (forward), or ψ̇_b += 2α⟨x_b, ẋ_b⟩ (tangent).
    private func addQuadratic(_ psi: inout Tensor<Scalar>, _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, factor: Scalar) {
        let per = inputCount
        guard strongConvexity != 0, psi.count > 0 else { return }
        let alpha = Scalar(strongConvexity) * factor
        a.withBase { ap in
            b.withBase { bp in
                for s in 0..<psi.count {
                    var d: Scalar = 0
                    for i in (s * per)..<((s + 1) * per) { d += ap[i] * bp[i] }
                    psi[s] += alpha * d
                }
            }
        }
    }

    /// g_b += 2α c_b v_b for the α-term adjoints.
    private func addQuadraticAdjoint(_ g: inout Tensor<Scalar>, _ c: Tensor<Scalar>, _ v: Tensor<Scalar>) {
        let per = inputCount
        guard strongConvexity != 0, g.count > 0 else { return }
        let twoAlpha = 2 * Scalar(strongConvexity)
        v.withBase { vp in
            g.withMutableBase { gp in
                for s in 0..<c.count {
                    let w = twoAlpha * c[s]
                    for i in (s * per)..<((s + 1) * per) { gp[i] += w * vp[i] }
                }
            }
        }
    }

    /// The layer sweep shared by forward and tangent: `pass` is each child's forward or tangent,
    /// `v` the network input or its tangent (fed to A₀, every U_k and u).
    private func sweep(_ v: Tensor<Scalar>, _ pass: (any Layer<Scalar>, Tensor<Scalar>) -> Tensor<Scalar>) -> Tensor<Scalar> {
        var z = pass(activations[0], pass(first, v))
        for k in 0..<depth {
            var a = pass(hidden[k], z)
            a.add(pass(skips[k], v))
            z = pass(activations[k + 1], a)
        }
        var psi = pass(output, z)
        psi.add(pass(outputSkip, v))
        return psi
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        input = x
        var psi = sweep(x) { $0.forward($1) }
        addQuadratic(&psi, x, x, factor: 1)
        return psi
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        var xbar = outputSkip.backward(outputGradient)
        addQuadraticAdjoint(&xbar, outputGradient, input)
        var zbar = output.backward(outputGradient)
        for k in stride(from: depth - 1, through: 0, by: -1) {
            let abar = activations[k + 1].backward(zbar)
            xbar.add(skips[k].backward(abar))
            zbar = hidden[k].backward(abar)
        }
        xbar.add(first.backward(activations[0].backward(zbar)))
        return xbar
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        self.inputTangent = inputTangent
        var psidot = sweep(inputTangent) { $0.tangent($1) }
        addQuadratic(&psidot, input, inputTangent, factor: 2)
        return psidot
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        var (xbar, xdotbar) = outputSkip.tangentBackward(outputGradient, tangentGradient)
        // ψ ∋ α‖x‖², ψ̇ ∋ 2α⟨x, ẋ⟩: x̄ += 2α(ȳ x + ẏ̄ ẋ), ẋ̄ += 2α ẏ̄ x.
        addQuadraticAdjoint(&xbar, outputGradient, input)
        addQuadraticAdjoint(&xbar, tangentGradient, inputTangent)
        addQuadraticAdjoint(&xdotbar, tangentGradient, input)
        var (zbar, zdotbar) = output.tangentBackward(outputGradient, tangentGradient)
        for k in stride(from: depth - 1, through: 0, by: -1) {
            let (abar, adotbar) = activations[k + 1].tangentBackward(zbar, zdotbar)
            let (sx, sxd) = skips[k].tangentBackward(abar, adotbar)
            xbar.add(sx)
            xdotbar.add(sxd)
            (zbar, zdotbar) = hidden[k].tangentBackward(abar, adotbar)
        }
        let (abar, adotbar) = activations[0].tangentBackward(zbar, zdotbar)
        let (fx, fxd) = first.tangentBackward(abar, adotbar)
        xbar.add(fx)
        xdotbar.add(fxd)
        return (xbar, xdotbar)
    }
}

/// One trainable tensor of a layer with its gradient accumulator.
///
/// A reference type: optimisers, archives and the layer that owns it see the same storage.
/// Gradients **accumulate** (`+=`) in every reverse pass; call ``Layer/zeroGradients()`` (or
/// ``Parameter/zeroGradient()``) before each step.
public final class Parameter<Scalar: NNScalar> {
    /// How an optimiser step must treat the parameter afterwards.
    public enum Constraint: String, Sendable, Codable {
        /// Free.
        case none
        /// Projected onto ≥ 0 after every optimiser step (LPN's hidden-to-hidden and output weights).
        case nonNegative
    }

    /// Name within its layer ("weight", "bias", "frequencies" …); unique per layer.
    public let name: String
    /// The values.
    public var value: Tensor<Scalar>
    /// ∂loss/∂value accumulated by reverse passes; same shape as `value`.
    public var gradient: Tensor<Scalar>
    /// Post-step projection.
    public var constraint: Constraint
    /// False for tensors that are saved with the model but never trained (fixed Fourier frequencies).
    public var isTrainable: Bool

    public init(name: String, value: Tensor<Scalar>, constraint: Constraint = .none, isTrainable: Bool = true) {
        self.name = name
        self.value = value
        self.gradient = Tensor(shape: value.shape)
        self.constraint = constraint
        self.isTrainable = isTrainable
    }

    /// Sets the gradient to zero.
    public func zeroGradient() { gradient.zero() }

    /// Applies ``constraint`` to `value` (called by optimisers after each step).
    public func project() {
        switch constraint {
        case .none: break
        case .nonNegative:
            value.storage.withUnsafeMutableBufferPointer { p in
                for i in p.indices where p[i] < 0 { p[i] = 0 }
            }
        }
    }
}

/// A self-describing record of a layer's architecture: enough to rebuild it (without its
/// parameter values) from a model file. `kind` names the layer type ("dense", "conv2d",
/// "softplus", "sequential" …); `attributes` its hyper-parameters; `children` nested layers in order.
public struct LayerDescriptor: Sendable, Equatable, Codable {
    /// A hyper-parameter value.
    public enum Value: Sendable, Equatable, Codable {
        case int(Int)
        case double(Double)
        case string(String)
        case ints([Int])
        case bool(Bool)
    }

    public var kind: String
    public var attributes: [String: Value]
    public var children: [LayerDescriptor]

    public init(kind: String, attributes: [String: Value] = [:], children: [LayerDescriptor] = []) {
        self.kind = kind
        self.attributes = attributes
        self.children = children
    }
}

/// A differentiable layer of the NN kit: forward, reverse mode, forward mode along an input
/// direction, and the reverse of the forward-mode pass (the second-order path).
///
/// ## Passes and what they cache
/// A layer is a stateful object that remembers the last point it was evaluated at:
/// 1. ``forward(_:)`` computes `y = F(x; θ)` and caches what later passes need (at least `x`).
/// 2. ``backward(_:)`` (reverse mode, VJP) takes `ȳ = ∂L/∂y` at the cached point and returns
///    `x̄ = J_xᵀ ȳ`, **accumulating** `θ̄ += J_θᵀ ȳ` into the parameters' gradients.
/// 3. ``tangent(_:)`` (forward mode, JVP) takes an input direction `ẋ` and returns
///    `ẏ = J_x ẋ` at the cached point, caching `ẋ` (and what its reverse needs, e.g. `ȧ`).
/// 4. ``tangentBackward(_:_:)`` is the reverse mode of the pair map
///    `(x, ẋ) ↦ (y, ẏ) = (F(x; θ), J_x(x; θ) ẋ)`: given `(ȳ, ẏ̄)` it returns
///    `(x̄, ẋ̄)` with `x̄ = J_xᵀ ȳ + (∂(J_x ẋ)/∂x)ᵀ ẏ̄` and `ẋ̄ = J_xᵀ ẏ̄`, and accumulates
///    `θ̄ += J_θᵀ ȳ + (∂(J_x ẋ)/∂θ)ᵀ ẏ̄`.
///
/// Pass 4 is what second-order training needs. For a loss `ℓ(g)` of an input gradient
/// `g = ∇ₓ⟨w, F(x; θ)⟩` (LPN: `w = 1`, `F = ψ`; shape fields: `w = 1`, `F` = logit), with
/// `v = ∂ℓ/∂g`: `∇_θ ℓ = ∇_θ⟨v, g⟩ = ∇_θ⟨w, J_x v⟩`, i.e. run ``forward(_:)``, then
/// ``tangent(_:)`` with `ẋ = v`, then ``tangentBackward(_:_:)`` with `ȳ = 0` (or `∂ℓ/∂y` if the
/// loss also depends on `y`) and `ẏ̄ = w`. Mathematically this is forward-over-reverse; written as
/// "tangent pass + its reverse" every layer needs only its first and second derivatives.
///
/// Each pass must be called after the one it depends on, at the same point: `backward` and
/// `tangent` after `forward`; `tangentBackward` after `tangent`. Layers are not thread-safe (they
/// hold caches); parallelism lives inside a pass (BLAS, row-parallel loops).
///
/// Shapes include the batch axis first; every layer treats samples independently (no batch
/// statistics), which is what makes input gradients per-sample.
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: NNScalar

    /// Trainable (and saved-but-fixed) tensors of this layer and its children, in a fixed order.
    var parameters: [Parameter<Scalar>] { get }

    /// The architecture record used by model files.
    var descriptor: LayerDescriptor { get }

    /// The output shape for an input of `inputShape` (batch axis included), or an error naming
    /// what does not fit.
    func outputShape(for inputShape: [Int]) throws -> [Int]

    /// `y = F(x; θ)`; caches what the other passes need.
    func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar>

    /// Reverse mode at the cached point: returns `x̄ = J_xᵀ ȳ`, accumulates `θ̄`.
    func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar>

    /// Forward mode at the cached point: returns `ẏ = J_x ẋ`; caches `ẋ`.
    func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar>

    /// Reverse of (forward, tangent): returns `(x̄, ẋ̄)`, accumulates `θ̄` (see the type's notes).
    func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>)
}

extension Layer {
    /// Zeroes every parameter gradient.
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }

    /// Applies every parameter's post-step constraint.
    public func projectParameters() {
        for p in parameters { p.project() }
    }

    /// Total number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// Errors of the NN kit (shape mismatches, bad hyper-parameters, archives that do not describe a
/// known architecture). Messages name the layer and what is wrong.
public struct NNError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A first-order optimiser over a fixed list of parameters (usually `model.parameters`).
///
/// One training step: zero the gradients (``zeroGradients()``), run the passes that accumulate
/// ∂loss/∂θ into ``Parameter/gradient``, call ``step()``. `step()` updates every *trainable*
/// parameter with the rate `schedule.learningRate(atStep: stepCount)`, then applies the
/// post-step projection — each parameter's ``Parameter/project()`` (LPN's clamp of constrained
/// weights to ≥ 0) followed by the optional user closure ``postStep`` — and increments
/// ``stepCount``. Gradients are used as they are (computed before the projection).
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: NNScalar
    /// The parameters updated by ``step()``, in a fixed order (the optimiser state follows it).
    var parameters: [Parameter<Scalar>] { get }
    /// Learning rate per step.
    var schedule: LearningRateSchedule { get set }
    /// Steps taken so far.
    var stepCount: Int { get }
    /// Called after the built-in projection of every step, with ``parameters``.
    var postStep: (([Parameter<Scalar>]) -> Void)? { get set }
    /// One update from the accumulated gradients, then the projection.
    func step()
}

extension Optimizer {
    /// Zeroes the gradient accumulators of ``parameters``.
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }

    /// The rate the next ``step()`` uses.
    public var currentLearningRate: Double { schedule.learningRate(atStep: stepCount) }

    /// Built-in projection then ``postStep``.
    func project() {
        for p in parameters { p.project() }
        postStep?(parameters)
    }
}

/// How ``Adam`` applies weight decay λ.
public enum WeightDecayMode: String, Sendable, Codable {
    /// PyTorch `Adam(weight_decay=λ)`: L2 regularisation added to the gradient, g ← g + λθ,
    /// before the moment updates (so it is rescaled by the adaptive denominator).
    case l2
    /// PyTorch `AdamW(weight_decay=λ)`: decoupled decay θ ← θ·(1 − lr·λ) before the Adam update.
    case decoupled
}

/// Adam (Kingma & Ba) with PyTorch's defaults and arithmetic (`torch.optim.Adam`, single-tensor
/// path, `amsgrad=False`, `maximize=False`): per element, with t the 1-based step,
///
///     g ← ∇θ (+ λθ for .l2 decay)          θ ← θ(1 − lr·λ) for .decoupled decay
///     m ← m + (1 − β₁)(g − m)              (torch's lerp)
///     v ← β₂v + (1 − β₂)g²
///     θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// then the projection (see ``Optimizer``). Moments are kept in `Scalar`, like PyTorch keeps
/// them in the parameter's dtype.
public final class Adam<Scalar: NNScalar>: Optimizer {
    public let parameters: [Parameter<Scalar>]
    public var schedule: LearningRateSchedule
    public private(set) var stepCount = 0
    public var postStep: (([Parameter<Scalar>]) -> Void)?
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    public let weightDecayMode: WeightDecayMode
    /// First and second moments, one array per parameter (same order).
    public private(set) var firstMoments: [[Scalar]]
    public private(set) var secondMoments: [[Scalar]]

    /// - Parameters: PyTorch's names and defaults (`lr` = 1e-3, `betas` = (0.9, 0.999),
    ///   `eps` = 1e-8, `weight_decay` = 0 applied as ``WeightDecayMode/l2``). `schedule`, when
    ///   given, replaces the constant `learningRate`.
    public init(parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                weightDecayMode: WeightDecayMode = .l2, schedule: LearningRateSchedule? = nil) throws {
        let schedule = schedule ?? .constant(learningRate)
        try schedule.validate()
        guard beta1 >= 0 && beta1 < 1 else { throw NNError("Adam: beta1 must be in [0, 1), got \(beta1)") }
        guard beta2 >= 0 && beta2 < 1 else { throw NNError("Adam: beta2 must be in [0, 1), got \(beta2)") }
        guard epsilon >= 0 && epsilon.isFinite else { throw NNError("Adam: epsilon must be finite and ≥ 0, got \(epsilon)") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw NNError("Adam: weight decay must be finite and ≥ 0, got \(weightDecay)") }
        self.parameters = parameters
        self.schedule = schedule
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.weightDecayMode = weightDecayMode
        self.firstMoments = parameters.map { [Scalar](repeating: 0, count: $0.value.count) }
        self.secondMoments = parameters.map { [Scalar](repeating: 0, count: $0.value.count) }
    }

    // Specialised copies: callers in other modules would otherwise run the generic element loop.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        let lr = currentLearningRate
        let t = Double(stepCount + 1)
        let stepSize = Scalar(lr / (1 - Double.pow(beta1, t)))
        let correction2Root = Scalar((1 - Double.pow(beta2, t)).squareRoot())
        let w1 = Scalar(1 - beta1), b2 = Scalar(beta2), w2 = Scalar(1 - beta2), eps = Scalar(epsilon)
        let l2 = weightDecayMode == .l2 ? Scalar(weightDecay) : 0
        let decay = weightDecayMode == .decoupled && weightDecay != 0 ? Scalar(1 - lr * weightDecay) : 1
        for (k, p) in parameters.enumerated() where p.isTrainable {
            let n = p.value.count
            precondition(p.gradient.count == n, "Adam: gradient of '\(p.name)' has \(p.gradient.count) elements for \(n) values")
            p.gradient.storage.withUnsafeBufferPointer { g in
                p.value.storage.withUnsafeMutableBufferPointer { x in
                    firstMoments[k].withUnsafeMutableBufferPointer { m in
                        secondMoments[k].withUnsafeMutableBufferPointer { v in
                            for i in 0..<n {
                                var gi = g[i]
                                if l2 != 0 { gi += l2 * x[i] }
                                if decay != 1 { x[i] *= decay }
                                m[i] += w1 * (gi - m[i])
                                v[i] = b2 * v[i] + w2 * (gi * gi)
                                let denom = v[i].squareRoot() / correction2Root + eps
                                x[i] -= stepSize * m[i] / denom
                            }
                        }
                    }
                }
            }
        }
        stepCount += 1
        project()
    }
}

/// Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD` semantics:
///
///     g ← ∇θ + λθ
///     b ← g (first step), b ← μb + (1 − dampening)g (later steps)
///     g ← g + μb (Nesterov) or g ← b
///     θ ← θ − lr·g
///
/// (no momentum buffer when μ = 0), then the projection (see ``Optimizer``).
public final class SGD<Scalar: NNScalar>: Optimizer {
    public let parameters: [Parameter<Scalar>]
    public var schedule: LearningRateSchedule
    public private(set) var stepCount = 0
    public var postStep: (([Parameter<Scalar>]) -> Void)?
    public let momentum: Double
    public let dampening: Double
    public let weightDecay: Double
    public let nesterov: Bool
    /// Momentum buffers, one per parameter (empty until the first step, or when μ = 0).
    public private(set) var momentumBuffers: [[Scalar]]

    public init(parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, momentum: Double = 0,
                dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false,
                schedule: LearningRateSchedule? = nil) throws {
        let schedule = schedule ?? .constant(learningRate)
        try schedule.validate()
        guard momentum >= 0 && momentum.isFinite else { throw NNError("SGD: momentum must be finite and ≥ 0, got \(momentum)") }
        guard dampening >= 0 && dampening <= 1 else { throw NNError("SGD: dampening must be in [0, 1], got \(dampening)") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw NNError("SGD: weight decay must be finite and ≥ 0, got \(weightDecay)") }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw NNError("SGD: Nesterov momentum requires momentum > 0 and zero dampening")
        }
        self.parameters = parameters
        self.schedule = schedule
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.momentumBuffers = parameters.map { _ in [] }
    }

    // Specialised copies: callers in other modules would otherwise run the generic element loop.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        let lr = Scalar(currentLearningRate)
        let mu = Scalar(momentum), keep = Scalar(1 - dampening), wd = Scalar(weightDecay)
        let first = stepCount == 0
        for (k, p) in parameters.enumerated() where p.isTrainable {
            let n = p.value.count
            precondition(p.gradient.count == n, "SGD: gradient of '\(p.name)' has \(p.gradient.count) elements for \(n) values")
            if momentum != 0 && momentumBuffers[k].count != n { momentumBuffers[k] = [Scalar](repeating: 0, count: n) }
            p.gradient.storage.withUnsafeBufferPointer { g in
                p.value.storage.withUnsafeMutableBufferPointer { x in
                    momentumBuffers[k].withUnsafeMutableBufferPointer { b in
                        for i in 0..<n {
                            var gi = g[i]
                            if wd != 0 { gi += wd * x[i] }
                            if mu != 0 {
                                b[i] = first ? gi : mu * b[i] + keep * gi
                                gi = nesterov ? gi + mu * b[i] : b[i]
                            }
                            x[i] -= lr * gi
                        }
                    }
                }
            }
        }
        stepCount += 1
        project()
    }
}

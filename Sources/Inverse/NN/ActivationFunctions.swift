import RealModule

/// A scalar activation s with its first and second derivatives, evaluated stably.
///
/// ``Activation`` applies one elementwise; the second derivative is what the second-order
/// pass (``Layer/tangentBackward(_:_:)``) needs: ā = ȳ s'(a) + ẏ̄ s''(a) ȧ.
public protocol ActivationFunction: Sendable {
    associatedtype Scalar: NNScalar
    /// The descriptor `kind` ("softplus", "tanh" …) and its hyper-parameters.
    var descriptor: LayerDescriptor { get }
    /// s(t).
    func value(_ t: Scalar) -> Scalar
    /// s'(t).
    func derivative(_ t: Scalar) -> Scalar
    /// (s'(t), s''(t)), sharing the expensive part (one `exp` for softplus and sigmoid).
    func derivatives(_ t: Scalar) -> (first: Scalar, second: Scalar)
    /// Rough cost in flops of one evaluation (decides when loops go parallel).
    static var cost: Int { get }
}

/// softplus_β(t) = log(1 + e^{βt}) / β (PyTorch `Softplus(beta:)` without its threshold shortcut),
/// written as max(t, 0) + log1p(e^{−β|t|})/β so it never overflows; s' = σ(βt), s'' = β σ(βt) σ(−βt),
/// both from e = e^{−β|t|} ∈ (0, 1] without cancellation.
public struct Softplus<Scalar: NNScalar>: ActivationFunction {
    public let beta: Scalar
    public init(beta: Scalar = 1) {
        precondition(beta > 0 && beta.isFinite, "Softplus: β must be positive and finite (got \(beta))")
        self.beta = beta
    }
    public var descriptor: LayerDescriptor { LayerDescriptor(kind: "softplus", attributes: ["beta": .double(Double(beta))]) }
    public static var cost: Int { 30 }
    @inlinable public func value(_ t: Scalar) -> Scalar {
        let z = beta * t
        return Swift.max(t, 0) + Scalar.log(onePlus: Scalar.exp(-Swift.abs(z))) / beta
    }
    @inlinable public func derivative(_ t: Scalar) -> Scalar {
        let z = beta * t
        let e = Scalar.exp(-Swift.abs(z))
        return z >= 0 ? 1 / (1 + e) : e / (1 + e)
    }
    @inlinable public func derivatives(_ t: Scalar) -> (first: Scalar, second: Scalar) {
        let z = beta * t
        let e = Scalar.exp(-Swift.abs(z))
        let r = 1 / (1 + e)
        return (z >= 0 ? r : e * r, beta * e * r * r)
    }
}

/// The logistic function σ(t) = 1/(1 + e^{−t}); σ' = σ(t)σ(−t), σ'' = σ'·(1 − 2σ), all from
/// e = e^{−|t|} (and `expm1` for 1 − 2σ near 0).
public struct Sigmoid<Scalar: NNScalar>: ActivationFunction {
    public init() {}
    public var descriptor: LayerDescriptor { LayerDescriptor(kind: "sigmoid") }
    public static var cost: Int { 30 }
    @inlinable public func value(_ t: Scalar) -> Scalar {
        let e = Scalar.exp(-Swift.abs(t))
        return t >= 0 ? 1 / (1 + e) : e / (1 + e)
    }
    @inlinable public func derivative(_ t: Scalar) -> Scalar {
        let e = Scalar.exp(-Swift.abs(t))
        let r = 1 / (1 + e)
        return e * r * r
    }
    @inlinable public func derivatives(_ t: Scalar) -> (first: Scalar, second: Scalar) {
        let e = Scalar.exp(-Swift.abs(t))
        // e − 1 ∈ (−1, 0], without cancellation near t = 0.
        let m = Swift.abs(t) < 0.5 ? Scalar.expMinusOne(-Swift.abs(t)) : e - 1
        let r = 1 / (1 + e)
        let first = e * r * r
        // 1 − 2σ(t) = (e − 1)/(1 + e) for t ≥ 0 and (1 − e)/(1 + e) for t < 0.
        let oneMinusTwoSigma = t >= 0 ? m * r : -m * r
        return (first, first * oneMinusTwoSigma)
    }
}

/// tanh, with 1 − tanh² computed as 4e/(1 + e)², e = e^{−2|t|} (no cancellation for large |t|).
public struct Tanh<Scalar: NNScalar>: ActivationFunction {
    public init() {}
    public var descriptor: LayerDescriptor { LayerDescriptor(kind: "tanh") }
    public static var cost: Int { 30 }
    @inlinable public func value(_ t: Scalar) -> Scalar { Scalar.tanh(t) }
    @inlinable public func derivative(_ t: Scalar) -> Scalar {
        let e = Scalar.exp(-2 * Swift.abs(t))
        let r = 1 / (1 + e)
        return 4 * e * r * r
    }
    @inlinable public func derivatives(_ t: Scalar) -> (first: Scalar, second: Scalar) {
        let e = Scalar.exp(-2 * Swift.abs(t))
        let m = Swift.abs(t) < 0.25 ? Scalar.expMinusOne(-2 * Swift.abs(t)) : e - 1  // e − 1, no cancellation
        let r = 1 / (1 + e)
        let first = 4 * e * r * r
        let th = t >= 0 ? -m * r : m * r  // tanh t = (1 − e)/(1 + e)·sign t
        return (first, -2 * th * first)
    }
}

/// sin(ωt) (SIREN-style frequency ω, default 1); s' = ω cos(ωt), s'' = −ω² sin(ωt).
public struct Sine<Scalar: NNScalar>: ActivationFunction {
    public let frequency: Scalar
    public init(frequency: Scalar = 1) { self.frequency = frequency }
    public var descriptor: LayerDescriptor { LayerDescriptor(kind: "sine", attributes: ["frequency": .double(Double(frequency))]) }
    public static var cost: Int { 30 }
    @inlinable public func value(_ t: Scalar) -> Scalar { Scalar.sin(frequency * t) }
    @inlinable public func derivative(_ t: Scalar) -> Scalar { frequency * Scalar.cos(frequency * t) }
    @inlinable public func derivatives(_ t: Scalar) -> (first: Scalar, second: Scalar) {
        let u = frequency * t
        return (frequency * Scalar.cos(u), -frequency * frequency * Scalar.sin(u))
    }
}

/// LeakyReLU(t) = t for t > 0, slope·t otherwise (PyTorch: the derivative at 0 is `slope`);
/// slope 0 is ReLU (descriptor kind "relu"). s'' = 0 (almost everywhere).
public struct LeakyReLU<Scalar: NNScalar>: ActivationFunction {
    public let slope: Scalar
    public init(slope: Scalar = 0.01) { self.slope = slope }
    public var descriptor: LayerDescriptor {
        slope == 0 ? LayerDescriptor(kind: "relu")
            : LayerDescriptor(kind: "leakyrelu", attributes: ["slope": .double(Double(slope))])
    }
    public static var cost: Int { 2 }
    @inlinable public func value(_ t: Scalar) -> Scalar { t > 0 ? t : slope * t }
    @inlinable public func derivative(_ t: Scalar) -> Scalar { t > 0 ? 1 : slope }
    @inlinable public func derivatives(_ t: Scalar) -> (first: Scalar, second: Scalar) { (t > 0 ? 1 : slope, 0) }
}

/// The activations by name, for choosing one at run time (configuration, model files) and for
/// model types such as ``InputConvexNetwork`` that are built around one.
public enum ActivationKind: Sendable, Equatable {
    case softplus(beta: Double)
    case leakyReLU(slope: Double)
    case relu
    case tanh
    case sine(frequency: Double)
    case sigmoid

    /// A fresh activation layer of this kind.
    public func makeLayer<Scalar: NNScalar>(_: Scalar.Type = Scalar.self) -> any Layer<Scalar> {
        switch self {
        case .softplus(let beta): return Activation(Softplus<Scalar>(beta: Scalar(beta)))
        case .leakyReLU(let slope): return Activation(LeakyReLU<Scalar>(slope: Scalar(slope)))
        case .relu: return Activation(LeakyReLU<Scalar>(slope: 0))
        case .tanh: return Activation(Tanh<Scalar>())
        case .sine(let frequency): return Activation(Sine<Scalar>(frequency: Scalar(frequency)))
        case .sigmoid: return Activation(Sigmoid<Scalar>())
        }
    }

    /// The layer descriptor of an activation layer of this kind.
    public var descriptor: LayerDescriptor {
        switch self {
        case .softplus(let beta): return Softplus<Double>(beta: beta).descriptor
        case .leakyReLU(let slope): return LeakyReLU<Double>(slope: slope).descriptor
        case .relu: return LeakyReLU<Double>(slope: 0).descriptor
        case .tanh: return Tanh<Double>().descriptor
        case .sine(let frequency): return Sine<Double>(frequency: frequency).descriptor
        case .sigmoid: return Sigmoid<Double>().descriptor
        }
    }

    /// The kind recorded in `descriptor` (kinds "softplus" [beta], "leakyrelu" [slope], "relu",
    /// "tanh", "sine" [frequency], "sigmoid").
    public init(descriptor d: LayerDescriptor) throws {
        func number(_ key: String) throws -> Double {
            switch d.attributes[key] {
            case .double(let v)?: return v
            case .int(let v)?: return Double(v)
            default: throw NNError("activation '\(d.kind)': attribute '\(key)' is missing or not a number")
            }
        }
        switch d.kind {
        case "softplus":
            let beta = try number("beta")
            guard beta > 0, beta.isFinite else { throw NNError("activation 'softplus': beta must be positive and finite (got \(beta))") }
            self = .softplus(beta: beta)
        case "leakyrelu": self = .leakyReLU(slope: try number("slope"))
        case "relu": self = .relu
        case "tanh": self = .tanh
        case "sine": self = .sine(frequency: try number("frequency"))
        case "sigmoid": self = .sigmoid
        default: throw NNError("'\(d.kind)' is not an activation kind (softplus, leakyrelu, relu, tanh, sine, sigmoid)")
        }
    }

    /// True for convex, non-decreasing activations (what input-convex networks need).
    public var isConvexNonDecreasing: Bool {
        switch self {
        case .softplus, .relu: return true
        case .leakyReLU(let slope): return slope >= 0 && slope <= 1
        case .tanh, .sine, .sigmoid: return false
        }
    }
}

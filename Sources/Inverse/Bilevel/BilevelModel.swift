import Imaging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Invalid configuration or data for bilevel learning, with a one-line explanation.
public enum BilevelError: Error, Equatable, CustomStringConvertible {
    /// An option is out of its allowed range (`name` is the option's Swift name).
    case invalidOption(name: String, value: Double, reason: String)
    /// The training set is unusable (empty, shape mismatch, non-finite values …).
    case invalidTrainingSet(String)
    /// θ has the wrong length or holds NaN/∞.
    case invalidParameters(String)
    /// CG on the Hessian met ⟨p, Ap⟩ ≤ 0 or a non-finite value: the lower level is not strictly convex.
    case hessianNotPositiveDefinite(String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .invalidOption(let name, let value, let reason): return "option \(name) = \(value): \(reason)"
        case .invalidTrainingSet(let why): return "training set: \(why)"
        case .invalidParameters(let why): return "parameters θ: \(why)"
        case .hessianNotPositiveDefinite(let why): return "the lower-level Hessian is not positive definite: \(why)"
        }
    }
}

/// A parametrised convex regulariser R(x; θ) for the lower level h(x, θ) = ½‖x − y‖² + R(x; θ) of
/// bilevel learning (1-strongly convex in x, so μ = 1 per image). θ is a flat vector of
/// unconstrained reals; positivity of weights and smoothings comes from exp (spec §8).
public protocol BilevelModel: Sendable {
    associatedtype Regularizer: TwiceDifferentiableFunctional
    /// dim θ.
    var parameterCount: Int { get }
    /// Box for θ (each entry may be ±∞): the iterates are clipped to it (HOAG clips log-parameters).
    var lowerBounds: [Double] { get }
    /// Upper ends of the box, see ``lowerBounds``.
    var upperBounds: [Double] { get }
    /// R(·; θ) on `height` × `width` images (θ already validated).
    func regularizer(theta: [Double], height: Int, width: Int) -> Regularizer
    /// ∇_θ⟨∇ₓR(x; θ), w⟩: the mixed second derivative B = ∇²_{θx}R applied to w (closed form).
    func mixedDerivative(_ r: Regularizer, theta: [Double], at x: Grid, direction w: Grid) -> [Double]
    /// A Lipschitz constant of ∇ₓR(·; θ), used for the FISTA step 1/(1 + L).
    func lipschitzConstant(_ r: Regularizer) -> Double
}

extension BilevelModel {
    /// Checks the length and finiteness of θ.
    public func validate(theta: [Double]) throws {
        guard theta.count == parameterCount else {
            throw BilevelError.invalidParameters("expected \(parameterCount) values, got \(theta.count)")
        }
        if let i = theta.firstIndex(where: { !$0.isFinite }) {
            throw BilevelError.invalidParameters("θ[\(i)] = \(theta[i]) is not finite")
        }
    }

    /// θ clipped to [lowerBounds, upperBounds].
    public func clip(_ theta: [Double]) -> [Double] {
        var t = theta
        for i in t.indices { t[i] = Swift.min(Swift.max(t[i], lowerBounds[i]), upperBounds[i]) }
        return t
    }

    /// Bᵀt = Σ_j t_j ∂/∂θ_j ∇ₓR(x; θ), by a central difference of ∇ₓR along t in θ (used only for
    /// the heuristic estimate of ‖B‖; the hypergradient itself uses the closed form).
    func transposedMixedDerivative(theta: [Double], at x: Grid, direction t: [Double], height: Int, width: Int) -> Grid {
        let tn = t.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard tn > 0 else { return Grid(shape: x.shape) }
        let s = 1e-6 / tn
        let plus = zip(theta, t).map { $0 + s * $1 }, minus = zip(theta, t).map { $0 - s * $1 }
        var gp = regularizer(theta: plus, height: height, width: width).gradient(x)
        let gm = regularizer(theta: minus, height: height, width: width).gradient(x)
        gp.subtract(gm)
        gp.scale(by: 1 / (2 * s))
        return gp
    }
}

/// Smoothed-TV lower level h(x) = ½‖x − y‖² + λ·TV_ν(x) (``SmoothedTV``; isotropic by default,
/// forward differences with Neumann boundary), with
///
/// - θ = [log λ] when only the weight is learned (ν fixed), or
/// - θ = [log λ, log ν] when ν is learned too, with the box θ₂ ≥ log ν_min (spec §7 B): MAID is a
///   projected method, so ν reaches ν_min exactly when the optimum is on the bound (the earlier
///   θ₂ = log(ν − ν_min) put the bound at θ₂ = −∞, where ∂f/∂θ₂ → 0 and ν only crept towards it).
///
/// The Lipschitz constant of ∇R is the certified 8λ/ν (``SmoothedTV/lipschitzConstant``).
public struct TVBilevelModel: BilevelModel {
    /// Whether ν is learned (θ has two entries) or fixed at ``fixedSmoothing``.
    public let learnsSmoothing: Bool
    /// ν when it is not learned.
    public let fixedSmoothing: Double
    /// ν_min (> 0) when ν is learned.
    public let minimumSmoothing: Double
    /// Isotropic TV (default) or anisotropic.
    public let isotropic: Bool

    /// Only λ learned, ν fixed (> 0).
    public init(smoothing: Double, isotropic: Bool = true) throws {
        guard smoothing > 0, smoothing.isFinite else {
            throw BilevelError.invalidOption(name: "smoothing", value: smoothing, reason: "ν must be finite and > 0")
        }
        learnsSmoothing = false
        fixedSmoothing = smoothing
        minimumSmoothing = 0
        self.isotropic = isotropic
    }

    /// λ and ν = e^{θ₂} learned, with θ₂ ≥ log ν_min (0 < ν_min < e⁶).
    public init(minimumSmoothing: Double, isotropic: Bool = true) throws {
        guard minimumSmoothing > 0, minimumSmoothing < exp(6) else {
            throw BilevelError.invalidOption(name: "minimumSmoothing", value: minimumSmoothing,
                                             reason: "ν_min must be > 0 (learning ν drives it to 0 otherwise) and < e⁶ (the upper end of log ν)")
        }
        learnsSmoothing = true
        fixedSmoothing = .nan
        self.minimumSmoothing = minimumSmoothing
        self.isotropic = isotropic
    }

    /// 1 or 2.
    public var parameterCount: Int { learnsSmoothing ? 2 : 1 }
    /// log-parameters are clipped to [−12, 6] (λ ∈ [6e-6, 403]); log ν to [log ν_min, 6].
    public var lowerBounds: [Double] { learnsSmoothing ? [-12, log(minimumSmoothing)] : [-12] }
    /// See ``lowerBounds``.
    public var upperBounds: [Double] { Array(repeating: 6, count: parameterCount) }

    /// θ for a weight λ > 0 and (when learned) a smoothing ν ≥ ν_min (default 10 ν_min).
    public func initialTheta(weight: Double, smoothing: Double? = nil) throws -> [Double] {
        guard weight > 0, weight.isFinite else {
            throw BilevelError.invalidOption(name: "weight", value: weight, reason: "λ must be finite and > 0")
        }
        guard learnsSmoothing else { return [log(weight)] }
        let nu = smoothing ?? 10 * minimumSmoothing
        guard nu >= minimumSmoothing, nu.isFinite else {
            throw BilevelError.invalidOption(name: "smoothing", value: nu, reason: "ν must be finite and ≥ ν_min = \(minimumSmoothing)")
        }
        return [log(weight), log(nu)]
    }

    /// (λ, ν) of θ.
    public func parameters(_ theta: [Double]) -> (weight: Double, smoothing: Double) {
        (exp(theta[0]), learnsSmoothing ? exp(theta[1]) : fixedSmoothing)
    }

    /// SmoothedTV with (λ, ν) of θ.
    public func regularizer(theta: [Double], height: Int, width: Int) -> SmoothedTV {
        let p = parameters(theta)
        return SmoothedTV(shape: Shape(height, width), weight: p.weight, smoothing: p.smoothing, isotropic: isotropic)
    }

    /// (λ ∂_λ, ν ∂_ν) of ⟨∇ₓR, w⟩ (chain rule through exp).
    public func mixedDerivative(_ r: SmoothedTV, theta: [Double], at x: Grid, direction w: Grid) -> [Double] {
        let d = r.mixedDerivatives(x, direction: w)
        var out = [r.weight * d.weight]
        if learnsSmoothing { out.append(r.smoothing * d.smoothing) }
        return out
    }

    /// 8λ/ν (certified).
    public func lipschitzConstant(_ r: SmoothedTV) -> Double { r.lipschitzConstant! }
}

/// Field-of-experts lower level h(x) = ½‖x − y‖² + Σ_k w_k Σ_p sqrt((c_k ∗ x)_p² + ν_k²)
/// (``FieldOfExperts``, direct "same" convolution with the given boundary) with K filters of
/// s × s taps, and
///
///     θ = [c (K·s·s taps, row-major (K, s, s), unconstrained)] ++ [log w_k] ++ [log ν_k],
///
/// with the box log ν_k ≥ max(−12, log ν_min) (a bound MAID's projection reaches exactly).
///
/// This is exactly the model file's R (no ½), so the learned parameters go into a
/// `FieldOfExpertsModelFile` unchanged. There is no separate global weight (the spec's e^{θ₀}
/// multiplies every w_k and is redundant), so dim θ = K s² + 2K.
///
/// Lipschitz constant of ∇R, computed once per θ and image shape (cached, shared by the images):
/// with a_k = w_k/ν_k (φ'' ≤ 1/ν, equality at x = 0), L = ‖Σ_k a_k C_kᵀC_k‖ = sup_x ‖∇²R(x)‖.
/// - periodic: exact, max_ω Σ_k a_k |ĉ_k(ω)|² over the DFT frequencies of the image grid;
/// - reflect: min(certified, 1.05 · Lanczos estimate). The certified bound m · max_ω Σ_k a_k|ĉ_k(ω)|²
///   over the padded grid (the valid convolution of the padded image is a restriction of the
///   circular one there; m = ‖pad‖² = 4 copies of a corner pixel) is 3–4× the true norm, which
///   costs FISTA √(3–4) ≈ 1.8× more iterations. The estimate runs Lanczos on Σ_k a_k C_kᵀC_k
///   (40 steps from a fixed seeded vector for the first θ of a shape, then 12 steps warm-started
///   from the previous top Ritz vector); Ritz values approach the norm from below, and the 5 %
///   margin covers what is left (tests compare it with long power iterations at x = 0 and at
///   random states). It is an estimate, not a proof; the FISTA results stay certified either way
///   (the stopping test ‖∇h‖ ≤ ε does not depend on L, and constant-momentum FISTA still converges
///   when L is up to ~25 % short of the true constant).
public struct FoEBilevelModel: BilevelModel {
    /// K.
    public let filterCount: Int
    /// s (odd).
    public let filterSize: Int
    /// Boundary of the convolutions (use the same when denoising with the learned model).
    public let boundary: ConvolutionBoundary
    /// ν_min ≥ 0.
    public let minimumSmoothing: Double

    /// K ≥ 1 filters of odd size s ≥ 1, smoothings ν_k = e^{θ} ≥ ν_min (0 ≤ ν_min < e⁶).
    public init(filterCount: Int, filterSize: Int, boundary: ConvolutionBoundary = .reflect,
                minimumSmoothing: Double = 0) throws {
        guard filterCount >= 1 else {
            throw BilevelError.invalidOption(name: "filterCount", value: Double(filterCount), reason: "at least one filter is needed")
        }
        guard filterSize >= 1, filterSize % 2 == 1 else {
            throw BilevelError.invalidOption(name: "filterSize", value: Double(filterSize), reason: "the filter size must be odd and ≥ 1")
        }
        guard minimumSmoothing >= 0, minimumSmoothing < exp(6) else {
            throw BilevelError.invalidOption(name: "minimumSmoothing", value: minimumSmoothing,
                                             reason: "ν_min must be ≥ 0 and < e⁶ (the upper end of log ν)")
        }
        self.filterCount = filterCount
        self.filterSize = filterSize
        self.boundary = boundary
        self.minimumSmoothing = minimumSmoothing
    }

    /// Lipschitz constants per θ and shape, and the Lanczos warm starts (shared by copies of the model).
    let lipschitzCache = FoELipschitzCache()
    /// Margin of the reflect-boundary Lanczos estimate.
    static let reflectLipschitzMargin = 1.05

    var tapCount: Int { filterSize * filterSize }
    /// K s² + 2K.
    public var parameterCount: Int { filterCount * (tapCount + 2) }
    /// Taps unbounded; log-weights clipped to [−12, 6], log-smoothings to [max(−12, log ν_min), 6].
    public var lowerBounds: [Double] {
        Array(repeating: -.infinity, count: filterCount * tapCount) + Array(repeating: -12, count: filterCount)
            + Array(repeating: Swift.max(-12, log(minimumSmoothing)), count: filterCount)
    }
    /// See ``lowerBounds``.
    public var upperBounds: [Double] {
        Array(repeating: .infinity, count: filterCount * tapCount) + Array(repeating: 6, count: 2 * filterCount)
    }

    /// θ of filters (K, s, s), weights w_k > 0 and smoothings ν_k > ν_min.
    public func initialTheta(filters: Grid, weights: [Double], smoothings: [Double]) throws -> [Double] {
        guard filters.shape == Shape(filterCount, filterSize, filterSize) else {
            throw BilevelError.invalidParameters("filters have shape \(filters.shape), expected (\(filterCount), \(filterSize), \(filterSize))")
        }
        guard filters.isFinite else { throw BilevelError.invalidParameters("filters hold NaN or ∞") }
        guard weights.count == filterCount, smoothings.count == filterCount else {
            throw BilevelError.invalidParameters("\(filterCount) filters need \(filterCount) weights and smoothings, got \(weights.count) and \(smoothings.count)")
        }
        if let i = weights.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw BilevelError.invalidParameters("weight \(i) = \(weights[i]) must be finite and > 0")
        }
        if let i = smoothings.firstIndex(where: { !($0 > 0 && $0 >= minimumSmoothing && $0.isFinite) }) {
            throw BilevelError.invalidParameters("smoothing \(i) = \(smoothings[i]) must be finite, > 0 and ≥ ν_min = \(minimumSmoothing)")
        }
        return filters.storage + weights.map { log($0) } + smoothings.map { log($0) }
    }

    /// Filters (K, s, s), weights and smoothings of θ.
    public func parameters(_ theta: [Double]) -> (filters: Grid, weights: [Double], smoothings: [Double]) {
        let nf = filterCount * tapCount
        let filters = Grid(shape: Shape(filterCount, filterSize, filterSize), storage: Array(theta[0..<nf]))
        let weights = theta[nf..<(nf + filterCount)].map { exp($0) }
        let smoothings = theta[(nf + filterCount)..<(nf + 2 * filterCount)].map { exp($0) }
        return (filters, weights, smoothings)
    }

    /// The field of experts of θ.
    public func regularizer(theta: [Double], height: Int, width: Int) -> FieldOfExperts {
        let p = parameters(theta)
        return FieldOfExperts(filters: p.filters, weights: p.weights, smoothings: p.smoothings,
                              height: height, width: width, boundary: boundary)
    }

    /// Closed-form mixed derivative, with the chain rule w_k ∂_{w_k} and ν_k ∂_{ν_k}.
    public func mixedDerivative(_ r: FieldOfExperts, theta: [Double], at x: Grid, direction w: Grid) -> [Double] {
        let d = r.mixedDerivatives(x, direction: w)
        var out = d.filters.storage
        out.reserveCapacity(parameterCount)
        for k in 0..<filterCount { out.append(r.weights[k] * d.weights[k]) }
        for k in 0..<filterCount { out.append(r.smoothings[k] * d.smoothings[k]) }
        return out
    }

    /// L = ‖Σ_k (w_k/ν_k) C_kᵀC_k‖: exact (periodic) or min(certified bound, 1.05 × Lanczos
    /// estimate) (reflect), once per θ and image shape (see the type's documentation).
    public func lipschitzConstant(_ r: FieldOfExperts) -> Double {
        let h = r.imageShape[0], w = r.imageShape[1]
        let key = FoELipschitzCache.Key(height: h, width: w, parameters: r.filters.storage + r.weights + r.smoothings)
        return lipschitzCache.state.withLock { state in
            if let v = state.values[key] { return v }
            let certified = spectralBound(r)
            var value = certified
            if boundary == .reflect {
                let shape = FoELipschitzCache.ShapeKey(height: h, width: w)
                let previous = state.vectors[shape]
                let estimate = r.curvatureBoundNormEstimate(steps: previous == nil ? 40 : 12, start: previous)
                state.vectors[shape] = estimate.vector
                value = Swift.min(certified, Self.reflectLipschitzMargin * estimate.value)
            }
            if state.values.count >= 256 { state.values.removeAll(keepingCapacity: true) }
            state.values[key] = value
            return value
        }
    }

    /// The certified m · max_ω Σ_k (w_k/ν_k)|ĉ_k(ω)|² (see the type's documentation).
    func spectralBound(_ r: FieldOfExperts) -> Double {
        let h = r.imageShape[0], w = r.imageShape[1], half = filterSize / 2
        let (p, q, multiplicity): (Int, Int, Double)
        switch boundary {
        case .periodic:
            (p, q, multiplicity) = (h, w, 1)
        case .reflect:
            func copies(_ n: Int) -> Double {
                var count = [Int](repeating: 0, count: n)
                for t in -half..<(n + half) { count[ConvolutionBoundary.reflect.sourceIndex(t, count: n)] += 1 }
                return Double(count.max()!)
            }
            (p, q, multiplicity) = (h + 2 * half, w + 2 * half, copies(h) * copies(w))
        }
        var spectrum = [Double](repeating: 0, count: p * q)
        let s = filterSize
        // ĉ(u, v) = Σ_a e^{−2πiau/p} Σ_b c[a, b] e^{−2πibv/q}: inner sums per (a, v), then rows.
        var inner = [Double](repeating: 0, count: 2 * s * q)
        let cosQ = (0..<q).map { cos(2 * Double.pi * Double($0) / Double(q)) }
        let sinQ = (0..<q).map { sin(2 * Double.pi * Double($0) / Double(q)) }
        let cosP = (0..<p).map { cos(2 * Double.pi * Double($0) / Double(p)) }
        let sinP = (0..<p).map { sin(2 * Double.pi * Double($0) / Double(p)) }
        for k in 0..<filterCount {
            let a = r.weights[k] / r.smoothings[k]
            for ai in 0..<s {
                for v in 0..<q {
                    var re = 0.0, im = 0.0
                    for b in 0..<s {
                        let c = r.filters.storage[(k * s + ai) * s + b], idx = (b * v) % q
                        re += c * cosQ[idx]; im -= c * sinQ[idx]
                    }
                    inner[2 * (ai * q + v)] = re; inner[2 * (ai * q + v) + 1] = im
                }
            }
            for u in 0..<p {
                for v in 0..<q {
                    var re = 0.0, im = 0.0
                    for ai in 0..<s {
                        let idx = (ai * u) % p, cr = cosP[idx], ci = -sinP[idx]
                        let xr = inner[2 * (ai * q + v)], xi = inner[2 * (ai * q + v) + 1]
                        re += cr * xr - ci * xi; im += cr * xi + ci * xr
                    }
                    spectrum[u * q + v] += a * (re * re + im * im)
                }
            }
        }
        return multiplicity * (spectrum.max() ?? 0)
    }
}

/// The per-θ Lipschitz constants of a ``FoEBilevelModel`` and the last top Ritz vector per image
/// shape (warm start of the next Lanczos run), behind a lock: the images of one θ, solved in
/// parallel, compute the constant once.
final class FoELipschitzCache: Sendable {
    struct Key: Hashable { let height: Int, width: Int; let parameters: [Double] }
    struct ShapeKey: Hashable { let height: Int, width: Int }
    struct State {
        var values: [Key: Double] = [:]
        var vectors: [ShapeKey: [Double]] = [:]
    }
    let state = Mutex(State())
}

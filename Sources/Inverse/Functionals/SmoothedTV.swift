#if canImport(Glibc)
import Glibc
#endif

/// Charbonnier-smoothed total variation on grids of rank 1–3 (images: rank 2), the smooth TV
/// regulariser of bilevel learning (spec tv-foe-bilevel §1b):
///
/// - anisotropic (the MAID code's model): R(x) = λ Σ_p Σ_a sqrt((∂_a x)_p² + ν²),
/// - isotropic: R(x) = λ Σ_p sqrt(Σ_a (∂_a x)_p² + ν²),
///
/// with weight λ > 0, smoothing ν > 0 and ∂_a the forward differences of ``Gradient`` (Neumann
/// boundary: the last difference along each axis is 0). No "− ν" offset is subtracted (as in the
/// spec), so R(constant) = λ·ν·N·(rank or 1); offsets do not change any derivative in x.
/// The spec's lower level h = ½‖x − y‖² + ½R_TV corresponds to `weight` = ½e^{θ₁}, ν = e^{θ₂}.
///
/// With g = ∇x, d = ∇v and r = sqrt(|g_p|² + ν²) (isotropic) or r_a = sqrt(g_a² + ν²) (anisotropic):
/// - gradient: ∇R(x) = λ ∇ᵀ(g / r);
/// - Hessian-vector product: ∇²R(x) v = λ ∇ᵀ(d/r − g (g·d)/r³) (isotropic),
///   λ ∇ᵀ(ν² d_a / r_a³) (anisotropic);
/// - mixed derivatives: ∂/∂λ ∇R(x) = ∇ᵀ(g / r), ∂/∂ν ∇R(x) = −λ ν ∇ᵀ(g / r³);
/// - Lipschitz constant of ∇R: λ‖∇‖²/ν ≤ 4·rank·λ/ν (8λ/ν for images), since ‖∇²R‖ ≤ λ‖∇‖²/ν.
public struct SmoothedTV: SmoothFunctional {
    /// λ.
    public let weight: Double
    /// ν.
    public let smoothing: Double
    /// Isotropic (components coupled under one square root) or anisotropic.
    public let isotropic: Bool
    /// The forward-difference gradient on the grid shape.
    public let gradientOperator: Gradient

    /// Smoothed TV on grids of `shape` (rank 1–3) with weight λ > 0 and smoothing ν > 0.
    public init(shape: Shape, weight: Double, smoothing: Double, isotropic: Bool = false) {
        precondition(weight > 0 && weight.isFinite, "SmoothedTV: weight must be finite and > 0, got \(weight)")
        precondition(smoothing > 0 && smoothing.isFinite, "SmoothedTV: smoothing must be finite and > 0, got \(smoothing)")
        self.weight = weight
        self.smoothing = smoothing
        self.isotropic = isotropic
        self.gradientOperator = Gradient(shape: shape)
    }

    /// The same model with other parameters (for parameter sweeps and finite differences).
    public func with(weight: Double? = nil, smoothing: Double? = nil) -> SmoothedTV {
        SmoothedTV(shape: gradientOperator.domain, weight: weight ?? self.weight,
                   smoothing: smoothing ?? self.smoothing, isotropic: isotropic)
    }

    /// 4·rank·λ/ν (the bound ‖∇‖² ≤ 4·rank times the curvature bound λ/ν of the potential).
    public var lipschitzConstant: Double? {
        4 * Double(gradientOperator.domain.rank) * weight / smoothing
    }

    /// Scratch for ∇x: shape (rank, …).
    public var workspaceShape: Shape? { gradientOperator.range }

    /// R(x) (allocates the gradient field).
    public func value(_ x: Grid) -> Double {
        var w = Grid(shape: gradientOperator.range)
        return value(x, workspace: &w)
    }

    /// R(x) using `workspace` of shape (rank, …).
    public func value(_ x: Grid, workspace w: inout Grid) -> Double {
        gradientOperator.apply(x, into: &w)
        return weight * potentialSum(w)
    }

    /// g ← ∇R(x) = λ∇ᵀ(∇x / r) (allocates the gradient field).
    public func gradient(_ x: Grid, into g: inout Grid) {
        var w = Grid(shape: gradientOperator.range)
        _ = valueAndGradient(x, gradient: &g, workspace: &w)
    }

    /// Returns R(x) and sets g ← λ∇ᵀ(∇x / r), using `workspace` of shape (rank, …); `g` serves
    /// as per-pixel scratch before it receives the result.
    public func valueAndGradient(_ x: Grid, gradient g: inout Grid, workspace w: inout Grid) -> Double {
        gradientOperator.apply(x, into: &w)
        let v = weight * potentialSum(w)
        // w ← g/r (the derivative of the potential), then g ← λ∇ᵀw.
        divideByRadius(&w, scratch: &g, power: 1)
        gradientOperator.applyAdjoint(w, into: &g)
        g.scale(by: weight)
        return v
    }

    /// out ← ∇²R(x) v (Hessian-vector product in x; allocates two gradient fields).
    public func hessianVectorProduct(_ x: Grid, direction v: Grid, into out: inout Grid) {
        let c = gradientOperator.domain.rank
        let gx = gradientOperator(x), gv = gradientOperator(v)
        var q = Grid(shape: gradientOperator.range)
        let n = x.count, nu2 = smoothing * smoothing
        q.storage.withUnsafeMutableBufferPointer { qb in
            gx.storage.withUnsafeBufferPointer { g in
                gv.storage.withUnsafeBufferPointer { d in
                    if isotropic {
                        for i in 0..<n {
                            var s = nu2, ge = 0.0
                            for a in 0..<c { let k = a &* n &+ i; s += g[k] * g[k]; ge += g[k] * d[k] }
                            let r = s.squareRoot(), inv = 1 / r, inv3 = inv * inv * inv
                            for a in 0..<c { let k = a &* n &+ i; qb[k] = d[k] * inv - g[k] * ge * inv3 }
                        }
                    } else {
                        for k in 0..<(c &* n) {
                            let s = g[k] * g[k] + nu2
                            qb[k] = nu2 * d[k] / (s * s.squareRoot())
                        }
                    }
                }
            }
        }
        gradientOperator.applyAdjoint(q, into: &out)
        out.scale(by: weight)
    }

    /// out ← ∂/∂λ ∇ₓR(x) = ∇ᵀ(∇x / r).
    public func weightDerivativeOfGradient(_ x: Grid, into out: inout Grid) {
        var w = gradientOperator(x)
        divideByRadius(&w, scratch: &out, power: 1)
        gradientOperator.applyAdjoint(w, into: &out)
    }

    /// out ← ∂/∂ν ∇ₓR(x) = −λν ∇ᵀ(∇x / r³).
    public func smoothingDerivativeOfGradient(_ x: Grid, into out: inout Grid) {
        var w = gradientOperator(x)
        divideByRadius(&w, scratch: &out, power: 3)
        gradientOperator.applyAdjoint(w, into: &out)
        out.scale(by: -weight * smoothing)
    }

    /// The mixed second derivatives applied to a direction w (one row of ∇²_{θx}R per parameter):
    /// (⟨∂/∂λ ∇ₓR(x), w⟩, ⟨∂/∂ν ∇ₓR(x), w⟩) = (⟨∇x/r, ∇w⟩, −λν⟨∇x/r³, ∇w⟩).
    public func mixedDerivatives(_ x: Grid, direction w: Grid) -> (weight: Double, smoothing: Double) {
        let gw = gradientOperator(w)
        var a = gradientOperator(x), b = a
        var scratch = Grid(shape: x.shape)
        divideByRadius(&a, scratch: &scratch, power: 1)
        divideByRadius(&b, scratch: &scratch, power: 3)
        return (a.dot(gw), -weight * smoothing * b.dot(gw))
    }

    /// Σ_p sqrt(|g_p|² + ν²) (isotropic) or Σ_{p,a} sqrt(g_{a,p}² + ν²) (anisotropic).
    func potentialSum(_ w: Grid) -> Double {
        let c = gradientOperator.domain.rank, n = w.count / c, nu2 = smoothing * smoothing
        return w.storage.withUnsafeBufferPointer { g in
            var total = 0.0
            if isotropic {
                for i in 0..<n {
                    var s = nu2
                    for a in 0..<c { let t = g[a &* n &+ i]; s += t * t }
                    total += s.squareRoot()
                }
            } else {
                for k in 0..<(c &* n) { total += (g[k] * g[k] + nu2).squareRoot() }
            }
            return total
        }
    }

    /// w ← w / r^power, with r the isotropic (per pixel, stored in `scratch`) or anisotropic
    /// (per component) radius sqrt(·² + ν²).
    func divideByRadius(_ w: inout Grid, scratch: inout Grid, power: Int) {
        let c = gradientOperator.domain.rank, n = w.count / c, nu2 = smoothing * smoothing
        precondition(scratch.count == n, "SmoothedTV: scratch \(scratch.shape) for \(n) pixels")
        w.storage.withUnsafeMutableBufferPointer { g in
            if isotropic {
                scratch.storage.withUnsafeMutableBufferPointer { r in
                    for i in 0..<n { r[i] = nu2 + g[i] * g[i] }
                    if c > 1 {
                        for a in 1..<c {
                            let ga = g.baseAddress! + a &* n
                            for i in 0..<n { r[i] += ga[i] * ga[i] }
                        }
                    }
                    if power == 1 {
                        for i in 0..<n { r[i] = 1 / r[i].squareRoot() }
                    } else {
                        for i in 0..<n { let s = r[i]; r[i] = 1 / (s * s.squareRoot()) }
                    }
                    for a in 0..<c {
                        let ga = g.baseAddress! + a &* n
                        for i in 0..<n { ga[i] *= r[i] }
                    }
                }
            } else if power == 1 {
                for k in 0..<(c &* n) { g[k] /= (g[k] * g[k] + nu2).squareRoot() }
            } else {
                for k in 0..<(c &* n) { let s = g[k] * g[k] + nu2; g[k] /= s * s.squareRoot() }
            }
        }
    }
}

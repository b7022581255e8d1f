/// f(x) = λ Σᵢ |xᵢ| with weight λ > 0 (anisotropic TV when applied to a stacked gradient).
///
/// - prox_{τf}(v)ᵢ = sign(vᵢ)·max(|vᵢ| − τλ, 0) (soft thresholding).
/// - f* = indicator of the box {‖z‖_∞ ≤ λ}; prox_{σf*}(v) = clamp(v, −λ, λ) for every σ > 0.
public struct L1Norm: ProximableFunctional, ConvexConjugateFunctional {
    /// λ.
    public let weight: Double

    /// λ Σ|xᵢ| with λ = `weight` > 0.
    public init(weight: Double = 1) {
        precondition(weight > 0 && weight.isFinite, "L1Norm: weight must be finite and > 0, got \(weight)")
        self.weight = weight
    }

    /// λ Σᵢ |xᵢ|.
    public func value(_ x: Grid) -> Double {
        x.storage.withUnsafeBufferPointer { p in
            var s0 = 0.0, s1 = 0.0
            var i = 0
            while i &+ 2 <= p.count { s0 += abs(p[i]); s1 += abs(p[i &+ 1]); i &+= 2 }
            if i < p.count { s0 += abs(p[i]) }
            return weight * (s0 + s1)
        }
    }

    /// x ← soft threshold of v at τλ.
    public func prox(_ v: Grid, stepSize tau: Double, into x: inout Grid) {
        precondition(tau > 0 && tau.isFinite, "L1Norm.prox: step size must be finite and > 0, got \(tau)")
        precondition(v.count == x.count, "L1Norm.prox: \(v.shape) into \(x.shape)")
        let t = tau * weight
        x.storage.withUnsafeMutableBufferPointer { o in
            v.storage.withUnsafeBufferPointer { s in
                for i in 0..<o.count {
                    let a = s[i]
                    // sign(a)·max(|a| − t, 0) without branches on the sign
                    o[i] = Swift.max(a - t, 0) + Swift.min(a + t, 0)
                }
            }
        }
    }

    /// x ← clamp(v, −λ, λ) = projection onto the ∞-norm ball of radius λ (independent of σ).
    public func proxConjugate(_ v: Grid, stepSize sigma: Double, into x: inout Grid) {
        precondition(sigma > 0 && sigma.isFinite, "L1Norm.proxConjugate: step size must be finite and > 0, got \(sigma)")
        x.assign(v)
        x.clamp(to: -weight...weight)
    }

    /// 0 if ‖z‖_∞ ≤ λ(1 + 1e-9), else +∞.
    public func convexConjugateValue(_ z: Grid) -> Double {
        let m = Swift.max(z.max, -z.min)
        return m <= weight * (1 + 1e-9) ? 0 : .infinity
    }
}

/// The indicator of a box: f(x) = 0 if lower ≤ xᵢ ≤ upper for all i, +∞ otherwise.
///
/// - prox_{τf}(v) = clamp(v, lower, upper) (projection; independent of τ).
/// - f*(z) = Σᵢ max(lower·zᵢ, upper·zᵢ) (the support function; finite bounds only, +∞ for an
///   unbounded side where z points outward), and
///   prox_{σf*}(v)ᵢ = vᵢ − σ·upper if vᵢ > σ·upper, vᵢ − σ·lower if vᵢ < σ·lower, else 0.
public struct BoxIndicator: ProximableFunctional, ConvexConjugateFunctional {
    /// Lower bound (may be −∞).
    public let lower: Double
    /// Upper bound (may be +∞).
    public let upper: Double

    /// The indicator of [lower, upper]ⁿ; requires lower ≤ upper and no NaN.
    public init(lower: Double, upper: Double) {
        precondition(!lower.isNaN && !upper.isNaN && lower <= upper,
                     "BoxIndicator: need lower ≤ upper, got [\(lower), \(upper)]")
        self.lower = lower
        self.upper = upper
    }

    /// 0 inside the box, +∞ outside (no tolerance: use it on projected points).
    public func value(_ x: Grid) -> Double {
        (x.min >= lower && x.max <= upper) || x.count == 0 ? 0 : .infinity
    }

    /// x ← clamp(v, lower, upper).
    public func prox(_ v: Grid, stepSize tau: Double, into x: inout Grid) {
        precondition(tau > 0, "BoxIndicator.prox: step size must be > 0, got \(tau)")
        x.assign(v)
        x.clamp(to: lower...upper)
    }

    /// x ← v − σ·clamp(v/σ, lower, upper) elementwise, written without the division.
    public func proxConjugate(_ v: Grid, stepSize sigma: Double, into x: inout Grid) {
        precondition(sigma > 0 && sigma.isFinite, "BoxIndicator.proxConjugate: step size must be finite and > 0, got \(sigma)")
        let lo = sigma * lower, hi = sigma * upper
        x.storage.withUnsafeMutableBufferPointer { o in
            v.storage.withUnsafeBufferPointer { s in
                for i in 0..<o.count { o[i] = s[i] - Swift.min(Swift.max(s[i], lo), hi) }
            }
        }
    }

    /// Σᵢ max(lower·zᵢ, upper·zᵢ) (support function of the box).
    public func convexConjugateValue(_ z: Grid) -> Double {
        z.storage.withUnsafeBufferPointer { p in
            var s = 0.0
            for a in p {
                if a > 0 { s += upper.isInfinite ? .infinity : upper * a }
                else if a < 0 { s += lower.isInfinite ? .infinity : lower * a }
            }
            return s
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The mixed norm f(g) = λ Σ_p ‖(g₁[p], …, g_c[p])‖₂ over grids of shape (c, …): the leading
/// axis holds the c components of a vector field (e.g. the c = 2 or 3 gradient components), every
/// other position p is one group. Isotropic TV is f(∇x). With `componentCount` set, the storage is
/// read as c = componentCount blocks of count/c elements instead (e.g. 2C for the channel-coupled
/// TV of a (2, C, H, W) ``ChannelGradient2D`` field).
///
/// - prox_{τf}(v)[·, p] = max(0, 1 − τλ/‖v[·, p]‖) · v[·, p] (group soft thresholding).
/// - f* = indicator of the dual ball {‖z‖_{2,∞} = max_p ‖z[·, p]‖ ≤ λ};
///   prox_{σf*}(v)[·, p] = v[·, p] / max(1, ‖v[·, p]‖/λ) (projection, independent of σ).
/// Loops run over the pixels of each component with unit stride.
public struct GroupL21Norm: ProximableFunctional, ConvexConjugateFunctional {
    /// λ.
    public let weight: Double
    /// The number of components per group, when not the leading dimension.
    public let componentCount: Int?

    /// λ Σ_p ‖g[·, p]‖₂ with λ = `weight` > 0; groups along the leading axis, or across
    /// `componentCount` equal blocks of the storage.
    public init(weight: Double = 1, componentCount: Int? = nil) {
        precondition(weight > 0 && weight.isFinite, "GroupL21Norm: weight must be finite and > 0, got \(weight)")
        if let c = componentCount { precondition(c >= 1, "GroupL21Norm: componentCount must be ≥ 1, got \(c)") }
        self.weight = weight
        self.componentCount = componentCount
    }

    /// (components c, pixels per component N).
    func layout(_ g: Grid) -> (components: Int, pixels: Int) {
        if let c = componentCount {
            precondition(g.count % c == 0, "GroupL21Norm: \(g.count) elements do not split into \(c) components")
            return (c, g.count / c)
        }
        precondition(g.rank >= 2, "GroupL21Norm: needs a grid of shape (components, …), got \(g.shape)")
        let c = g.shape[0]
        return (c, c == 0 ? 0 : g.count / c)
    }

    /// λ Σ_p sqrt(Σ_k g_k[p]²).
    public func value(_ g: Grid) -> Double {
        let (c, n) = layout(g)
        return g.storage.withUnsafeBufferPointer { p in
            var total = 0.0
            for i in 0..<n {
                var s = 0.0
                for k in 0..<c { let a = p[k &* n &+ i]; s += a * a }
                total += s.squareRoot()
            }
            return weight * total
        }
    }

    /// Writes, into `x`, the per-group factor `factor(‖v[·, p]‖)` times v — the shared engine of
    /// the prox and the projection. The group norms are accumulated in x's first component, so no
    /// scratch is needed; components are then written from last to first.
    func scaleGroups(_ v: Grid, into x: inout Grid, factor: (Double) -> Double) {
        precondition(v.shape == x.shape, "GroupL21Norm: \(v.shape) into \(x.shape)")
        let (c, n) = layout(v)
        guard c > 0, n > 0 else { return }
        x.storage.withUnsafeMutableBufferPointer { o in
            v.storage.withUnsafeBufferPointer { s in
                // o[0..<n] ← Σ_k v_k²
                for i in 0..<n { o[i] = s[i] * s[i] }
                if c > 1 {
                    for k in 1..<c {
                        let vk = s.baseAddress! + k &* n
                        for i in 0..<n { o[i] += vk[i] * vk[i] }
                    }
                }
                for i in 0..<n { o[i] = factor(o[i].squareRoot()) }
                var k = c &- 1
                while k >= 0 {
                    let ok = o.baseAddress! + k &* n, vk = s.baseAddress! + k &* n
                    for i in 0..<n { ok[i] = o[i] * vk[i] }
                    k &-= 1
                }
            }
        }
    }

    /// x ← group soft thresholding of v at τλ: v[·, p]·max(0, 1 − τλ/‖v[·, p]‖).
    public func prox(_ v: Grid, stepSize tau: Double, into x: inout Grid) {
        precondition(tau > 0 && tau.isFinite, "GroupL21Norm.prox: step size must be finite and > 0, got \(tau)")
        let t = tau * weight
        scaleGroups(v, into: &x) { r in r > t ? 1 - t / r : 0 }
    }

    /// x ← projection of v onto {‖z‖_{2,∞} ≤ λ}: v[·, p] / max(1, ‖v[·, p]‖/λ).
    public func projectOntoDualBall(_ v: Grid, into x: inout Grid) {
        let lambda = weight
        scaleGroups(v, into: &x) { r in r > lambda ? lambda / r : 1 }
    }

    /// x ← prox_{σf*}(v) = the projection onto the dual ball (independent of σ).
    public func proxConjugate(_ v: Grid, stepSize sigma: Double, into x: inout Grid) {
        precondition(sigma > 0 && sigma.isFinite, "GroupL21Norm.proxConjugate: step size must be finite and > 0, got \(sigma)")
        projectOntoDualBall(v, into: &x)
    }

    /// max_p ‖z[·, p]‖₂ (the dual norm ‖z‖_{2,∞}).
    public func dualNorm(_ z: Grid) -> Double {
        let (c, n) = layout(z)
        return z.storage.withUnsafeBufferPointer { p in
            var m = 0.0
            for i in 0..<n {
                var s = 0.0
                for k in 0..<c { let a = p[k &* n &+ i]; s += a * a }
                m = Swift.max(m, s)
            }
            return m.squareRoot()
        }
    }

    /// 0 if ‖z‖_{2,∞} ≤ λ(1 + 1e-9), else +∞.
    public func convexConjugateValue(_ z: Grid) -> Double {
        dualNorm(z) <= weight * (1 + 1e-9) ? 0 : .infinity
    }
}

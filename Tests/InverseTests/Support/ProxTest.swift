import Inverse

/// Minimises a unimodal φ on [a, b] by golden-section search to an absolute bracket of `tolerance`.
func goldenSectionMinimum(_ a0: Double, _ b0: Double, tolerance: Double = 1e-12, _ phi: (Double) -> Double) -> Double {
    let r = (5.0.squareRoot() - 1) / 2
    var a = a0, b = b0
    var c = b - r * (b - a), d = a + r * (b - a)
    var fc = phi(c), fd = phi(d)
    while b - a > tolerance {
        if fc < fd { b = d; d = c; fd = fc; c = b - r * (b - a); fc = phi(c) }
        else { a = c; c = d; fc = fd; d = a + r * (b - a); fd = phi(d) }
    }
    return (a + b) / 2
}

/// ‖prox(u) − prox(v)‖ / ‖u − v‖ (≤ 1 for a non-expansive prox).
func expansionRatio<F: ProximableFunctional>(_ f: F, _ u: Grid, _ v: Grid, stepSize: Double) -> Double {
    let pu = f.prox(u, stepSize: stepSize), pv = f.prox(v, stepSize: stepSize)
    return pu.squaredDistance(to: pv).squareRoot() / max(u.squaredDistance(to: v).squareRoot(), 1e-300)
}

/// ‖v − prox_{τf}(v) − τ·prox_{f*/τ}(v/τ)‖ / ‖v‖: the Moreau identity residual, using the
/// functional's own ``ProximableFunctional/proxConjugate(_:stepSize:into:)``.
func moreauResidual<F: ProximableFunctional>(_ f: F, _ v: Grid, stepSize tau: Double) -> Double {
    let p = f.prox(v, stepSize: tau)
    var scaled = v; scaled.scale(by: 1 / tau)
    var q = Grid(shape: v.shape)
    f.proxConjugate(scaled, stepSize: 1 / tau, into: &q)
    var r = v; r.subtract(p); r.axpy(-tau, q)
    return r.norm / max(v.norm, 1e-300)
}

import Inverse

/// Result of a two-step central-difference check of an analytic derivative.
struct FiniteDifferenceResult: CustomStringConvertible {
    /// ‖FD(h) − analytic‖ and ‖FD(h/2) − analytic‖.
    let errorAtH: Double, errorAtHalfH: Double
    /// ‖FD(h/2) − analytic‖ / ‖analytic‖.
    let relativeError: Double
    /// errorAtH / errorAtHalfH (≈ 4 for a correct derivative while truncation dominates).
    var ratio: Double { errorAtH / max(errorAtHalfH, 1e-300) }
    /// Tiny relative error (≤ 1e-8, where round-off makes the ratio meaningless), or ≤ 1e-6 with
    /// the second-order ratio ≈ 4.
    var passes: Bool { relativeError <= 1e-8 || (relativeError <= 1e-6 && ratio > 2.5 && ratio < 6.5) }
    var description: String { "relative error \(relativeError), ratio \(ratio)" }
}

/// Compares `analytic` with central differences (φ(h) − φ(−h))/2h at h and h/2, for a
/// grid-valued φ (use a one-element grid for scalars).
func finiteDifferenceCheck(analytic: Grid, h: Double, _ phi: (Double) -> Grid) -> FiniteDifferenceResult {
    func central(_ step: Double) -> Grid {
        var d = phi(step)
        d.subtract(phi(-step))
        d.scale(by: 1 / (2 * step))
        return d
    }
    let e1 = central(h).squaredDistance(to: analytic).squareRoot()
    let e2 = central(h / 2).squaredDistance(to: analytic).squareRoot()
    return FiniteDifferenceResult(errorAtH: e1, errorAtHalfH: e2, relativeError: e2 / max(analytic.norm, 1e-300))
}

/// Scalar form of ``finiteDifferenceCheck(analytic:h:_:)``.
func finiteDifferenceCheck(analytic: Double, h: Double, _ phi: (Double) -> Double) -> FiniteDifferenceResult {
    finiteDifferenceCheck(analytic: Grid(shape: Shape(1), storage: [analytic]), h: h) {
        Grid(shape: Shape(1), storage: [phi($0)])
    }
}

/// Checks ⟨∇f(x), d⟩ against central differences of t ↦ f(x + t d).
func gradientCheck<F: SmoothFunctional>(_ f: F, at x: Grid, direction d: Grid, h: Double) -> FiniteDifferenceResult {
    let analytic = f.gradient(x).dot(d)
    return finiteDifferenceCheck(analytic: analytic, h: h) { t in
        var p = x; p.axpy(t, d); return f.value(p)
    }
}

/// Checks a Hessian-vector product against central differences of t ↦ ∇f(x + t v).
func hessianCheck<F: SmoothFunctional>(_ f: F, at x: Grid, direction v: Grid, h: Double,
                                       product: (Grid, Grid, inout Grid) -> Void) -> FiniteDifferenceResult {
    var hv = Grid(shape: x.shape)
    product(x, v, &hv)
    return finiteDifferenceCheck(analytic: hv, h: h) { t in
        var p = x; p.axpy(t, v); return f.gradient(p)
    }
}

/// A functional whose proximal map can be evaluated (exactly, in closed form or by a finite
/// algorithm).
///
/// prox_{τf}(v) = argmin_x f(x) + ‖x − v‖²/(2τ), τ > 0. For convex, proper, lower
/// semicontinuous f it is single-valued and non-expansive.
public protocol ProximableFunctional: Functional {
    /// x ← prox_{τf}(v) with τ = `stepSize` > 0 (overwrites x; `x.shape == v.shape`).
    func prox(_ v: Grid, stepSize: Double, into x: inout Grid)
    /// x ← prox_{σf*}(v), the proximal map of the convex conjugate f*(z) = sup_x ⟨z, x⟩ − f(x),
    /// with σ = `stepSize` > 0.
    ///
    /// The default uses the Moreau identity (``proxConjugateByMoreau(_:stepSize:into:scratch:)``)
    /// and allocates one scratch grid; functionals with a closed form (a projection, for norms)
    /// override it without allocating.
    func proxConjugate(_ v: Grid, stepSize: Double, into x: inout Grid)
}

extension ProximableFunctional {
    /// Default conjugate prox by the Moreau identity; allocates one grid per call.
    public func proxConjugate(_ v: Grid, stepSize sigma: Double, into x: inout Grid) {
        var scratch = Grid(shape: v.shape)
        proxConjugateByMoreau(v, stepSize: sigma, into: &x, scratch: &scratch)
    }

    /// x ← prox_{σf*}(v) = v − σ·prox_{f/σ}(v/σ) (Moreau's identity, extended form), using
    /// `scratch` (same shape as v) for v/σ. Valid for convex, proper, lsc f and σ > 0.
    public func proxConjugateByMoreau(_ v: Grid, stepSize sigma: Double, into x: inout Grid,
                                      scratch: inout Grid) {
        precondition(sigma > 0 && sigma.isFinite, "proxConjugate: step size must be finite and > 0, got \(sigma)")
        scratch.assign(v)
        scratch.scale(by: 1 / sigma)
        prox(scratch, stepSize: 1 / sigma, into: &x)
        // x ← v − σ x
        x.axpby(1, v, -sigma)
    }

    /// prox_{σf*}(v) into a new grid.
    public func proxConjugate(_ v: Grid, stepSize sigma: Double) -> Grid {
        var x = Grid(shape: v.shape)
        proxConjugate(v, stepSize: sigma, into: &x)
        return x
    }

    /// prox_{τf}(v) into a new grid.
    public func prox(_ v: Grid, stepSize: Double) -> Grid {
        var x = Grid(shape: v.shape)
        prox(v, stepSize: stepSize, into: &x)
        return x
    }
}

/// A functional whose convex conjugate f*(z) = sup_x ⟨z, x⟩ − f(x) has a closed form.
///
/// Primal–dual solvers use it for the duality gap: for min_x G(x) + F(Kx), the gap
/// G(x) + F(Kx) + G*(−Kᵀp) + F*(p) ≥ 0 bounds the objective error of x for any dual p.
public protocol ConvexConjugateFunctional: Functional {
    /// f*(z); `+∞` outside the conjugate's domain (indicators of dual-norm balls use a relative
    /// slack of 1e-9 so that round-off in a projection does not read as infeasible).
    func convexConjugateValue(_ z: Grid) -> Double
}

/// The convex conjugate f* of a proximable functional with a closed-form conjugate, as a
/// functional of its own: value f*(z), prox_{τf*} from the base's ``ProximableFunctional/proxConjugate(_:stepSize:into:)``,
/// and conjugate (f*)* = f (for convex, proper, lsc f).
///
/// Example: `ConvexConjugate(GroupL21Norm(weight: λ))` is the indicator of the dual ball
/// {‖p‖_{2,∞} ≤ λ}, the constraint of the ROF dual problem.
public struct ConvexConjugate<Base: ProximableFunctional & ConvexConjugateFunctional>: ProximableFunctional, ConvexConjugateFunctional {
    /// f.
    public let base: Base

    /// f* for `base` = f.
    public init(_ base: Base) { self.base = base }

    /// f*(z).
    public func value(_ z: Grid) -> Double { base.convexConjugateValue(z) }

    /// x ← prox_{τf*}(v).
    public func prox(_ v: Grid, stepSize tau: Double, into x: inout Grid) {
        base.proxConjugate(v, stepSize: tau, into: &x)
    }

    /// x ← prox_{σf**}(v) = prox_{σf}(v).
    public func proxConjugate(_ v: Grid, stepSize sigma: Double, into x: inout Grid) {
        base.prox(v, stepSize: sigma, into: &x)
    }

    /// (f*)*(x) = f(x).
    public func convexConjugateValue(_ x: Grid) -> Double { base.value(x) }
}

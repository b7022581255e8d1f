/// f(x) = 0: the nonsmooth part of a smooth-only problem in FISTA (which then is Nesterov's
/// accelerated gradient method) or the primal term of a pure feasibility problem.
///
/// - prox_{τf}(v) = v.
/// - f* = indicator of {0}: f*(z) = 0 if z = 0, +∞ otherwise; prox_{σf*}(v) = 0.
public struct ZeroFunctional: ProximableFunctional, ConvexConjugateFunctional {
    /// The zero functional.
    public init() {}
    /// 0.
    public func value(_ x: Grid) -> Double { 0 }
    /// x ← v.
    public func prox(_ v: Grid, stepSize: Double, into x: inout Grid) { x.assign(v) }
    /// x ← 0.
    public func proxConjugate(_ v: Grid, stepSize: Double, into x: inout Grid) { x.fill(0) }
    /// 0 if z = 0, else +∞.
    public func convexConjugateValue(_ z: Grid) -> Double { z.max == 0 && z.min == 0 || z.count == 0 ? 0 : .infinity }
}

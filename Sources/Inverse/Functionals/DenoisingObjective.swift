/// The denoising objective h(x) = ½‖x − y‖² + R(x) for a twice-differentiable regulariser R
/// (``SmoothedTV``, ``FieldOfExperts``): the lower-level problem of bilevel learning.
///
/// - gradient ∇h(x) = x − y + ∇R(x); Hessian ∇²h(x) = I + ∇²R(x);
/// - Lipschitz constant 1 + L_R (when R's is known); h is 1-strongly convex for convex R, so
///   ‖x − x̂‖ ≤ ‖∇h(x)‖ (the certified stopping test of spec tv-foe-bilevel A.2 with μ = 1).
public struct DenoisingObjective<Regularizer: TwiceDifferentiableFunctional>: TwiceDifferentiableFunctional {
    /// y.
    public let noisy: Grid
    /// R.
    public let regularizer: Regularizer

    /// h(x) = ½‖x − y‖² + R(x).
    public init(noisy: Grid, regularizer: Regularizer) {
        precondition(noisy.isFinite, "DenoisingObjective: input contains NaN or infinity")
        self.noisy = noisy
        self.regularizer = regularizer
    }

    /// 1 + L_R, or nil when R has no known constant.
    public var lipschitzConstant: Double? { regularizer.lipschitzConstant.map { 1 + $0 } }
    /// R's scratch.
    public var workspaceShape: Shape? { regularizer.workspaceShape }

    /// h(x).
    public func value(_ x: Grid) -> Double { 0.5 * x.squaredDistance(to: noisy) + regularizer.value(x) }

    /// h(x) using R's workspace.
    public func value(_ x: Grid, workspace: inout Grid) -> Double {
        0.5 * x.squaredDistance(to: noisy) + regularizer.value(x, workspace: &workspace)
    }

    /// g ← x − y + ∇R(x).
    public func gradient(_ x: Grid, into g: inout Grid) {
        regularizer.gradient(x, into: &g)
        g.add(x)
        g.subtract(noisy)
    }

    /// Returns h(x) and sets g ← ∇h(x), using R's workspace.
    public func valueAndGradient(_ x: Grid, gradient g: inout Grid, workspace: inout Grid) -> Double {
        let r = regularizer.valueAndGradient(x, gradient: &g, workspace: &workspace)
        g.add(x)
        g.subtract(noisy)
        return r + 0.5 * x.squaredDistance(to: noisy)
    }

    /// I + ∇²R(x) + shift·I: R's own operator with the shift raised by one, so that R's work at x
    /// (FieldOfExperts' curvatures) is shared by all products, as in CG on the lower-level Hessian.
    public func hessianOperator(at x: Grid, shift: Double) -> SymmetricOperator {
        regularizer.hessianOperator(at: x, shift: shift + 1)
    }

    /// out ← v + ∇²R(x) v.
    public func hessianVectorProduct(_ x: Grid, direction v: Grid, into out: inout Grid) {
        regularizer.hessianVectorProduct(x, direction: v, into: &out)
        out.add(v)
    }
}

/// A smooth functional that also provides Hessian-vector products ∇²f(x) v, the second-order
/// piece of implicit differentiation (bilevel learning solves ∇²ₓₓh(x̂) q = ∇g(x̂) by CG).
public protocol TwiceDifferentiableFunctional: SmoothFunctional {
    /// out ← ∇²f(x) v (overwrites out; all shapes equal x's).
    func hessianVectorProduct(_ x: Grid, direction v: Grid, into out: inout Grid)
    /// ∇²f(x) + shift·I as a matrix-free symmetric operator (what ``hessian(at:shift:)`` returns).
    /// Implement it when products at one x can share work (``FieldOfExperts`` computes its
    /// curvatures once); the default calls ``hessianVectorProduct(_:direction:into:)``.
    func hessianOperator(at x: Grid, shift: Double) -> SymmetricOperator
}

extension TwiceDifferentiableFunctional {
    /// The Hessian at `x` plus `shift`·I as a matrix-free symmetric operator v ↦ ∇²f(x) v + shift·v
    /// (shift = 1 gives the Hessian of ½‖x − y‖² + f(x)), for ``ConjugateGradient``.
    public func hessian(at x: Grid, shift: Double = 0) -> SymmetricOperator { hessianOperator(at: x, shift: shift) }

    /// Default: v ↦ ``hessianVectorProduct(_:direction:into:)`` + shift·v.
    public func hessianOperator(at x: Grid, shift: Double) -> SymmetricOperator {
        let f = self
        return SymmetricOperator(shape: x.shape) { v, out in
            f.hessianVectorProduct(x, direction: v, into: &out)
            if shift != 0 { out.axpy(shift, v) }
        }
    }
}

extension SquaredL2Distance: TwiceDifferentiableFunctional {}
extension SmoothedTV: TwiceDifferentiableFunctional {}
extension FieldOfExperts: TwiceDifferentiableFunctional {}

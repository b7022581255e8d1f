/// A symmetric linear operator given by a closure x ↦ A x (adjoint = apply): the matrix-free
/// form used with ``ConjugateGradient`` (Hessian-vector products, normal equations).
public struct SymmetricOperator: LinearOperator {
    /// The shape of x and A x.
    public let shape: Shape
    let action: @Sendable (Grid, inout Grid) -> Void

    /// A on grids of `shape`, given as `action(x, &y)` setting y ← A x.
    public init(shape: Shape, _ action: @escaping @Sendable (Grid, inout Grid) -> Void) {
        self.shape = shape
        self.action = action
    }
    /// `shape`.
    public var domain: Shape { shape }
    /// `shape`.
    public var range: Shape { shape }
    /// y ← A x.
    public func apply(_ x: Grid, into y: inout Grid) { action(x, &y) }
    /// x ← Aᵀ y = A y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { action(y, &x) }
    /// "symmetric(shape)".
    public var name: String { "symmetric(\(shape))" }
}

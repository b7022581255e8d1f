/// A differentiable functional with a gradient, and the Lipschitz constant of that gradient
/// when one is known.
///
/// The allocation-free entry points ``value(_:workspace:)`` and
/// ``valueAndGradient(_:gradient:workspace:)`` take a scratch grid of shape ``workspaceShape``
/// that a solver allocates once in its `init`; the defaults forward to the allocating
/// ``Functional/value(_:)`` and ``gradient(_:into:)``.
public protocol SmoothFunctional: Functional {
    /// g ← ∇f(x) (overwrites g; `g.shape == x.shape`).
    func gradient(_ x: Grid, into g: inout Grid)
    /// L with ‖∇f(x) − ∇f(z)‖ ≤ L‖x − z‖ for all x, z, or `nil` when no bound is known.
    var lipschitzConstant: Double? { get }
    /// Shape of the scratch grid the allocation-free entry points need; `nil` when none.
    var workspaceShape: Shape? { get }
    /// f(x), using `workspace` (shape ``workspaceShape``) instead of allocating.
    func value(_ x: Grid, workspace: inout Grid) -> Double
    /// Returns f(x) and sets g ← ∇f(x), using `workspace` (shape ``workspaceShape``).
    func valueAndGradient(_ x: Grid, gradient g: inout Grid, workspace: inout Grid) -> Double
}

extension SmoothFunctional {
    /// No scratch needed by default.
    public var workspaceShape: Shape? { nil }

    /// Default: ``Functional/value(_:)``.
    public func value(_ x: Grid, workspace: inout Grid) -> Double { value(x) }

    /// Default: ``Functional/value(_:)`` then ``gradient(_:into:)``.
    public func valueAndGradient(_ x: Grid, gradient g: inout Grid, workspace: inout Grid) -> Double {
        gradient(x, into: &g)
        return value(x, workspace: &workspace)
    }

    /// A scratch grid of ``workspaceShape`` (a one-element grid when none is needed).
    public func makeWorkspace() -> Grid { Grid(shape: workspaceShape ?? Shape(1)) }

    /// ∇f(x) into a new grid.
    public func gradient(_ x: Grid) -> Grid {
        var g = Grid(shape: x.shape)
        gradient(x, into: &g)
        return g
    }
}

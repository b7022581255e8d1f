/// A linear map A: ℝ^domain → ℝ^range with an explicit adjoint Aᵀ under the Euclidean
/// inner product ⟨x, y⟩ = Σ xᵢ yᵢ.
///
/// One call processes a whole grid, so calls through `any LinearOperator` cost nothing
/// measurable; solvers are generic over the operator anyway. Complex-valued ranges (Fourier
/// sampling) are represented as real grids with a trailing dimension of 2 (real, imaginary),
/// which is the real inner product Re⟨u, v⟩ of the complex space.
public protocol LinearOperator: Sendable {
    /// Shape of x.
    var domain: Shape { get }
    /// Shape of A x.
    var range: Shape { get }
    /// y ← A x (overwrites y; `y.shape == range`).
    func apply(_ x: Grid, into y: inout Grid)
    /// x ← Aᵀ y (overwrites x; `x.shape == domain`).
    func applyAdjoint(_ y: Grid, into x: inout Grid)
    /// A short name for reports ("gradient2d(64×64)").
    var name: String { get }
}

extension LinearOperator {
    public var name: String { String(describing: Self.self) }

    /// A x into a new grid.
    @inlinable
    public func callAsFunction(_ x: Grid) -> Grid {
        var y = Grid(shape: range)
        apply(x, into: &y)
        return y
    }

    /// Aᵀ y into a new grid.
    @inlinable
    public func adjoint(_ y: Grid) -> Grid {
        var x = Grid(shape: domain)
        applyAdjoint(y, into: &x)
        return x
    }

    /// x ← AᵀA v using `scratch` (shape `range`) as workspace.
    @inlinable
    public func normal(_ v: Grid, into x: inout Grid, scratch: inout Grid) {
        apply(v, into: &scratch)
        applyAdjoint(scratch, into: &x)
    }

    /// The adjoint view Aᵀ (a struct; `A.transposed.transposed` has A's behaviour).
    @inlinable
    public var transposed: Adjoint<Self> { Adjoint(self) }
}

/// Aᵀ as an operator: swaps apply and applyAdjoint.
public struct Adjoint<Base: LinearOperator>: LinearOperator {
    public let base: Base
    @inlinable public init(_ base: Base) { self.base = base }
    @inlinable public var domain: Shape { base.range }
    @inlinable public var range: Shape { base.domain }
    @inlinable public func apply(_ x: Grid, into y: inout Grid) { base.applyAdjoint(x, into: &y) }
    @inlinable public func applyAdjoint(_ y: Grid, into x: inout Grid) { base.apply(y, into: &x) }
    public var name: String { "adjoint(\(base.name))" }
    /// (Aᵀ)ᵀ = A.
    @inlinable public var transposed: Base { base }
}

/// Outer ∘ Inner: x ↦ Outer(Inner(x)). Holds one intermediate buffer per call.
public struct Composition<Outer: LinearOperator, Inner: LinearOperator>: LinearOperator {
    public let outer: Outer
    public let inner: Inner
    public init(_ outer: Outer, _ inner: Inner) {
        precondition(outer.domain.count == inner.range.count,
                     "Composition: \(outer.name) takes \(outer.domain), \(inner.name) gives \(inner.range)")
        self.outer = outer
        self.inner = inner
    }
    public var domain: Shape { inner.domain }
    public var range: Shape { outer.range }
    public func apply(_ x: Grid, into y: inout Grid) {
        var t = Grid(shape: outer.domain)
        var ix = Grid(shape: inner.range)
        inner.apply(x, into: &ix)
        t.assign(ix)
        outer.apply(t, into: &y)
    }
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        var t = Grid(shape: outer.domain)
        outer.applyAdjoint(y, into: &t)
        inner.applyAdjoint(t.reshaped(inner.range), into: &x)
    }
    public var name: String { "\(outer.name)∘\(inner.name)" }
}

/// A + B (same domain and range).
public struct OperatorSum<A: LinearOperator, B: LinearOperator>: LinearOperator {
    public let first: A
    public let second: B
    public init(_ first: A, _ second: B) {
        precondition(first.domain == second.domain && first.range == second.range,
                     "OperatorSum: shapes differ (\(first.domain)→\(first.range) vs \(second.domain)→\(second.range))")
        self.first = first
        self.second = second
    }
    public var domain: Shape { first.domain }
    public var range: Shape { first.range }
    public func apply(_ x: Grid, into y: inout Grid) {
        first.apply(x, into: &y)
        var t = Grid(shape: range)
        second.apply(x, into: &t)
        y.add(t)
    }
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        first.applyAdjoint(y, into: &x)
        var t = Grid(shape: domain)
        second.applyAdjoint(y, into: &t)
        x.add(t)
    }
    public var name: String { "(\(first.name)+\(second.name))" }
}

/// α·A.
public struct ScaledOperator<Base: LinearOperator>: LinearOperator {
    public let base: Base
    public let factor: Double
    public init(_ factor: Double, _ base: Base) { self.factor = factor; self.base = base }
    public var domain: Shape { base.domain }
    public var range: Shape { base.range }
    public func apply(_ x: Grid, into y: inout Grid) { base.apply(x, into: &y); y.scale(by: factor) }
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { base.applyAdjoint(y, into: &x); x.scale(by: factor) }
    public var name: String { "\(factor)·\(base.name)" }
}

/// The identity on a shape.
public struct IdentityOperator: LinearOperator {
    public let shape: Shape
    public init(_ shape: Shape) { self.shape = shape }
    public var domain: Shape { shape }
    public var range: Shape { shape }
    public func apply(_ x: Grid, into y: inout Grid) { y.assign(x) }
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { x.assign(y) }
    public var name: String { "identity(\(shape))" }
}

/// Multiplication by a fixed grid of weights (e.g. sensor gains, a sampling mask): self-adjoint.
public struct DiagonalOperator: LinearOperator {
    public let weights: Grid
    public init(_ weights: Grid) { self.weights = weights }
    public var domain: Shape { weights.shape }
    public var range: Shape { weights.shape }
    public func apply(_ x: Grid, into y: inout Grid) { y.assign(x); y.multiply(elementwise: weights) }
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { x.assign(y); x.multiply(elementwise: weights) }
    public var name: String { "diagonal(\(weights.shape))" }
}

/// Sugar: A ∘ B, A + B, α * A.
public func * <A: LinearOperator, B: LinearOperator>(a: A, b: B) -> Composition<A, B> { Composition(a, b) }
public func + <A: LinearOperator, B: LinearOperator>(a: A, b: B) -> OperatorSum<A, B> { OperatorSum(a, b) }
public func * <A: LinearOperator>(s: Double, a: A) -> ScaledOperator<A> { ScaledOperator(s, a) }

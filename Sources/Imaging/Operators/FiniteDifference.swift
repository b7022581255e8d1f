/// Forward differences with Neumann boundary on a rank-1…3 shape: the engine behind
/// ``Gradient``, ``Gradient2D``, ``Gradient3D`` and the divergences.
///
/// Component a of the gradient (a = axis, slowest first) is
/// `(∂ₐx)[i] = x[i + eₐ] − x[i]` for `iₐ < nₐ − 1` and `0` on the last slice (Neumann).
/// Kernels run row by row (rows = lines along the last axis) with unit-stride inner loops, in
/// parallel over rows for large grids.
@usableFromInline
struct ForwardDifferences: Sendable {
    let shape: Shape
    /// Row length (last dimension) and number of rows.
    let width: Int, rows: Int
    /// Per axis: dimension and stride in elements.
    let dims: [Int], strides: [Int]

    init(shape: Shape) {
        precondition((1...3).contains(shape.rank), "Gradient: rank must be 1...3, got \(shape)")
        precondition(shape.count > 0, "Gradient: empty shape \(shape)")
        self.shape = shape
        width = shape[shape.rank - 1]
        rows = shape.count / width
        dims = shape.dimensions
        strides = shape.strides
    }

    /// Shape of the stacked gradient: `[rank] + shape`.
    var gradientShape: Shape { Shape([shape.rank] + shape.dimensions) }

    /// g ← ∇x (component a at offset a·N).
    func gradient(_ x: Grid, into g: inout Grid) {
        precondition(x.count == shape.count, "Gradient: input \(x.shape), expected \(shape)")
        precondition(g.count == shape.rank * shape.count, "Gradient: output \(g.shape), expected \(gradientShape)")
        let n = shape.count, w = width, rank = shape.rank
        let dims = self.dims, strides = self.strides
        x.storage.withUnsafeBufferPointer { xb in
            g.storage.withUnsafeMutableBufferPointer { gb in
                let xs = UnsafeSendableReadPointer(xb.baseAddress!), gs = UnsafeSendablePointer(gb.baseAddress!)
                parallelFor(count: rows, workPerItem: w &* rank &* 2) { rowRange in
                    let x = xs.base, g = gs.base
                    for r in rowRange {
                        let base = r &* w
                        for a in 0..<rank {
                            let out = g + (a &* n &+ base)
                            let src = x + base
                            if a == rank - 1 {
                                for j in 0..<(w &- 1) { out[j] = src[j &+ 1] - src[j] }
                                out[w &- 1] = 0
                            } else {
                                let s = strides[a]
                                let i = (base / s) % dims[a]
                                if i < dims[a] &- 1 {
                                    let next = src + s
                                    for j in 0..<w { out[j] = next[j] - src[j] }
                                } else {
                                    for j in 0..<w { out[j] = 0 }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// x ← ∇ᵀp = −div p (p has the gradient shape).
    ///
    /// Per axis: `(Dᵀq)[i] = q[i − eₐ]·[iₐ ≥ 1] − q[i]·[iₐ < nₐ − 1]`.
    func gradientAdjoint(_ p: Grid, into x: inout Grid, sign: Double) {
        precondition(p.count == shape.rank * shape.count, "Gradient adjoint: input \(p.shape), expected \(gradientShape)")
        precondition(x.count == shape.count, "Gradient adjoint: output \(x.shape), expected \(shape)")
        let n = shape.count, w = width, rank = shape.rank
        let dims = self.dims, strides = self.strides
        p.storage.withUnsafeBufferPointer { pb in
            x.storage.withUnsafeMutableBufferPointer { xb in
                let ps = UnsafeSendableReadPointer(pb.baseAddress!), xs = UnsafeSendablePointer(xb.baseAddress!)
                parallelFor(count: rows, workPerItem: w &* rank &* 2) { rowRange in
                    let p = ps.base, x = xs.base
                    for r in rowRange {
                        let base = r &* w
                        let out = x + base
                        for j in 0..<w { out[j] = 0 }
                        for a in 0..<rank {
                            let q = p + (a &* n &+ base)
                            if a == rank - 1 {
                                // out[j] += q[j-1] (j ≥ 1) − q[j] (j < w−1)
                                if w > 1 {
                                    out[0] -= q[0]
                                    for j in 1..<(w &- 1) { out[j] += q[j &- 1] - q[j] }
                                    out[w &- 1] += q[w &- 2]
                                }
                            } else {
                                let s = strides[a]
                                let i = (base / s) % dims[a]
                                if i >= 1 {
                                    let prev = q - s
                                    for j in 0..<w { out[j] += prev[j] }
                                }
                                if i < dims[a] &- 1 {
                                    for j in 0..<w { out[j] -= q[j] }
                                }
                            }
                        }
                        if sign != 1 {
                            for j in 0..<w { out[j] *= sign }
                        }
                    }
                }
            }
        }
    }
}

/// Discrete gradient ∇ on a rank-1, 2 or 3 grid: domain `shape` → range `[rank] + shape`.
///
/// Forward differences with Neumann boundary: component a (axis a, slowest first) is
/// `x[i + eₐ] − x[i]`, and 0 where `iₐ` is the last index. For an image, component 0 is
/// vertical (along y) and component 1 horizontal (along x). Adjoint ∇ᵀ = −div (``Divergence``).
/// ‖∇‖² ≤ 4·rank.
public struct Gradient: LinearOperator {
    let engine: ForwardDifferences
    /// A gradient on grids of `shape` (rank 1–3, non-empty).
    public init(shape: Shape) { engine = ForwardDifferences(shape: shape) }
    /// The grid shape.
    public var domain: Shape { engine.shape }
    /// `[rank] + domain`.
    public var range: Shape { engine.gradientShape }
    /// y ← ∇x.
    public func apply(_ x: Grid, into y: inout Grid) { engine.gradient(x, into: &y) }
    /// x ← ∇ᵀy = −div y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { engine.gradientAdjoint(y, into: &x, sign: 1) }
    /// "gradient1d(n)", "gradient2d(h×w)", "gradient3d(d×h×w)".
    public var name: String { "gradient\(domain.rank)d(\(domain))" }
}

/// Discrete divergence on a rank-1…3 grid: domain `[rank] + shape` → range `shape`,
/// defined as `div = −∇ᵀ` for the forward-difference ``Gradient`` (backward differences with
/// the matching boundary: `(div p)[i] = Σₐ pₐ[i]·[iₐ < nₐ−1] − pₐ[i − eₐ]·[iₐ ≥ 1]`).
/// Its adjoint is `−∇`.
public struct Divergence: LinearOperator {
    let engine: ForwardDifferences
    /// A divergence for vector fields over grids of `shape` (rank 1–3, non-empty).
    public init(shape: Shape) { engine = ForwardDifferences(shape: shape) }
    /// `[rank] + shape`.
    public var domain: Shape { engine.gradientShape }
    /// The grid shape.
    public var range: Shape { engine.shape }
    /// y ← div x = −∇ᵀx.
    public func apply(_ x: Grid, into y: inout Grid) { engine.gradientAdjoint(x, into: &y, sign: -1) }
    /// x ← divᵀy = −∇y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        engine.gradient(y, into: &x)
        x.scale(by: -1)
    }
    /// "divergence2d(h×w)" etc.
    public var name: String { "divergence\(range.rank)d(\(range))" }
}

/// Image gradient: domain (height, width) → range (2, height, width).
///
/// Component 0 = vertical forward difference `x[i+1, j] − x[i, j]` (0 on the last row),
/// component 1 = horizontal `x[i, j+1] − x[i, j]` (0 on the last column): Neumann boundary.
/// Adjoint ∇ᵀ = −``Divergence2D``.
public struct Gradient2D: LinearOperator {
    let engine: ForwardDifferences
    /// A gradient for images of `height` × `width` (both ≥ 1).
    public init(height: Int, width: Int) { engine = ForwardDifferences(shape: Shape(height, width)) }
    /// (height, width).
    public var domain: Shape { engine.shape }
    /// (2, height, width).
    public var range: Shape { engine.gradientShape }
    /// y ← ∇x.
    public func apply(_ x: Grid, into y: inout Grid) { engine.gradient(x, into: &y) }
    /// x ← ∇ᵀy = −div y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { engine.gradientAdjoint(y, into: &x, sign: 1) }
    /// "gradient2d(h×w)".
    public var name: String { "gradient2d(\(domain))" }
}

/// Volume gradient: domain (depth, height, width) → range (3, depth, height, width).
///
/// Components 0, 1, 2 are forward differences along z, y, x, each 0 on its last slice
/// (Neumann). Adjoint ∇ᵀ = −``Divergence3D``.
public struct Gradient3D: LinearOperator {
    let engine: ForwardDifferences
    /// A gradient for volumes of `depth` × `height` × `width` (all ≥ 1).
    public init(depth: Int, height: Int, width: Int) {
        engine = ForwardDifferences(shape: Shape(depth, height, width))
    }
    /// (depth, height, width).
    public var domain: Shape { engine.shape }
    /// (3, depth, height, width).
    public var range: Shape { engine.gradientShape }
    /// y ← ∇x.
    public func apply(_ x: Grid, into y: inout Grid) { engine.gradient(x, into: &y) }
    /// x ← ∇ᵀy = −div y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { engine.gradientAdjoint(y, into: &x, sign: 1) }
    /// "gradient3d(d×h×w)".
    public var name: String { "gradient3d(\(domain))" }
}

/// Image divergence: domain (2, height, width) → range (height, width), `div = −∇ᵀ` for
/// ``Gradient2D`` (backward differences; a component's last row/column is not subtracted,
/// its first contributes without a predecessor). Adjoint `−∇`.
public struct Divergence2D: LinearOperator {
    let engine: ForwardDifferences
    /// A divergence for vector fields over `height` × `width` images.
    public init(height: Int, width: Int) { engine = ForwardDifferences(shape: Shape(height, width)) }
    /// (2, height, width).
    public var domain: Shape { engine.gradientShape }
    /// (height, width).
    public var range: Shape { engine.shape }
    /// y ← div x.
    public func apply(_ x: Grid, into y: inout Grid) { engine.gradientAdjoint(x, into: &y, sign: -1) }
    /// x ← −∇y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        engine.gradient(y, into: &x)
        x.scale(by: -1)
    }
    /// "divergence2d(h×w)".
    public var name: String { "divergence2d(\(range))" }
}

/// Volume divergence: domain (3, depth, height, width) → range (depth, height, width),
/// `div = −∇ᵀ` for ``Gradient3D``. Adjoint `−∇`.
public struct Divergence3D: LinearOperator {
    let engine: ForwardDifferences
    /// A divergence for vector fields over `depth` × `height` × `width` volumes.
    public init(depth: Int, height: Int, width: Int) {
        engine = ForwardDifferences(shape: Shape(depth, height, width))
    }
    /// (3, depth, height, width).
    public var domain: Shape { engine.gradientShape }
    /// (depth, height, width).
    public var range: Shape { engine.shape }
    /// y ← div x.
    public func apply(_ x: Grid, into y: inout Grid) { engine.gradientAdjoint(x, into: &y, sign: -1) }
    /// x ← −∇y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        engine.gradient(y, into: &x)
        x.scale(by: -1)
    }
    /// "divergence3d(d×h×w)".
    public var name: String { "divergence3d(\(range))" }
}

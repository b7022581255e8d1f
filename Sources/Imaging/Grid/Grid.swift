#if canImport(Glibc)
import Glibc
#endif

/// The one array type of wb: rank 1–4, row-major, `Double` elements, value semantics.
///
/// `storage` is a contiguous `[Double]` whose copy-on-write gives cheap passing and safe
/// mutation. Hot code uses the in-place `mutating` methods (``axpy(_:_:)``, ``scale(by:)`` …)
/// and writes into preallocated grids; keep no stray copy of a grid you are about to mutate,
/// or every in-place update becomes a full copy.
public struct Grid: Sendable, Equatable {
    /// The shape; `shape.count == storage.count` always.
    public private(set) var shape: Shape
    /// Elements in row-major order.
    public var storage: [Double]

    /// A grid filled with `value`.
        public init(shape: Shape, repeating value: Double = 0) {
        self.shape = shape
        self.storage = [Double](repeating: value, count: shape.count)
    }

    /// A grid over existing storage; `storage.count` must equal `shape.count`.
        public init(shape: Shape, storage: [Double]) {
        precondition(storage.count == shape.count,
                     "Grid: storage has \(storage.count) elements, shape \(shape) needs \(shape.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A grid whose element at each multi-index is `f(flat index)`.
        public init(shape: Shape, generator f: (Int) -> Double) {
        self.shape = shape
        self.storage = (0..<shape.count).map(f)
    }

    /// An image of `height` rows and `width` columns, filled with `value`.
    @inlinable
    public static func image(height: Int, width: Int, repeating value: Double = 0) -> Grid {
        Grid(shape: Shape(height, width), repeating: value)
    }

    /// A volume of `depth` × `height` × `width`, filled with `value`.
    @inlinable
    public static func volume(depth: Int, height: Int, width: Int, repeating value: Double = 0) -> Grid {
        Grid(shape: Shape(depth, height, width), repeating: value)
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.rank }

    /// Element of a rank-1 grid (tests and setup code; not for hot loops).
    @inlinable
    public subscript(i: Int) -> Double {
        get { storage[i] }
        set { storage[i] = newValue }
    }

    /// Element (i, j) of a rank-2 grid.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { precondition(rank == 2); return storage[i * shape[1] + j] }
        set { precondition(rank == 2); storage[i * shape[1] + j] = newValue }
    }

    /// Element (i, j, k) of a rank-3 grid.
    @inlinable
    public subscript(i: Int, j: Int, k: Int) -> Double {
        get { precondition(rank == 3); return storage[(i * shape[1] + j) * shape[2] + k] }
        set { precondition(rank == 3); storage[(i * shape[1] + j) * shape[2] + k] = newValue }
    }

    /// Element (i, j, k, l) of a rank-4 grid.
    @inlinable
    public subscript(i: Int, j: Int, k: Int, l: Int) -> Double {
        get { precondition(rank == 4); return storage[((i * shape[1] + j) * shape[2] + k) * shape[3] + l] }
        set { precondition(rank == 4); storage[((i * shape[1] + j) * shape[2] + k) * shape[3] + l] = newValue }
    }

    /// The same elements under another shape with the same count.
    @inlinable
    public func reshaped(_ newShape: Shape) -> Grid {
        precondition(newShape.count == shape.count, "Grid.reshaped: \(shape) → \(newShape) changes the count")
        return Grid(shape: newShape, storage: storage)
    }

    /// Changes the shape in place (same count).
        public mutating func reshape(_ newShape: Shape) {
        precondition(newShape.count == shape.count, "Grid.reshape: \(shape) → \(newShape) changes the count")
        shape = newShape
    }

    /// Frame `index` along the first axis (e.g. one image of a stack), as a grid of rank − 1.
    @inlinable
    public func slice(_ index: Int) -> Grid {
        precondition(rank >= 2, "Grid.slice needs rank ≥ 2")
        precondition(index >= 0 && index < shape[0], "Grid.slice: index \(index) out of 0..<\(shape[0])")
        let sub = Shape(Array(shape.dimensions.dropFirst()))
        let n = sub.count
        return Grid(shape: sub, storage: Array(storage[index * n ..< (index + 1) * n]))
    }

    /// Stacks grids of equal shape along a new first axis.
    public static func stack(_ frames: [Grid]) -> Grid {
        precondition(!frames.isEmpty, "Grid.stack: no frames")
        let s = frames[0].shape
        precondition(s.rank < 4, "Grid.stack: frames of rank 4 cannot be stacked")
        precondition(frames.allSatisfy { $0.shape == s }, "Grid.stack: frames differ in shape")
        var out = [Double]()
        out.reserveCapacity(s.count * frames.count)
        for f in frames { out.append(contentsOf: f.storage) }
        return Grid(shape: Shape([frames.count] + s.dimensions), storage: out)
    }

    /// Index and value of the first NaN or infinity, if any.
    @inlinable
    public var firstNonFinite: (index: Int, value: Double)? {
        storage.withUnsafeBufferPointer { p in
            for i in 0..<p.count where !p[i].isFinite { return (i, p[i]) }
            return nil
        }
    }

    /// True when every element is finite.
    @inlinable
    public var isFinite: Bool { firstNonFinite == nil }

    /// The multi-index of a flat index, slowest first (for error messages).
    public func multiIndex(_ flat: Int) -> [Int] {
        var rest = flat
        var idx = [Int](repeating: 0, count: rank)
        for a in stride(from: rank - 1, through: 0, by: -1) {
            idx[a] = rest % shape[a]
            rest /= shape[a]
        }
        return idx
    }
}

/// The shape of a ``Grid``: rank 1 to 4, row-major, slowest dimension first.
///
/// Images are `(y, x)`, stacks `(n, y, x)`, volumes `(z, y, x)`. Stored inline (no heap
/// allocation), so comparing and passing shapes is free in hot code.
@frozen
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    /// Number of dimensions, 1...4.
    public let rank: Int
    @usableFromInline let d0: Int, d1: Int, d2: Int, d3: Int

    /// A shape from its dimensions, slowest first. Each dimension must be ≥ 0 and the rank 1...4.
    @inlinable
    public init(_ dimensions: [Int]) {
        precondition((1...4).contains(dimensions.count), "Shape: rank must be 1...4, got \(dimensions.count)")
        precondition(dimensions.allSatisfy { $0 >= 0 }, "Shape: negative dimension in \(dimensions)")
        rank = dimensions.count
        d0 = dimensions[0]
        d1 = dimensions.count > 1 ? dimensions[1] : 1
        d2 = dimensions.count > 2 ? dimensions[2] : 1
        d3 = dimensions.count > 3 ? dimensions[3] : 1
    }

    /// A shape from its dimensions, slowest first: `Shape(256, 256)`.
    @inlinable
    public init(_ dimensions: Int...) { self.init(dimensions) }

    /// The dimensions, slowest first.
    @inlinable
    public var dimensions: [Int] { Array([d0, d1, d2, d3].prefix(rank)) }

    /// Dimension `i` (0-based, slowest first).
    @inlinable
    public subscript(i: Int) -> Int {
        precondition(i >= 0 && i < rank, "Shape: axis \(i) out of range for rank \(rank)")
        switch i {
        case 0: return d0
        case 1: return d1
        case 2: return d2
        default: return d3
        }
    }

    /// Number of elements.
    @inlinable
    public var count: Int { d0 * d1 * d2 * d3 }

    /// Row-major strides in elements, slowest first.
    @inlinable
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: rank)
        var acc = 1
        for i in stride(from: rank - 1, through: 0, by: -1) { s[i] = acc; acc *= self[i] }
        return s
    }

    /// The last two dimensions as (rows, columns); a rank-1 shape is one row.
    @inlinable
    public var lastTwo: (rows: Int, columns: Int) {
        rank == 1 ? (1, d0) : (self[rank - 2], self[rank - 1])
    }

    /// "512×512" style.
    public var description: String { dimensions.map(String.init).joined(separator: "×") }
}

#if canImport(Glibc)
import Glibc
#endif

/// Reductions. Sums use four independent accumulators, which lets LLVM vectorise the loop and
/// is more accurate than one running sum; results are deterministic for a given count.
extension Grid {
    /// ⟨self, other⟩ = Σ selfᵢ·otherᵢ.
    @inlinable
    public func dot(_ other: Grid) -> Double {
        precondition(other.count == count, "Grid.dot: \(other.shape) and \(shape) differ in size")
        return storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                Grid.pairwiseSum(count: a.count) { a[$0] * b[$0] }
            }
        }
    }

    /// ‖self‖² = Σ selfᵢ².
    @inlinable
    public var squaredNorm: Double {
        storage.withUnsafeBufferPointer { a in Grid.pairwiseSum(count: a.count) { a[$0] * a[$0] } }
    }

    /// ‖self‖ (Euclidean).
    @inlinable
    public var norm: Double { squaredNorm.squareRoot() }

    /// Σ selfᵢ.
    @inlinable
    public var sum: Double {
        storage.withUnsafeBufferPointer { a in Grid.pairwiseSum(count: a.count) { a[$0] } }
    }

    /// Mean of the elements (0 for an empty grid).
    @inlinable
    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// Largest element (−∞ for an empty grid; NaN elements are skipped).
    @inlinable
    public var max: Double {
        storage.withUnsafeBufferPointer { p in
            var m = -Double.infinity
            for v in p where v > m { m = v }
            return m
        }
    }

    /// Smallest element (+∞ for an empty grid; NaN elements are skipped).
    @inlinable
    public var min: Double {
        storage.withUnsafeBufferPointer { p in
            var m = Double.infinity
            for v in p where v < m { m = v }
            return m
        }
    }

    /// ‖self − other‖² without allocating.
    @inlinable
    public func squaredDistance(to other: Grid) -> Double {
        precondition(other.count == count, "Grid.squaredDistance: \(other.shape) and \(shape) differ in size")
        return storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                Grid.pairwiseSum(count: a.count) { let d = a[$0] - b[$0]; return d * d }
            }
        }
    }

    /// max |selfᵢ − otherᵢ|.
    @inlinable
    public func maxAbsDifference(_ other: Grid) -> Double {
        precondition(other.count == count)
        return storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                var m = 0.0
                for i in 0..<a.count { m = Swift.max(m, abs(a[i] - b[i])) }
                return m
            }
        }
    }

    /// Sum of `term(i)` for i in 0..<count with four accumulators.
    @inlinable
    static func pairwiseSum(count n: Int, _ term: (Int) -> Double) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i &+ 4 <= n {
            s0 += term(i); s1 += term(i &+ 1); s2 += term(i &+ 2); s3 += term(i &+ 3)
            i &+= 4
        }
        while i < n { s0 += term(i); i &+= 1 }
        return (s0 + s1) + (s2 + s3)
    }
}

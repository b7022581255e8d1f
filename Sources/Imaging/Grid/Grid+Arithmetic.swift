/// In-place arithmetic. All methods run over unsafe buffers with unit stride so LLVM vectorises
/// them; none allocates.
extension Grid {
    /// Sets every element to `value`.
    @inlinable
    public mutating func fill(_ value: Double) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = value }
        }
    }

    /// Copies `other` (same count) into this grid without reallocating.
    @inlinable
    public mutating func assign(_ other: Grid) {
        precondition(other.count == count, "Grid.assign: \(other.shape) into \(shape)")
        storage.withUnsafeMutableBufferPointer { d in
            other.storage.withUnsafeBufferPointer { s in
                d.baseAddress!.update(from: s.baseAddress!, count: s.count)
            }
        }
    }

    /// self ← a·self.
    @inlinable
    public mutating func scale(by a: Double) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] *= a }
        }
    }

    /// self ← self + a (every element).
    @inlinable
    public mutating func add(scalar a: Double) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] += a }
        }
    }

    /// self ← self + other.
    @inlinable
    public mutating func add(_ other: Grid) { axpy(1, other) }

    /// self ← self − other.
    @inlinable
    public mutating func subtract(_ other: Grid) { axpy(-1, other) }

    /// self ← self + a·x.
    @inlinable
    public mutating func axpy(_ a: Double, _ x: Grid) {
        precondition(x.count == count, "Grid.axpy: \(x.shape) and \(shape) differ in size")
        storage.withUnsafeMutableBufferPointer { y in
            x.storage.withUnsafeBufferPointer { x in
                for i in 0..<y.count { y[i] += a * x[i] }
            }
        }
    }

    /// self ← a·x + b·self.
    @inlinable
    public mutating func axpby(_ a: Double, _ x: Grid, _ b: Double) {
        precondition(x.count == count, "Grid.axpby: \(x.shape) and \(shape) differ in size")
        storage.withUnsafeMutableBufferPointer { y in
            x.storage.withUnsafeBufferPointer { x in
                for i in 0..<y.count { y[i] = a * x[i] + b * y[i] }
            }
        }
    }

    /// self ← self ⊙ other (elementwise product).
    @inlinable
    public mutating func multiply(elementwise other: Grid) {
        precondition(other.count == count, "Grid.multiply: \(other.shape) and \(shape) differ in size")
        storage.withUnsafeMutableBufferPointer { y in
            other.storage.withUnsafeBufferPointer { x in
                for i in 0..<y.count { y[i] *= x[i] }
            }
        }
    }

    /// Clamps every element to `lower...upper`.
    @inlinable
    public mutating func clamp(to range: ClosedRange<Double>) {
        let lo = range.lowerBound, hi = range.upperBound
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
        }
    }

    /// Applies `f` to every element in place.
    @inlinable
    public mutating func transform(_ f: (Double) -> Double) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = f(p[i]) }
        }
    }

    /// A new grid with `f` applied to every element.
    @inlinable
    public func map(_ f: (Double) -> Double) -> Grid {
        var out = self
        out.transform(f)
        return out
    }

    /// Sum (readability in tests and setup code; solvers use the in-place forms).
    @inlinable
    public static func + (a: Grid, b: Grid) -> Grid { var c = a; c.add(b); return c }
    /// Difference.
    @inlinable
    public static func - (a: Grid, b: Grid) -> Grid { var c = a; c.subtract(b); return c }
    /// Scalar multiple.
    @inlinable
    public static func * (s: Double, a: Grid) -> Grid { var c = a; c.scale(by: s); return c }
}

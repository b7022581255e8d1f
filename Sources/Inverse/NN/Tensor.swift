import Imaging

/// A dense, row-major n-dimensional array of a kit scalar: the one tensor type of the NN kit.
///
/// Layout is **batch-major**: the first axis is the batch (samples), then features — `[B, F]` for
/// dense layers, `[B, C, L]` for 1-D convolutions, `[B, C, H, W]` for 2-D convolutions (PyTorch's
/// NCL/NCHW, so weights and data exchange with PyTorch without transposition). Value semantics over
/// a contiguous `[Scalar]` (copy-on-write); hot code works on `withUnsafeBufferPointer`.
public struct Tensor<Scalar: NNScalar>: Sendable, Equatable {
    /// Extent of every axis, slowest first. Rank ≥ 1.
    public private(set) var shape: [Int]
    /// The elements, row-major.
    public var storage: [Scalar]

    /// A tensor of `shape` filled with `value`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public init(shape: [Int], repeating value: Scalar = 0) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 }, "Tensor: invalid shape \(shape)")
        self.shape = shape
        self.storage = [Scalar](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `storage` (row-major; the count must match).
    public init(shape: [Int], storage: [Scalar]) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 }, "Tensor: invalid shape \(shape)")
        precondition(storage.count == shape.reduce(1, *),
                     "Tensor: \(storage.count) elements do not fill shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of `shape` whose elements are left uninitialised, for outputs that the caller
    /// overwrites completely before any read (GEMM with β = 0, elementwise maps). Saves the
    /// zero-fill pass (measured ~8 % of a training step of a wide MLP).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    init(uninitializedShape shape: [Int]) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 }, "Tensor: invalid shape \(shape)")
        let n = shape.reduce(1, *)
        self.shape = shape
        self.storage = [Scalar](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
    }

    /// Converts between scalar types (Double ↔ Float), element by element.
    public init<Other: NNScalar>(_ other: Tensor<Other>) {
        self.shape = other.shape
        self.storage = other.storage.map { Scalar($0) }
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of axes.
    @inlinable public var rank: Int { shape.count }
    /// Extent of the first (batch) axis.
    @inlinable public var batchSize: Int { shape[0] }
    /// Elements per sample (product of all axes but the first).
    @inlinable public var sampleCount: Int { shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1 }

    /// Flat element access.
    @inlinable public subscript(i: Int) -> Scalar {
        get { storage[i] }
        set { storage[i] = newValue }
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "Tensor.reshaped: \(shape) → \(newShape) changes the element count")
        return Tensor(shape: newShape, storage: storage)
    }

    /// Changes the shape in place (same element count).
    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == count, "Tensor.reshape: \(shape) → \(newShape) changes the element count")
        shape = newShape
    }

    /// Sets every element to zero without reallocating.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func zero() {
        storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// `self += alpha * other` (same element count).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func add(_ other: Tensor, scaledBy alpha: Scalar = 1) {
        let n = count
        precondition(other.count == n, "Tensor.add: element counts differ (\(n) vs \(other.count))")
        guard n > 0 else { return }
        storage.withUnsafeMutableBufferPointer { y in
            other.storage.withUnsafeBufferPointer { x in
                Scalar.axpy(count: n, alpha: alpha, x: x.baseAddress!, y: y.baseAddress!)
            }
        }
    }

    /// Multiplies every element by `alpha`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func scale(by alpha: Scalar) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] *= alpha }
        }
    }

    /// Σ self·other over all elements (four accumulators, accumulated in Double).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func dot(_ other: Tensor) -> Double {
        precondition(other.count == count, "Tensor.dot: element counts differ (\(count) vs \(other.count))")
        return storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                let n = a.count, n4 = n & ~3
                var i = 0
                while i < n4 {
                    s0 += Double(a[i] * b[i]); s1 += Double(a[i + 1] * b[i + 1])
                    s2 += Double(a[i + 2] * b[i + 2]); s3 += Double(a[i + 3] * b[i + 3])
                    i += 4
                }
                while i < n { s0 += Double(a[i] * b[i]); i += 1 }
                return (s0 + s1) + (s2 + s3)
            }
        }
    }

    /// Σ self² (in Double).
    public var squaredNorm: Double { dot(self) }

    /// True when every element is finite.
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// A tensor with every element drawn from N(0, 1) by `rng` (Double draws, converted).
    public static func gaussian(shape: [Int], rng: inout RandomSource) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = Scalar(rng.gaussian()) }
        return t
    }

    /// A tensor with every element drawn uniformly from [lower, upper) by `rng`.
    public static func uniform(shape: [Int], lower: Double, upper: Double, rng: inout RandomSource) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = Scalar(lower + (upper - lower) * rng.uniform()) }
        return t
    }
}

extension Tensor {
    /// The tensor of samples `range` of the batch axis (a copy).
    public func samples(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= batchSize, "Tensor.samples: \(range) outside batch of \(batchSize)")
        let per = sampleCount
        var s = shape
        s[0] = range.count
        return Tensor(shape: s, storage: Array(storage[(range.lowerBound * per)..<(range.upperBound * per)]))
    }

    /// The tensor of the samples at `indices` of the batch axis, in that order (a copy).
    public func gathering(samples indices: [Int]) -> Tensor {
        let per = sampleCount
        var s = shape
        s[0] = indices.count
        var out = Tensor(shape: s)
        out.storage.withUnsafeMutableBufferPointer { dst in
            storage.withUnsafeBufferPointer { src in
                for (j, i) in indices.enumerated() {
                    precondition(i >= 0 && i < batchSize, "Tensor.gathering: sample \(i) outside batch of \(batchSize)")
                    (dst.baseAddress! + j * per).update(from: src.baseAddress! + i * per, count: per)
                }
            }
        }
        return out
    }
}

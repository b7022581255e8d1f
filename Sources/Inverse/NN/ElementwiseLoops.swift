import Imaging

/// A raw pointer that may cross into the `@Sendable` bodies of ``parallelFor(count:workPerItem:_:)``
/// in the NN kit's elementwise loops. Contract as Imaging's `SharedBuffers`: the memory outlives
/// the loop and every worker writes only the elements of its own index range.
@usableFromInline
struct NNSendablePointer<Scalar>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Scalar>
    @inlinable init(_ base: UnsafeMutablePointer<Scalar>) { self.base = base }
    @inlinable init(_ base: UnsafePointer<Scalar>) { self.base = UnsafeMutablePointer(mutating: base) }
}

/// Runs `body` over disjoint chunks of `0..<count`, on both cores when the loop is large enough
/// (`workPerElement` ≈ flops per element; small loops run on the calling thread).
@inlinable
func elementwiseLoop(count: Int, workPerElement: Int, _ body: @Sendable (Range<Int>) -> Void) {
    // Below ~32 k elements one core is faster than dispatching (and far better on a loaded machine).
    if count < 32_768 {
        if count > 0 { body(0..<count) }
        return
    }
    // Chunks of 1 024 elements are the parallel items, so dispatch overhead stays negligible.
    let chunk = 1024
    let items = (count + chunk - 1) / chunk
    parallelFor(count: items, workPerItem: chunk * workPerElement) { r in
        body((r.lowerBound * chunk)..<Swift.min(count, r.upperBound * chunk))
    }
}

extension Tensor {
    /// A tensor of `shape` whose every element is one.
    public static func ones(shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// Calls `body` with the base address of the elements (nil-free even for empty tensors is not
    /// guaranteed: callers check `count > 0`).
    @inlinable
    func withBase<R>(_ body: (UnsafePointer<Scalar>) -> R) -> R {
        storage.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Mutable counterpart of ``withBase(_:)``.
    @inlinable
    mutating func withMutableBase<R>(_ body: (UnsafeMutablePointer<Scalar>) -> R) -> R {
        storage.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}

import Dispatch
import Synchronization
internal import CBLAS

/// Compute-thread setting shared by wb's parallel loops, FFTW plans and OpenBLAS.
///
/// wb uses one level of parallelism at a time (never BLAS threads × FFTW threads ×
/// `concurrentPerform`): the setting is a single number that all three read.
public enum ComputeThreads {
    static let storage = Atomic<Int>(ComputeThreads.defaultCount)

    static var defaultCount: Int {
        #if canImport(Glibc)
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        let n = 2
        #endif
        return Swift.max(1, Swift.min(n, 64))
    }

    /// Number of threads wb's parallel loops, FFT plans and BLAS calls use (default: online cores).
    public static var count: Int {
        get { storage.load(ordering: .relaxed) }
    }

    /// Sets the thread count for all of wb (loops, FFTW plans created afterwards, OpenBLAS).
    public static func set(_ n: Int) {
        precondition(n >= 1, "ComputeThreads.set: thread count must be ≥ 1")
        storage.store(n, ordering: .relaxed)
        openblas_set_num_threads(Int32(n))
    }

    /// The number of online processors.
    public static var available: Int { defaultCount }
}

#if canImport(Glibc)
import Glibc
#endif

/// A pointer wrapper that may cross into `concurrentPerform`'s `@Sendable` closure.
///
/// This is the one audited escape hatch for parallel loops in wb: each worker receives a
/// disjoint index range, so no two threads touch the same element.
@usableFromInline
struct UnsafeSendablePointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<T>
    @inlinable init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// Read-only counterpart of ``UnsafeSendablePointer``.
@usableFromInline
struct UnsafeSendableReadPointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafePointer<T>
    @inlinable init(_ base: UnsafePointer<T>) { self.base = base }
}

/// Runs `body(range)` over disjoint chunks of `0..<count` on ``ComputeThreads/count`` threads.
///
/// - Parameters:
///   - count: number of items (rows, frames …).
///   - workPerItem: rough number of floating-point operations per item; loops with fewer than
///     ~10⁵ operations in total run on the calling thread, because dispatch costs more than it saves.
///   - body: processes one chunk; must only write to elements of its own items.
@inlinable
public func parallelFor(count: Int, workPerItem: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
    let threads = ComputeThreads.count
    if threads <= 1 || count < 2 || count &* Swift.max(workPerItem, 1) < 100_000 {
        if count > 0 { body(0..<count) }
        return
    }
    let chunks = Swift.min(count, threads * 2)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = c * count / chunks, hi = (c + 1) * count / chunks
        if lo < hi { body(lo..<hi) }
    }
}

extension Grid {
    /// Runs `body(rows, dst, src)` on disjoint row ranges in parallel, where rows are the items
    /// along the first axis of `self` and `source` (equal first dimensions), and `dst`/`src` are
    /// base pointers to the full storage. The body must only write rows in its range.
    @inlinable
    public mutating func parallelRows(reading source: Grid, workPerRow: Int,
                                      _ body: @Sendable (Range<Int>, UnsafeMutablePointer<Double>, UnsafePointer<Double>) -> Void) {
        let rows = shape[0]
        storage.withUnsafeMutableBufferPointer { d in
            source.storage.withUnsafeBufferPointer { s in
                guard let db = d.baseAddress, let sb = s.baseAddress else { return }
                let dp = UnsafeSendablePointer(db), sp = UnsafeSendableReadPointer(sb)
                parallelFor(count: rows, workPerItem: workPerRow) { r in body(r, dp.base, sp.base) }
            }
        }
    }
}

/// Base pointers of caller-owned buffers handed to the workers of
/// ``parallelFor(count:workPerItem:sharing:_:)``: the public form of wb's one audited escape hatch
/// for parallel loops, for solvers outside Imaging that keep their work buffers as raw storage.
///
/// Contract (the caller's, as for ``UnsafeSendablePointer``): the memory stays allocated for the
/// whole loop, and during one loop every element is written by at most one worker and not read by
/// any other (workers own disjoint item ranges; reading elements nobody writes in that loop is fine).
public struct SharedBuffers<Element>: @unchecked Sendable {
    /// The base pointers, in the order given to ``init(_:)``.
    public let pointers: [UnsafeMutablePointer<Element>]
    /// Wraps `pointers` (built once, outside any hot loop: the array is not copied per loop).
    public init(_ pointers: [UnsafeMutablePointer<Element>]) { self.pointers = pointers }
    /// The `i`-th base pointer.
    @inlinable public subscript(i: Int) -> UnsafeMutablePointer<Element> { pointers[i] }
}

/// Runs `body(range, buffers)` over disjoint chunks of `0..<count` on ``ComputeThreads/count``
/// threads, as ``parallelFor(count:workPerItem:_:)``, giving each worker the base pointers of
/// `buffers`. The body must write only elements belonging to the items of its range (see
/// ``SharedBuffers`` for the full contract).
@inlinable
public func parallelFor<Element>(count: Int, workPerItem: Int = 1, sharing buffers: SharedBuffers<Element>,
                                 _ body: @Sendable (Range<Int>, SharedBuffers<Element>) -> Void) {
    parallelFor(count: count, workPerItem: workPerItem) { range in body(range, buffers) }
}

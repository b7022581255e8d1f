import CBLAS
import Imaging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Batch-parallel execution of the NN kit's layer passes (threading design: docs/nn-kit.md,
/// "Threading").
///
/// A pass splits its batch into a **fixed** number of contiguous chunks that depends only on the
/// batch size and the work per sample — never on ``ComputeThreads`` — and runs the chunks on the
/// compute threads, each chunk with single-threaded BLAS calls. Parameter gradients are summed
/// per chunk and the chunk partials reduced in chunk order, so every result is bit-identical for
/// any thread count. OpenBLAS's own threading is off for the whole pass (see ``withSerialBLAS(_:)``):
/// it does not speed up the kit's shapes (measured, docs/benchmarks.md) and would oversubscribe
/// the cores inside the parallel region.
enum BatchParallel {
    /// Default minimum flops per chunk: below it dispatch costs more than the second core saves.
    static let defaultMinimumChunkWork = 1 << 20
    /// Upper bound on the chunk count (bounds the per-chunk gradient partials).
    static let maximumChunks = 16

    /// Number of chunks for `batch` samples of `workPerSample` flops each (≥ 1, ≤ batch).
    static func chunkCount(batch: Int, workPerSample: Int, minimumChunkWork: Int = defaultMinimumChunkWork) -> Int {
        guard batch > 1 else { return 1 }
        let samplesPerChunk = max(1, (minimumChunkWork + max(workPerSample, 1) - 1) / max(workPerSample, 1))
        return max(1, min(maximumChunks, batch / samplesPerChunk, batch))
    }

    /// Samples of chunk `c` of `chunks` over a batch of `batch`.
    @inline(__always)
    static func samples(_ c: Int, of chunks: Int, batch: Int) -> Range<Int> {
        (c * batch / chunks)..<((c + 1) * batch / chunks)
    }

    /// Number of workers that ``run(chunks:_:)`` uses for `chunks` chunks (worker indices are
    /// `0..<workers`; callers size per-worker scratch with it).
    static func workers(chunks: Int) -> Int { max(1, min(chunks, ComputeThreads.count)) }

    /// Runs `body(chunk, worker)` for every chunk in `0..<chunks`: worker `w` of
    /// ``workers(chunks:)`` takes a contiguous block of chunks, in order. BLAS is single-threaded
    /// throughout. `body` must write only memory of its own chunk or its own worker.
    /// `workers` (default ``workers(chunks:)``) lets a caller that sized per-worker scratch pass the
    /// count it used; `parallel: false` runs every chunk on the calling thread (timing comparisons).
    static func run(chunks: Int, workers: Int? = nil, parallel: Bool = true,
                    _ body: @Sendable (_ chunk: Int, _ worker: Int) -> Void) {
        _ = allocatorConfigured
        return withSerialBLAS {
            let w = parallel ? max(1, min(chunks, workers ?? Self.workers(chunks: chunks))) : 1
            if w == 1 {
                for c in 0..<chunks { body(c, 0) }
                return
            }
            // One parallel item per worker (parallelFor runs min(count, 2·threads) ≥ w items).
            parallelFor(count: w, workPerItem: 1 << 40) { r in
                for k in r {
                    for c in (k * chunks / w)..<((k + 1) * chunks / w) { body(c, k) }
                }
            }
        }
    }

    /// Keeps freed memory in the process (glibc `mallopt`, once, on the first NN pass): a training
    /// step frees and reallocates the same megabyte-sized activations every step, and glibc's
    /// default trims the heap top / unmaps large blocks on `free`, so every step faulted its
    /// activations in afresh (measured 12–15 % of a step of model (b) in the kernel's page
    /// clearing). Large blocks (< 256 MB) now come from the heap and the heap is trimmed only above
    /// 1 GB free, which costs at most the peak working set staying resident.
    private static let allocatorConfigured: Bool = {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which the Glibc module does not import.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {   // RTLD_DEFAULT
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 256 << 20)
            _ = mallopt(-1 /* M_TRIM_THRESHOLD */, 1 << 30)
        }
        #endif
        return true
    }()

    /// Runs `body` with OpenBLAS single-threaded (``ComputeThreads/withSerialBLAS(_:)``: nested
    /// and concurrent uses are fine).
    static func withSerialBLAS<R>(_ body: () -> R) -> R { ComputeThreads.withSerialBLAS(body) }
}

/// Scratch memory a layer keeps across calls (grown when a larger batch or geometry needs more,
/// never shrunk), so the hot path does not allocate.
final class ScratchBuffer<Scalar: NNScalar> {
    private(set) var base: UnsafeMutablePointer<Scalar>?
    private(set) var capacity = 0

    /// At least `count` scalars (contents unspecified).
    func pointer(count: Int) -> UnsafeMutablePointer<Scalar> {
        if count > capacity || base == nil {
            base?.deallocate()
            let n = max(count, 1)
            base = .allocate(capacity: n)
            base!.initialize(repeating: 0, count: n)
            capacity = n
        }
        return base!
    }

    deinit { base?.deallocate() }
}

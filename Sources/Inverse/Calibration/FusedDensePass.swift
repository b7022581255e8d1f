import CBLAS
import Imaging

/// Scratch for ``DenseSensing/fusedPass(_:into:adjoints:_:coefficients:)``: per-chunk row
/// coefficients, adjoint partials and partial sums, allocated once per solver run.
final class FusedPassWorkspace: @unchecked Sendable {
    let rows: Int
    let unknowns: Int
    /// Rows per block: one block of A (≈ 256 KB) stays in the core's L2 cache between the
    /// forward product and the two adjoint products.
    let blockRows: Int
    /// Fixed number of chunks (independent of the thread count, so sums are reproducible).
    let chunks: Int
    /// chunks × 2·blockRows: c1 then c2 of the current block of each chunk.
    let coefficients: UnsafeMutablePointer<Double>
    /// chunks × 2n: u1 then u2 partials of each chunk.
    let partials: UnsafeMutablePointer<Double>
    /// chunks partial scalar sums.
    let sums: UnsafeMutablePointer<Double>

    init(rows: Int, unknowns n: Int) {
        self.rows = rows
        unknowns = n
        blockRows = Swift.max(8, Swift.min(rows, 32_768 / Swift.max(n, 1)))
        let blocks = (rows + blockRows - 1) / blockRows
        chunks = Swift.max(1, Swift.min(4, blocks))
        coefficients = .allocate(capacity: chunks * 2 * blockRows)
        coefficients.initialize(repeating: 0, count: chunks * 2 * blockRows)
        partials = .allocate(capacity: chunks * 2 * n)
        partials.initialize(repeating: 0, count: chunks * 2 * n)
        sums = .allocate(capacity: chunks)
        sums.initialize(repeating: 0, count: chunks)
    }

    deinit {
        coefficients.deallocate()
        partials.deallocate()
        sums.deallocate()
    }
}

extension DenseSensing {
    /// One pass over the stacked matrix doing the work of three: v = A x, then for each block R
    /// of rows the caller's `coefficients(R, v_R, c1_R, c2_R)` fills two coefficient vectors from
    /// v_R (and returns a partial sum, e.g. Σ (γ ⊙ v_R)²), and u1 = Aᵀc1, u2 = Aᵀc2 are
    /// accumulated while the block is still in cache. Memory traffic is one read of A instead of
    /// three. The blind-calibration iteration uses it to fuse 𝒜 g_ξ of iteration j with the
    /// adjoint 𝒜ᵀ(γ ⊙ r) of iteration j + 1 (``BlindCalibration``).
    ///
    /// Rows are split into a fixed number of chunks run on ``ComputeThreads`` (OpenBLAS
    /// single-threaded inside); chunk partials are reduced in chunk order, so results do not
    /// depend on the thread count. `adjoints` receives u1 (first n) and u2 (next n); returns the
    /// sum of the partial sums.
    func fusedPass(_ x: UnsafePointer<Double>, into v: UnsafeMutablePointer<Double>,
                   adjoints u: UnsafeMutablePointer<Double>, _ work: FusedPassWorkspace,
                   coefficients: @Sendable (_ rows: Range<Int>, _ v: UnsafePointer<Double>,
                                            _ c1: UnsafeMutablePointer<Double>, _ c2: UnsafeMutablePointer<Double>) -> Double)
        -> Double {
        let n = unknowns, rows = work.rows, block = work.blockRows, chunks = work.chunks
        precondition(rows == snapshots * sensors && n == work.unknowns, "DenseSensing.fusedPass: workspace size mismatch")
        let blocks = (rows + block - 1) / block
        matrix.withUnsafeBufferPointer { a in
            // x and A are only read; workers write disjoint row ranges of v and their own chunk scratch.
            let shared = SharedBuffers([UnsafeMutablePointer(mutating: x), v, UnsafeMutablePointer(mutating: a.baseAddress!)])
            ComputeThreads.withSerialBLAS {
                parallelFor(count: chunks, workPerItem: 6 * n * (rows / chunks), sharing: shared) { range, p in
                    let xs = p[0], vs = p[1], ap = p[2]
                    for c in range {
                        let c1 = work.coefficients + c * 2 * block, c2 = c1 + block
                        let u1 = work.partials + c * 2 * n, u2 = u1 + n
                        u1.update(repeating: 0, count: 2 * n)
                        var sum = 0.0
                        for b in (c * blocks / chunks)..<((c + 1) * blocks / chunks) {
                            let lo = b * block, count = Swift.min(block, rows - lo)
                            let ab = ap + lo * n
                            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(n), 1.0, ab, Int32(n),
                                        xs, 1, 0.0, vs + lo, 1)
                            sum += coefficients(lo..<(lo + count), UnsafePointer(vs + lo), c1, c2)
                            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(count), Int32(n), 1.0, ab, Int32(n),
                                        c1, 1, 1.0, u1, 1)
                            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(count), Int32(n), 1.0, ab, Int32(n),
                                        c2, 1, 1.0, u2, 1)
                        }
                        work.sums[c] = sum
                    }
                }
            }
        }
        var total = 0.0
        u.update(from: work.partials, count: 2 * n)
        total = work.sums[0]
        for c in 1..<chunks {
            let p = work.partials + c * 2 * n
            for i in 0..<(2 * n) { u[i] += p[i] }
            total += work.sums[c]
        }
        return total
    }
}

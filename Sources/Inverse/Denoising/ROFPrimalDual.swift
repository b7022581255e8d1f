import Imaging

/// A fused, allocation-free accelerated Chambolle–Pock solver for 2-D ROF denoising,
///
///     min_x ½‖x − y‖² + λ·TV(x),
///
/// on an image (H, W) or a channel stack (C, H, W), with the forward differences of ``Gradient2D``
/// / ``ChannelGradient2D`` (Neumann boundary). It performs exactly the iteration of the generic
/// ``PrimalDual`` with G = ½‖· − y‖², K = ∇, F = λ‖·‖_{2,1} (``GroupL21Norm``, per channel or
/// vectorial) or λ‖·‖₁ (``L1Norm``), τ₀ = σ₀ = 1/√8 and γ = ``TVDenoising/accelerationModulus``,
/// so its iterates agree with the generic solver's to round-off, but each iteration is two passes
/// over the rows instead of about twelve whole-grid sweeps:
///
/// 1. dual step: p ← proj_{‖·‖_{*} ≤ λ}(p + σ ∇x̄) — gradient, ascent and projection per row;
/// 2. primal step: d = ∇ᵀp, x ← (x − τd + τy)/(1 + τ), x̄ ← x + θ(x − x_old), plus the per-row
///    sums of the relative change and of ‖y − ∇ᵀp‖² (the dual value ½‖y‖² − ½‖y − ∇ᵀp‖²).
///
/// Both passes run row-parallel on ``ComputeThreads/count`` threads (``parallelFor(count:workPerItem:sharing:_:)``).
/// The primal objective ½‖x − y‖² + λTV(x) needs ∇ of the new x, a third pass over the rows; it is
/// done every ``gapInterval`` iterations (measured on the 512² camera image, one thread: 0.9 ms
/// on top of the 1.6 ms of the two passes, see docs/benchmarks.md),
/// and the gap — objective − dual value, with p in the dual ball by construction of the projection
/// — certifies objective(x) − min ≤ gap exactly as in ``PrimalDual``. Per-row partial sums are
/// reduced in row order, so results do not depend on the thread count.
///
/// Storage: p has the generic solver's layout (vertical components of all channels, then the
/// horizontal ones). The buffers live in a private class that is copied on write, so the solver
/// keeps value semantics.
public struct ROFPrimalDual: IterativeSolver {
    /// The norm the dual variable is projected for.
    public enum Regularizer: Sendable, Equatable {
        /// Isotropic TV per channel: λ Σ_c Σ_p √((∂ᵥx_c)² + (∂ₕx_c)²) (for C = 1, plain isotropic TV).
        case isotropic
        /// Vectorial TV: λ Σ_p √(Σ_c (∂ᵥx_c)² + (∂ₕx_c)²).
        case vectorial
        /// Anisotropic TV: λ Σ_c Σ_p |∂ᵥx_c| + |∂ₕx_c|.
        case anisotropic
    }

    /// λ.
    public let lambda: Double
    /// The TV variant.
    public let regularizer: Regularizer
    /// Channels C, height H, width W.
    public let channels: Int, height: Int, width: Int
    /// γ in θ = 1/√(1 + 2γτ).
    public let primalStrongConvexity: Double
    /// The gap (one extra pass) is computed every `gapInterval` iterations; convergence is tested
    /// on those iterations only.
    public let gapInterval: Int
    /// Current primal and dual step sizes.
    public private(set) var primalStepSize: Double, dualStepSize: Double
    /// Set when an iterate or the objective becomes non-finite.
    public private(set) var breakdown: String?

    var buffers: Buffers
    let inputShape: Shape
    let halfSquaredNormOfData: Double
    var iteration = 0
    var lastStatistics: IterationStatistics
    let start: ContinuousClock.Instant

    /// The solver for `noisy` (rank 2, or rank 3 read as C channels of H × W), from x = y, p = 0.
    ///
    /// - Parameters:
    ///   - lambda: λ > 0.
    ///   - regularizer: the TV variant (``Regularizer/vectorial`` couples the channels).
    ///   - primalStrongConvexity: γ ∈ (0, 1] (G is 1-strongly convex); 0 gives the plain method.
    ///   - gapInterval: compute objective and gap every `gapInterval` ≥ 1 iterations.
    public init(noisy: Grid, lambda: Double, regularizer: Regularizer = .isotropic,
                primalStrongConvexity: Double = TVDenoising.accelerationModulus, gapInterval: Int = 1) {
        precondition(noisy.rank == 2 || noisy.rank == 3, "ROFPrimalDual: needs (H, W) or (C, H, W), got \(noisy.shape)")
        precondition(noisy.count > 0, "ROFPrimalDual: empty image")
        precondition(noisy.isFinite, "ROFPrimalDual: input contains NaN or infinity")
        precondition(lambda > 0 && lambda.isFinite, "ROFPrimalDual: λ must be finite and > 0, got \(lambda)")
        precondition(primalStrongConvexity >= 0 && primalStrongConvexity <= 1,
                     "ROFPrimalDual: γ must be in [0, 1], got \(primalStrongConvexity)")
        precondition(gapInterval >= 1, "ROFPrimalDual: gap interval must be ≥ 1, got \(gapInterval)")
        let d = noisy.shape.dimensions
        (channels, height, width) = d.count == 2 ? (1, d[0], d[1]) : (d[0], d[1], d[2])
        self.lambda = lambda
        self.regularizer = regularizer
        self.primalStrongConvexity = primalStrongConvexity
        self.gapInterval = gapInterval
        inputShape = noisy.shape
        let tau = 1 / 8.0.squareRoot()
        primalStepSize = tau
        dualStepSize = 1 / (tau * 8)
        buffers = Buffers(noisy: noisy.storage, height: height, width: width)
        halfSquaredNormOfData = 0.5 * noisy.squaredNorm
        start = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: 0, relativeChange: 0, stepSize: tau, seconds: 0, elapsedSeconds: 0)
    }

    /// x_n, in the input's shape.
    public var iterate: Grid {
        let n = buffers.pixels
        return Grid(shape: inputShape, storage: Array(UnsafeBufferPointer(start: buffers.x, count: n)))
    }

    /// p_n, shape (2, H, W) for an image or (2, C, H, W) for a stack (``ChannelGradient2D``'s range).
    public var dualIterate: Grid {
        let n = buffers.pixels
        let shape = inputShape.rank == 2 ? Shape(2, height, width) : Shape(2, channels, height, width)
        return Grid(shape: shape, storage: Array(UnsafeBufferPointer(start: buffers.p, count: 2 * n)))
    }

    /// One accelerated primal–dual iteration (two row-parallel passes, a third on gap iterations).
    public mutating func step() {
        guard breakdown == nil else { return }
        if !isKnownUniquelyReferenced(&buffers) { buffers = buffers.copy() }
        let t0 = ContinuousClock.now
        let tau = primalStepSize, sigma = dualStepSize
        let theta = primalStrongConvexity > 0 ? 1 / (1 + 2 * primalStrongConvexity * tau).squareRoot() : 1
        let h = height, w = width, c = channels, lam = lambda, kind = regularizer
        let shared = buffers.shared
        let work = w &* c &* 12
        parallelFor(count: h, workPerItem: work, sharing: shared) { rows, b in
            ROFKernels.dualStep(rows: rows, b, height: h, width: w, channels: c, sigma: sigma, lambda: lam, kind: kind)
        }
        parallelFor(count: h, workPerItem: work, sharing: shared) { rows, b in
            ROFKernels.primalStep(rows: rows, b, height: h, width: w, channels: c, tau: tau, theta: theta)
        }
        primalStepSize = theta * tau
        dualStepSize = sigma / theta
        iteration += 1
        var objective: Double? = nil, gap: Double? = nil, relativeGap: Double? = nil
        if iteration % gapInterval == 0 {
            parallelFor(count: h, workPerItem: work, sharing: shared) { rows, b in
                ROFKernels.objectiveTerms(rows: rows, b, height: h, width: w, channels: c, kind: kind)
            }
        }
        // Row-ordered reduction (independent of the thread count).
        var change = 0.0, norm = 0.0, dualResidual = 0.0, fidelity = 0.0, tv = 0.0
        let sums = buffers.rowSums
        for i in 0..<h {
            let s = sums + i &* ROFKernels.sumsPerRow
            change += s[0]; norm += s[1]; dualResidual += s[2]; fidelity += s[3]; tv += s[4]
        }
        if iteration % gapInterval == 0 {
            let pv = 0.5 * fidelity + lam * tv
            let dv = halfSquaredNormOfData - 0.5 * dualResidual
            objective = pv
            gap = pv - dv
            relativeGap = (pv - dv) / Swift.max(abs(pv), 1e-300)
        }
        let relativeChange = change.squareRoot() / Swift.max(norm.squareRoot(), 1e-300)
        if !relativeChange.isFinite || (objective.map { !$0.isFinite } ?? false) {
            breakdown = "non-finite iterate or objective"
        }
        let now = ContinuousClock.now
        lastStatistics = IterationStatistics(iteration: iteration, objective: objective, gap: gap,
                                             relativeGap: relativeGap, relativeChange: relativeChange, stepSize: tau,
                                             seconds: secondsBetween(t0, now), elapsedSeconds: secondsBetween(start, now))
    }

    /// Statistics of the last iteration.
    public func statistics() -> IterationStatistics { lastStatistics }

    /// Relative gap ≤ tolerance, tested on the iterations that compute the gap.
    public func hasConverged(tolerance: Double) -> Bool {
        iteration > 0 && (lastStatistics.relativeGap ?? .infinity) <= tolerance
    }

    /// The work buffers, allocated once: y, x, x̄ (C·H·W each), p (2·C·H·W), a per-pixel scratch
    /// (H·W, vectorial norms), a zero row (W) and the per-row partial sums (H × ``ROFKernels/sumsPerRow``).
    final class Buffers {
        let pixels: Int, height: Int, width: Int
        let y: UnsafeMutablePointer<Double>, x: UnsafeMutablePointer<Double>, xBar: UnsafeMutablePointer<Double>
        let p: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
        let zeros: UnsafeMutablePointer<Double>, rowSums: UnsafeMutablePointer<Double>
        let shared: SharedBuffers<Double>

        init(noisy: [Double], height: Int, width: Int) {
            let n = noisy.count
            pixels = n
            self.height = height
            self.width = width
            func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
                let b = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(count, 1))
                b.initialize(repeating: 0, count: Swift.max(count, 1))
                return b
            }
            y = buffer(n); x = buffer(n); xBar = buffer(n); p = buffer(2 * n)
            scratch = buffer(height * width); zeros = buffer(width); rowSums = buffer(height * ROFKernels.sumsPerRow)
            let all = [y, x, xBar, p, scratch, zeros, rowSums]
            noisy.withUnsafeBufferPointer { s in
                for target in all[0..<3] { target.update(from: s.baseAddress!, count: n) }
            }
            shared = SharedBuffers(all)
        }

        /// A deep copy (copy on write of the solver).
        func copy() -> Buffers {
            let b = Buffers(noisy: Array(UnsafeBufferPointer(start: y, count: pixels)), height: height, width: width)
            b.x.update(from: x, count: pixels)
            b.xBar.update(from: xBar, count: pixels)
            b.p.update(from: p, count: 2 * pixels)
            b.rowSums.update(from: rowSums, count: height * ROFKernels.sumsPerRow)
            return b
        }

        deinit {
            for b in [y, x, xBar, p, scratch, zeros, rowSums] { b.deallocate() }
        }
    }
}

/// The row kernels of ``ROFPrimalDual``. Buffer order in ``SharedBuffers``: y, x, x̄, p, scratch,
/// zeros, rowSums. Row i of every channel belongs to the worker that owns image row i.
enum ROFKernels {
    /// Slots per row: Σ(x − x_old)², Σx², Σ(y − ∇ᵀp)², Σ(x − y)², Σ TV terms.
    static let sumsPerRow = 5

    /// p ← proj(p + σ∇x̄) on image rows `rows` of every channel.
    @inline(__always)
    static func dualStep(rows: Range<Int>, _ b: SharedBuffers<Double>, height h: Int, width w: Int, channels: Int,
                         sigma: Double, lambda: Double, kind: ROFPrimalDual.Regularizer) {
        let xBar = b[2], p = b[3], scratch = b[4]
        let n = channels &* h &* w
        precondition(rows.lowerBound >= 0 && rows.upperBound <= h && w >= 1)
        for i in rows {
            let last = i == h &- 1
            // Ascent: p ← p + σ∇x̄ (the last row/column differences are 0, so p stays as is there).
            for c in 0..<channels {
                let base = c &* h &* w &+ i &* w
                let xb = xBar + base, pv = p + base, ph = p + (n &+ base)
                if kind == .isotropic {
                    // Fused ascent + per-pixel projection onto the disc of radius λ.
                    if !last {
                        let below = xb + w
                        for j in 0..<(w &- 1) {
                            let a = pv[j] + sigma * (below[j] - xb[j]), bh = ph[j] + sigma * (xb[j &+ 1] - xb[j])
                            var s = a * a
                            s += bh * bh
                            let f = lambda / Swift.max(s.squareRoot(), lambda)
                            pv[j] = f * a
                            ph[j] = f * bh
                        }
                        let a = pv[w &- 1] + sigma * (below[w &- 1] - xb[w &- 1]), bh = ph[w &- 1]
                        var s = a * a
                        s += bh * bh
                        let f = lambda / Swift.max(s.squareRoot(), lambda)
                        pv[w &- 1] = f * a
                        ph[w &- 1] = f * bh
                    } else {
                        for j in 0..<(w &- 1) {
                            let a = pv[j], bh = ph[j] + sigma * (xb[j &+ 1] - xb[j])
                            var s = a * a
                            s += bh * bh
                            let f = lambda / Swift.max(s.squareRoot(), lambda)
                            pv[j] = f * a
                            ph[j] = f * bh
                        }
                        let a = pv[w &- 1], bh = ph[w &- 1]
                        var s = a * a
                        s += bh * bh
                        let f = lambda / Swift.max(s.squareRoot(), lambda)
                        pv[w &- 1] = f * a
                        ph[w &- 1] = f * bh
                    }
                    continue
                }
                if !last {
                    let below = xb + w
                    for j in 0..<w { pv[j] += sigma * (below[j] - xb[j]) }
                }
                for j in 0..<(w &- 1) { ph[j] += sigma * (xb[j &+ 1] - xb[j]) }
                if kind == .anisotropic {
                    for j in 0..<w {
                        pv[j] = Swift.min(Swift.max(pv[j], -lambda), lambda)
                        ph[j] = Swift.min(Swift.max(ph[j], -lambda), lambda)
                    }
                }
            }
            guard kind == .vectorial else { continue }
            // Vectorial projection: one norm over all channels and both directions per pixel.
            let s = scratch + i &* w
            for j in 0..<w { s[j] = 0 }
            for c in 0..<channels {
                let base = c &* h &* w &+ i &* w
                let pv = p + base, ph = p + (n &+ base)
                for j in 0..<w { s[j] += pv[j] * pv[j] + ph[j] * ph[j] }
            }
            for j in 0..<w { s[j] = lambda / Swift.max(s[j].squareRoot(), lambda) }
            for c in 0..<channels {
                let base = c &* h &* w &+ i &* w
                let pv = p + base, ph = p + (n &+ base)
                for j in 0..<w { pv[j] *= s[j]; ph[j] *= s[j] }
            }
        }
    }

    /// d = ∇ᵀp, x ← prox_{τG}(x − τd), x̄ ← x + θ(x − x_old) on rows `rows`; row sums 0–2.
    @inline(__always)
    static func primalStep(rows: Range<Int>, _ b: SharedBuffers<Double>, height h: Int, width w: Int, channels: Int,
                           tau: Double, theta: Double) {
        let y = b[0], x = b[1], xBar = b[2], p = b[3], zeros = b[5], sums = b[6]
        let n = channels &* h &* w
        precondition(rows.lowerBound >= 0 && rows.upperBound <= h && w >= 1)
        let a = 1 / (1 + tau), bt = tau / (1 + tau), onePlusTheta = 1 + theta
        for i in rows {
            var change = 0.0, norm = 0.0, residual = 0.0
            for c in 0..<channels {
                let base = c &* h &* w &+ i &* w
                let yr = y + base, xr = x + base, xbr = xBar + base, pv = p + base, ph = p + (n &+ base)
                // p's vertical component is 0 on the last row and its horizontal one on the last
                // column (never updated from 0), so ∇ᵀp = p_v[i−1] − p_v[i] + p_h[j−1] − p_h[j]
                // with a zero row above the first one and p_h[−1] = 0.
                let above = i >= 1 ? pv - w : UnsafeMutablePointer(zeros)
                @inline(__always) func update(_ j: Int, _ d: Double) {
                    let old = xr[j]
                    let new = bt * yr[j] + a * (old + -tau * d)
                    xr[j] = new
                    xbr[j] = new * onePlusTheta + -theta * old
                    let dx = new - old, r = yr[j] - d
                    change += dx * dx
                    norm += new * new
                    residual += r * r
                }
                update(0, (above[0] - pv[0]) - ph[0])
                if w > 1 {
                    for j in 1..<w { update(j, (above[j] - pv[j]) + (ph[j &- 1] - ph[j])) }
                }
            }
            let s = sums + i &* sumsPerRow
            s[0] = change; s[1] = norm; s[2] = residual
        }
    }

    /// Row sums 3–4: Σ(x − y)² and the TV terms of the current x on rows `rows`.
    @inline(__always)
    static func objectiveTerms(rows: Range<Int>, _ b: SharedBuffers<Double>, height h: Int, width w: Int, channels: Int,
                               kind: ROFPrimalDual.Regularizer) {
        let y = b[0], x = b[1], scratch = b[4], sums = b[6]
        precondition(rows.lowerBound >= 0 && rows.upperBound <= h && w >= 1)
        for i in rows {
            var fidelity = 0.0, tv = 0.0
            let last = i == h &- 1
            let s = scratch + i &* w
            if kind == .vectorial { for j in 0..<w { s[j] = 0 } }
            for c in 0..<channels {
                let base = c &* h &* w &+ i &* w
                let xr = x + base, yr = y + base
                for j in 0..<w { let r = xr[j] - yr[j]; fidelity += r * r }
                // Vertical differences against the next row (against itself, i.e. 0, on the last row).
                let below = last ? xr : xr + w
                let lastV = below[w &- 1] - xr[w &- 1]
                switch kind {
                case .isotropic:
                    for j in 0..<(w &- 1) {
                        let gv = below[j] - xr[j], gh = xr[j &+ 1] - xr[j]
                        tv += (gv * gv + gh * gh).squareRoot()
                    }
                    tv += abs(lastV)
                case .anisotropic:
                    for j in 0..<(w &- 1) { tv += abs(below[j] - xr[j]) + abs(xr[j &+ 1] - xr[j]) }
                    tv += abs(lastV)
                case .vectorial:
                    for j in 0..<(w &- 1) {
                        let gv = below[j] - xr[j], gh = xr[j &+ 1] - xr[j]
                        s[j] += gv * gv + gh * gh
                    }
                    s[w &- 1] += lastV * lastV
                }
            }
            if kind == .vectorial { for j in 0..<w { tv += s[j].squareRoot() } }
            let out = sums + i &* sumsPerRow
            out[3] = fidelity; out[4] = tv
        }
    }
}

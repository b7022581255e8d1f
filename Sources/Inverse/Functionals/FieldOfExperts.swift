import Synchronization

/// The field-of-experts regulariser with the convex smoothed-ℓ1 potential (spec tv-foe-bilevel
/// A.2 and §1c):
///
///     R(x) = Σ_k w_k Σ_p φ_{ν_k}((c_k ∗ x)_p),   φ_ν(t) = sqrt(t² + ν²),
///
/// on H × W images, with K filters c_k of odd size s_h × s_w (stored as a (K, s_h, s_w) grid),
/// weights w_k > 0 and smoothings ν_k > 0. The convolutions are direct "same" convolutions
/// (``DirectConvolution2D``, written C_k) with the ``ConvolutionBoundary`` given at creation —
/// reflect by default; use the same one in learning and in denoising. The spec's parametrisation
/// e^{θ₀}e^{θ_k} and e^{θ_{K+k}} maps to w_k = ½e^{θ₀+θ_k} (with its ½ in h) and ν_k = e^{θ_{K+k}}.
///
/// With r_k = C_k x, d_k = C_k v, φ'(t) = t/sqrt(t² + ν²), φ''(t) = ν²/(t² + ν²)^{3/2} and
/// ∂φ'/∂ν(t) = −tν/(t² + ν²)^{3/2}:
/// - gradient: ∇R(x) = Σ_k w_k C_kᵀ φ'(r_k);
/// - Hessian-vector product: ∇²R(x) v = Σ_k w_k C_kᵀ (φ''(r_k) ⊙ d_k);
/// - derivatives of G(θ) = ⟨∇ₓR(x), v⟩ = Σ_k w_k ⟨φ'(r_k), d_k⟩ (the mixed derivative ∇²_{θx}R applied to v):
///   ∂G/∂w_k = ⟨φ'(r_k), d_k⟩, ∂G/∂ν_k = w_k⟨∂φ'/∂ν(r_k), d_k⟩,
///   ∂G/∂c_k[a, b] = w_k Σ_{i,j} [ (φ''(r_k) ⊙ d_k)[i, j]·x̃[i − a + h, j − b + h'] + φ'(r_k)[i, j]·ṽ[i − a + h, j − b + h'] ];
/// - Lipschitz constant of ∇R: Σ_k w_k ‖C_k‖²/ν_k with ‖C_k‖ ≤ ‖c_k‖₁ (periodic) or 2‖c_k‖₁ (reflect).
///
/// Implementation (docs/bilevel.md, "FoE implementation and speed"): every filter is one fused
/// sweep over the rows — response row (a correlation with the flipped filter, taps of a kernel
/// row unrolled), the pointwise φ, φ′ or φ″·d, and the rows of the transposed convolution that
/// depend on it (gather form over a zero-bordered buffer) — using caller-owned workspaces.
/// ``hessianOperator(at:shift:)`` caches the curvatures for CG. Single-threaded: bilevel
/// learning runs the images in parallel.
public struct FieldOfExperts: SmoothFunctional {
    /// The filters, shape (K, s_h, s_w), s_h and s_w odd.
    public let filters: Grid
    /// w_k > 0, one per filter.
    public let weights: [Double]
    /// ν_k > 0, one per filter.
    public let smoothings: [Double]
    /// Boundary extension of the convolutions.
    public let boundary: ConvolutionBoundary
    let engine: PaddedConvolution
    /// Every filter flipped (c_k[s_h − 1 − a, s_w − 1 − b]): the convolutions run as correlations.
    let flippedFilters: [Double]

    /// Derivatives of a scalar with respect to every parameter block, laid out like the model.
    public struct ParameterDerivatives: Sendable, Equatable {
        /// With respect to the filter taps, shape (K, s_h, s_w).
        public var filters: Grid
        /// With respect to the weights w_k.
        public var weights: [Double]
        /// With respect to the smoothings ν_k.
        public var smoothings: [Double]
    }

    /// A field of experts on `height` × `width` images.
    public init(filters: Grid, weights: [Double], smoothings: [Double], height: Int, width: Int,
                boundary: ConvolutionBoundary = .reflect) {
        precondition(filters.rank == 3, "FieldOfExperts: filters must have shape (K, s, s), got \(filters.shape)")
        let k = filters.shape[0]
        precondition(k >= 1, "FieldOfExperts: no filters")
        precondition(weights.count == k && smoothings.count == k,
                     "FieldOfExperts: \(k) filters but \(weights.count) weights and \(smoothings.count) smoothings")
        precondition(weights.allSatisfy { $0 > 0 && $0.isFinite }, "FieldOfExperts: weights must be finite and > 0")
        precondition(smoothings.allSatisfy { $0 > 0 && $0.isFinite }, "FieldOfExperts: smoothings must be finite and > 0")
        precondition(filters.isFinite, "FieldOfExperts: filters contain NaN or infinity")
        self.filters = filters
        self.weights = weights
        self.smoothings = smoothings
        self.boundary = boundary
        engine = PaddedConvolution(height: height, width: width, kernelHeight: filters.shape[1],
                                   kernelWidth: filters.shape[2], boundary: boundary)
        let taps = filters.shape[1] * filters.shape[2]
        flippedFilters = (0..<(k * taps)).map { filters.storage[($0 / taps) * taps + taps - 1 - $0 % taps] }
    }

    /// The same model with other parameters (same sizes and boundary).
    public func with(filters: Grid? = nil, weights: [Double]? = nil, smoothings: [Double]? = nil) -> FieldOfExperts {
        FieldOfExperts(filters: filters ?? self.filters, weights: weights ?? self.weights,
                       smoothings: smoothings ?? self.smoothings, height: engine.height,
                       width: engine.width, boundary: boundary)
    }

    /// Number of filters K.
    public var filterCount: Int { filters.shape[0] }
    /// The image shape (H, W).
    public var imageShape: Shape { Shape(engine.height, engine.width) }
    var tapCount: Int { engine.kernelHeight * engine.kernelWidth }

    /// The convolution C_k as an operator (for adjoint tests and for building other models).
    public func filterOperator(_ k: Int) -> DirectConvolution2D {
        DirectConvolution2D(kernel: filters.slice(k), height: engine.height, width: engine.width, boundary: boundary)
    }

    /// Σ_k w_k ‖C_k‖²/ν_k with ‖C_k‖ bounded by ‖c_k‖₁ (periodic) or 2‖c_k‖₁ (reflect).
    public var lipschitzConstant: Double? {
        let factor = boundary == .reflect ? 2.0 : 1.0
        var l = 0.0
        filters.storage.withUnsafeBufferPointer { c in
            for k in 0..<filterCount {
                var n1 = 0.0
                for t in 0..<tapCount { n1 += abs(c[k * tapCount + t]) }
                let op = factor * n1
                l += weights[k] * op * op / smoothings[k]
            }
        }
        return l
    }

    /// Scratch of the value and gradient: the padded image, the padded gradient, the zero-bordered
    /// adjoint input and two rows, as a rank-1 grid.
    public var workspaceShape: Shape? { Shape(2 * engine.paddedCount + engine.borderedCount + 2 * engine.width) }

    /// Scratch of ``hessianVectorProduct(_:direction:into:workspace:)``.
    public var hessianWorkspaceShape: Shape { Shape(3 * engine.paddedCount + engine.borderedCount + 2 * engine.width) }

    /// R(x) (allocates a workspace).
    public func value(_ x: Grid) -> Double {
        var w = makeWorkspace()
        return value(x, workspace: &w)
    }

    /// R(x) = Σ_k w_k Σ_p sqrt((c_k ∗ x)_p² + ν_k²), using `workspace`.
    public func value(_ x: Grid, workspace: inout Grid) -> Double {
        checkImage(x)
        return run(x, workspace: &workspace, accumulateGradient: false)
    }

    /// g ← Σ_k w_k C_kᵀ φ'(C_k x) (allocates a workspace).
    public func gradient(_ x: Grid, into g: inout Grid) {
        var w = makeWorkspace()
        _ = valueAndGradient(x, gradient: &g, workspace: &w)
    }

    /// Returns R(x) and sets g ← ∇R(x), using `workspace` (shape ``workspaceShape``).
    public func valueAndGradient(_ x: Grid, gradient g: inout Grid, workspace: inout Grid) -> Double {
        checkImage(x)
        precondition(g.count == engine.pixelCount, "FieldOfExperts: gradient \(g.shape), expected \(imageShape)")
        let v = run(x, workspace: &workspace, accumulateGradient: true)
        // The adjoint sweeps left the padded gradient in the workspace's second padded block: fold it.
        let np = engine.paddedCount
        workspace.storage.withUnsafeBufferPointer { ws in
            g.storage.withUnsafeMutableBufferPointer { gs in
                engine.fold(ws.baseAddress! + np, into: gs.baseAddress!)
            }
        }
        return v
    }

    func checkImage(_ x: Grid) {
        precondition(x.count == engine.pixelCount, "FieldOfExperts: image \(x.shape), expected \(imageShape)")
    }

    /// The value; with `accumulateGradient`, also Σ_k C_kᵀ(w_k φ'(r_k)) before folding in the
    /// workspace's second padded block. One fused sweep per filter: response row → φ, φ' → the
    /// transposed convolution's rows that depend on it.
    func run(_ x: Grid, workspace: inout Grid, accumulateGradient wantGradient: Bool) -> Double {
        let np = engine.paddedCount, nb = engine.borderedCount, width = engine.width, taps = tapCount
        precondition(workspace.count >= 2 * np + nb + 2 * width, "FieldOfExperts: workspace too small")
        let e = engine
        var total = 0.0
        workspace.storage.withUnsafeMutableBufferPointer { ws in
            let p = ws.baseAddress!, q = p + np, u = q + np, r = u + nb, roots = r + width
            x.storage.withUnsafeBufferPointer { xs in e.pad(xs.baseAddress!, into: p) }
            filters.storage.withUnsafeBufferPointer { cs in
                flippedFilters.withUnsafeBufferPointer { fs in
                    if wantGradient {
                        q.update(repeating: 0, count: np)
                        u.update(repeating: 0, count: nb)
                    }
                    for k in 0..<filterCount {
                        let c = cs.baseAddress! + k * taps, f = fs.baseAddress! + k * taps
                        let nu2 = smoothings[k] * smoothings[k], wk = weights[k]
                        var s = 0.0
                        if wantGradient {
                            e.sweepAdjoint(kernel: c, bordered: u, into: q) { i, uRow in
                                e.convolveRow(i, padded: p, flipped: f, into: r)
                                for j in 0..<width {
                                    let root = (r[j] * r[j] + nu2).squareRoot()
                                    roots[j] = root
                                    uRow[j] = wk * r[j] / root
                                }
                                s += Self.sum(roots, width)
                            }
                        } else {
                            for i in 0..<e.height {
                                e.convolveRow(i, padded: p, flipped: f, into: r)
                                for j in 0..<width { roots[j] = (r[j] * r[j] + nu2).squareRoot() }
                                s += Self.sum(roots, width)
                            }
                        }
                        total += wk * s
                    }
                }
            }
        }
        return total
    }

    /// Σ_{j<n} a[j] with four accumulators.
    @inline(__always)
    static func sum(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, j = 0
        while j &+ 4 <= n { s0 += a[j]; s1 += a[j &+ 1]; s2 += a[j &+ 2]; s3 += a[j &+ 3]; j &+= 4 }
        while j < n { s0 += a[j]; j &+= 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Where the curvature κ_k of a Hessian-vector product Σ_k C_kᵀ(κ_k ⊙ C_k v) comes from.
    enum Curvature {
        /// κ_k = w_k φ''(C_k x) from P = pad(x), computed on the fly.
        case state(UnsafePointer<Double>)
        /// κ_k stored, K images of H × W (``curvatures(at:)``).
        case stored(UnsafePointer<Double>)
        /// κ_k = w_k/ν_k = w_k φ''(0): the largest curvature, whose operator bounds every Hessian.
        case bound
    }

    /// out ← Σ_k C_kᵀ(κ_k ⊙ C_k v) given pv = pad(v), with `q` (padded), `u` (bordered) and `rows`
    /// (2W) as scratch: one fused sweep per filter.
    func applyCurvature(_ curvature: Curvature, paddedDirection pv: UnsafePointer<Double>,
                        q: UnsafeMutablePointer<Double>, u: UnsafeMutablePointer<Double>, rows: UnsafeMutablePointer<Double>,
                        into out: UnsafeMutablePointer<Double>) {
        let e = engine, width = e.width, n = e.pixelCount, taps = tapCount
        q.update(repeating: 0, count: e.paddedCount)
        u.update(repeating: 0, count: e.borderedCount)
        let r = rows, d = rows + width
        filters.storage.withUnsafeBufferPointer { cs in
            flippedFilters.withUnsafeBufferPointer { fs in
                for k in 0..<filterCount {
                    let c = cs.baseAddress! + k * taps, f = fs.baseAddress! + k * taps
                    let nu2 = smoothings[k] * smoothings[k], wk = weights[k]
                    e.sweepAdjoint(kernel: c, bordered: u, into: q) { i, uRow in
                        e.convolveRow(i, padded: pv, flipped: f, into: d)
                        switch curvature {
                        case .state(let px):
                            e.convolveRow(i, padded: px, flipped: f, into: r)
                            for j in 0..<width {
                                let s = r[j] * r[j] + nu2
                                uRow[j] = d[j] * (wk * nu2 / (s * s.squareRoot()))
                            }
                        case .stored(let kappa):
                            let kr = kappa + k * n + i * width
                            for j in 0..<width { uRow[j] = d[j] * kr[j] }
                        case .bound:
                            let a = wk / smoothings[k]
                            for j in 0..<width { uRow[j] = d[j] * a }
                        }
                    }
                }
            }
        }
        e.fold(q, into: out)
    }

    /// out ← ∇²R(x) v = Σ_k w_k C_kᵀ(φ''(C_k x) ⊙ C_k v) (allocates its scratch; see
    /// ``hessianVectorProduct(_:direction:into:workspace:)`` and ``hessian(at:shift:)`` for
    /// repeated products).
    public func hessianVectorProduct(_ x: Grid, direction v: Grid, into out: inout Grid) {
        var w = Grid(shape: hessianWorkspaceShape)
        hessianVectorProduct(x, direction: v, into: &out, workspace: &w)
    }

    /// out ← ∇²R(x) v using `workspace` (shape ``hessianWorkspaceShape``).
    public func hessianVectorProduct(_ x: Grid, direction v: Grid, into out: inout Grid, workspace: inout Grid) {
        checkImage(x); checkImage(v)
        precondition(out.count == engine.pixelCount, "FieldOfExperts: Hessian-vector product \(out.shape), expected \(imageShape)")
        let np = engine.paddedCount, nb = engine.borderedCount
        precondition(workspace.count >= 3 * np + nb + 2 * engine.width, "FieldOfExperts: Hessian workspace too small")
        workspace.storage.withUnsafeMutableBufferPointer { ws in
            let px = ws.baseAddress!, pv = px + np, q = pv + np, u = q + np, rows = u + nb
            x.storage.withUnsafeBufferPointer { engine.pad($0.baseAddress!, into: px) }
            v.storage.withUnsafeBufferPointer { engine.pad($0.baseAddress!, into: pv) }
            out.storage.withUnsafeMutableBufferPointer {
                applyCurvature(.state(px), paddedDirection: pv, q: q, u: u, rows: rows, into: $0.baseAddress!)
            }
        }
    }

    /// κ_k = w_k φ''(C_k x) for every filter, K images of H × W in one array.
    func curvatures(at x: Grid) -> [Double] {
        checkImage(x)
        let n = engine.pixelCount, np = engine.paddedCount, taps = tapCount
        var kappa = [Double](repeating: 0, count: filterCount * n)
        var padded = [Double](repeating: 0, count: np)
        padded.withUnsafeMutableBufferPointer { p in
            x.storage.withUnsafeBufferPointer { engine.pad($0.baseAddress!, into: p.baseAddress!) }
        }
        padded.withUnsafeBufferPointer { p in
            flippedFilters.withUnsafeBufferPointer { fs in
                kappa.withUnsafeMutableBufferPointer { ks in
                    for k in 0..<filterCount {
                        let nu2 = smoothings[k] * smoothings[k], wk = weights[k]
                        for i in 0..<engine.height {
                            let r = ks.baseAddress! + k * n + i * engine.width
                            engine.convolveRow(i, padded: p.baseAddress!, flipped: fs.baseAddress! + k * taps, into: r)
                            for j in 0..<engine.width {
                                let s = r[j] * r[j] + nu2
                                r[j] = wk * nu2 / (s * s.squareRoot())
                            }
                        }
                    }
                }
            }
        }
        return kappa
    }

    /// ∇²R(x) + shift·I as an operator for CG: the curvatures w_k φ''(C_k x) are computed once
    /// here, so each product costs one convolution and one transposed convolution per filter
    /// (instead of two and one), and its scratch is allocated once. Products equal
    /// ``hessianVectorProduct(_:direction:into:)`` (+ shift·v) to the last bit. The operator may be
    /// used from several threads (its scratch is guarded by a lock, so they take turns).
    public func hessianOperator(at x: Grid, shift: Double) -> SymmetricOperator {
        let kappa = curvatures(at: x), model = self
        let scratch = FieldOfExpertsScratch(count: 2 * engine.paddedCount + engine.borderedCount + 2 * engine.width)
        return SymmetricOperator(shape: x.shape) { v, out in
            model.checkImage(v)
            precondition(out.count == model.engine.pixelCount, "FieldOfExperts: Hessian operator output \(out.shape), expected \(model.imageShape)")
            let np = model.engine.paddedCount, nb = model.engine.borderedCount
            scratch.buffer.withLock { buffer in
                buffer.withUnsafeMutableBufferPointer { ws in
                    let pv = ws.baseAddress!, q = pv + np, u = q + np, rows = u + nb
                    v.storage.withUnsafeBufferPointer { model.engine.pad($0.baseAddress!, into: pv) }
                    kappa.withUnsafeBufferPointer { ks in
                        out.storage.withUnsafeMutableBufferPointer {
                            model.applyCurvature(.stored(ks.baseAddress!), paddedDirection: pv, q: q, u: u, rows: rows, into: $0.baseAddress!)
                        }
                    }
                }
            }
            if shift != 0 { out.axpy(shift, v) }
        }
    }

    /// An estimate of ‖Σ_k (w_k/ν_k) C_kᵀC_k‖ = sup_x ‖∇²R(x)‖ (attained at x = 0) by `steps`
    /// Lanczos steps with full reorthogonalisation, from a fixed seeded vector, plus `start` (a
    /// previous Ritz vector, for warm starts) when given. Rayleigh–Ritz values never exceed the norm and
    /// converge to it from below (within 0.1 % after 30 cold steps on the filter banks tested).
    /// Returns the estimate and its Ritz vector (unit norm).
    func curvatureBoundNormEstimate(steps: Int, start: [Double]? = nil) -> (value: Double, vector: [Double]) {
        let n = engine.pixelCount, np = engine.paddedCount, nb = engine.borderedCount
        let m = Swift.max(1, Swift.min(steps, n))
        var basis = [Double](repeating: 0, count: (m + 1) * n)
        var random = RandomSource(seed: 0x4C61_6E63_7A6F)
        var first = random.gaussianGrid(Shape(n)).storage
        if let start, start.count == n, start.allSatisfy(\.isFinite) {
            // Warm start plus a fixed random part, so that the Krylov space is never confined to
            // an invariant subspace of the previous top vector (an eigenvalue of another symmetry
            // class overtaking it would be missed otherwise).
            let sn = start.reduce(0) { $0 + $1 * $1 }.squareRoot(), rn = first.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if sn > 0 { for i in 0..<n { first[i] = start[i] / sn + 0.3 * first[i] / rn } }
        }
        var alpha: [Double] = [], beta: [Double] = []
        var scratch = [Double](repeating: 0, count: 2 * np + nb + 2 * engine.width)
        basis.withUnsafeMutableBufferPointer { bs in
            let b = bs.baseAddress!
            let s0 = first.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in 0..<n { b[i] = first[i] / s0 }
            scratch.withUnsafeMutableBufferPointer { ws in
                let pv = ws.baseAddress!, q = pv + np, u = q + np, rows = u + nb
                for j in 0..<m {
                    let vj = b + j * n, w = b + (j + 1) * n
                    engine.pad(vj, into: pv)
                    applyCurvature(.bound, paddedDirection: pv, q: q, u: u, rows: rows, into: w)
                    var a = 0.0
                    for i in 0..<n { a += vj[i] * w[i] }
                    alpha.append(a)
                    if j == m - 1 { break }
                    // Full reorthogonalisation against v_0 … v_j, twice.
                    for _ in 0..<2 {
                        for l in 0...j {
                            let vl = b + l * n
                            var c = 0.0
                            for i in 0..<n { c += vl[i] * w[i] }
                            for i in 0..<n { w[i] -= c * vl[i] }
                        }
                    }
                    var norm = 0.0
                    for i in 0..<n { norm += w[i] * w[i] }
                    norm = norm.squareRoot()
                    if !(norm > 1e-10 * Swift.max(abs(a), 1e-300)) { break }   // invariant subspace found
                    beta.append(norm)
                    for i in 0..<n { w[i] /= norm }
                }
            }
        }
        let lambda = Self.largestEigenvalue(diagonal: alpha, offDiagonal: beta)
        // Ritz vector Σ_j s_j v_j, s the top eigenvector of the tridiagonal matrix (inverse iteration).
        let s = Self.eigenvector(diagonal: alpha, offDiagonal: beta, eigenvalue: lambda)
        var vector = [Double](repeating: 0, count: n)
        basis.withUnsafeBufferPointer { bs in
            for j in 0..<alpha.count { for i in 0..<n { vector[i] += s[j] * bs[j * n + i] } }
        }
        let vn = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if vn > 0 { for i in 0..<n { vector[i] /= vn } }
        return (lambda, vector)
    }

    /// An eigenvector of the symmetric tridiagonal matrix (diagonal a, off-diagonal b) for the
    /// (computed) eigenvalue λ, by three steps of inverse iteration with a slightly raised shift.
    static func eigenvector(diagonal a: [Double], offDiagonal b: [Double], eigenvalue lambda: Double) -> [Double] {
        let m = a.count
        guard m > 1 else { return [1] }
        let shift = lambda + 1e-10 * Swift.max(abs(lambda), 1e-300)
        var x = [Double](repeating: 1, count: m)
        for _ in 0..<3 {
            // Thomas algorithm on (T − shift·I) y = x (tiny pivots are nudged, as usual for inverse iteration).
            var c = [Double](repeating: 0, count: m), d = [Double](repeating: 0, count: m)
            var pivot = a[0] - shift
            if abs(pivot) < 1e-300 { pivot = 1e-300 }
            c[0] = m > 1 ? b[0] / pivot : 0
            d[0] = x[0] / pivot
            for i in 1..<m {
                pivot = a[i] - shift - b[i - 1] * c[i - 1]
                if abs(pivot) < 1e-300 { pivot = 1e-300 }
                c[i] = i < m - 1 ? b[i] / pivot : 0
                d[i] = (x[i] - b[i - 1] * d[i - 1]) / pivot
            }
            var y = d
            for i in stride(from: m - 2, through: 0, by: -1) { y[i] -= c[i] * y[i + 1] }
            let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm.isFinite, norm > 0 else { break }
            x = y.map { $0 / norm }
        }
        return x
    }

    /// The largest eigenvalue of the symmetric tridiagonal matrix (diagonal, off-diagonal), by
    /// bisection on Sturm sequence counts.
    static func largestEigenvalue(diagonal a: [Double], offDiagonal b: [Double]) -> Double {
        let m = a.count
        guard m > 0 else { return 0 }
        var lo = Double.infinity, hi = -Double.infinity
        for i in 0..<m {   // Gershgorin interval
            let radius = (i > 0 ? abs(b[i - 1]) : 0) + (i < m - 1 ? abs(b[i]) : 0)
            lo = Swift.min(lo, a[i] - radius); hi = Swift.max(hi, a[i] + radius)
        }
        /// Number of eigenvalues < t.
        func below(_ t: Double) -> Int {
            var count = 0, d = 1.0
            for i in 0..<m {
                d = a[i] - t - (i > 0 ? b[i - 1] * b[i - 1] / d : 0)
                if d == 0 { d = -1e-300 }
                if d < 0 { count += 1 }
            }
            return count
        }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid <= lo || mid >= hi { break }
            if below(mid) >= m { hi = mid } else { lo = mid }
        }
        return hi
    }

    /// The gradient of G(θ) = ⟨∇ₓR(x; θ), v⟩ with respect to every parameter (filters, weights,
    /// smoothings): the mixed derivative ∇²_{θx}R(x) applied to v, in closed form.
    public func mixedDerivatives(_ x: Grid, direction v: Grid) -> ParameterDerivatives {
        checkImage(x); checkImage(v)
        let np = engine.paddedCount, n = engine.pixelCount, taps = tapCount, kCount = filterCount
        var result = ParameterDerivatives(filters: Grid(shape: filters.shape),
                                          weights: [Double](repeating: 0, count: kCount),
                                          smoothings: [Double](repeating: 0, count: kCount))
        var buffer = [Double](repeating: 0, count: 2 * np + 4 * n)
        buffer.withUnsafeMutableBufferPointer { ws in
            let px = ws.baseAddress!, pv = px + np, r = pv + np, d = r + n, first = d + n, second = first + n
            x.storage.withUnsafeBufferPointer { engine.pad($0.baseAddress!, into: px) }
            v.storage.withUnsafeBufferPointer { engine.pad($0.baseAddress!, into: pv) }
            filters.storage.withUnsafeBufferPointer { cs in
                result.filters.storage.withUnsafeMutableBufferPointer { df in
                    for k in 0..<kCount {
                        let c = cs.baseAddress! + k * taps
                        engine.convolve(padded: px, kernel: c, into: r)
                        engine.convolve(padded: pv, kernel: c, into: d)
                        let nu = smoothings[k], nu2 = nu * nu, wk = weights[k]
                        var dw = 0.0, dnu = 0.0
                        for i in 0..<n {
                            let s = r[i] * r[i] + nu2, root = s.squareRoot(), inv3 = 1 / (s * root)
                            let phi1 = r[i] / root
                            dw += phi1 * d[i]
                            dnu -= r[i] * nu * inv3 * d[i]
                            first[i] = phi1                  // φ'(r)
                            second[i] = nu2 * inv3 * d[i]    // φ''(r)·d
                        }
                        result.weights[k] = dw
                        result.smoothings[k] = wk * dnu
                        let dk = df.baseAddress! + k * taps
                        engine.accumulateKernelDerivative(second, padded: px, scale: wk, into: dk)
                        engine.accumulateKernelDerivative(first, padded: pv, scale: wk, into: dk)
                    }
                }
            }
        }
        return result
    }
}

/// The scratch of one ``FieldOfExperts/hessianOperator(at:shift:)``, behind a lock (the operator is
/// `Sendable`; concurrent products take turns instead of racing on the buffers).
final class FieldOfExpertsScratch: Sendable {
    let buffer: Mutex<[Double]>
    init(count: Int) { buffer = Mutex([Double](repeating: 0, count: count)) }
}

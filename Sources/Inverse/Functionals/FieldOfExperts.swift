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

    /// Scratch: two padded images and one response image, as a rank-1 grid.
    public var workspaceShape: Shape? { Shape(2 * engine.paddedCount + engine.pixelCount) }

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
        // The scattered responses are in the second padded block of the workspace: fold them.
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

    /// The value; with `accumulateGradient`, also Σ_k scatter(w_k φ'(r_k)) in the workspace's
    /// second padded block (padded form of the gradient, to be folded).
    func run(_ x: Grid, workspace: inout Grid, accumulateGradient wantGradient: Bool) -> Double {
        precondition(workspace.count >= 2 * engine.paddedCount + engine.pixelCount, "FieldOfExperts: workspace too small")
        let np = engine.paddedCount, n = engine.pixelCount, taps = tapCount
        var total = 0.0
        workspace.storage.withUnsafeMutableBufferPointer { ws in
            let p = ws.baseAddress!, q = p + np, r = q + np
            x.storage.withUnsafeBufferPointer { xs in engine.pad(xs.baseAddress!, into: p) }
            if wantGradient { for i in 0..<np { q[i] = 0 } }
            filters.storage.withUnsafeBufferPointer { cs in
                for k in 0..<filterCount {
                    let c = cs.baseAddress! + k * taps
                    engine.convolve(padded: p, kernel: c, into: r)
                    let nu2 = smoothings[k] * smoothings[k], wk = weights[k]
                    var s = 0.0
                    if wantGradient {
                        for i in 0..<n {
                            let root = (r[i] * r[i] + nu2).squareRoot()
                            s += root
                            r[i] = wk * r[i] / root
                        }
                        engine.scatter(r, kernel: c, into: q)
                    } else {
                        for i in 0..<n { s += (r[i] * r[i] + nu2).squareRoot() }
                    }
                    total += wk * s
                }
            }
        }
        return total
    }

    /// out ← ∇²R(x) v = Σ_k w_k C_kᵀ(φ''(C_k x) ⊙ C_k v) (allocates its scratch).
    public func hessianVectorProduct(_ x: Grid, direction v: Grid, into out: inout Grid) {
        checkImage(x); checkImage(v)
        let np = engine.paddedCount, n = engine.pixelCount, taps = tapCount
        var buffer = [Double](repeating: 0, count: 3 * np + 2 * n)
        buffer.withUnsafeMutableBufferPointer { ws in
            let px = ws.baseAddress!, pv = px + np, q = pv + np, r = q + np, d = r + n
            x.storage.withUnsafeBufferPointer { engine.pad($0.baseAddress!, into: px) }
            v.storage.withUnsafeBufferPointer { engine.pad($0.baseAddress!, into: pv) }
            filters.storage.withUnsafeBufferPointer { cs in
                for k in 0..<filterCount {
                    let c = cs.baseAddress! + k * taps
                    engine.convolve(padded: px, kernel: c, into: r)
                    engine.convolve(padded: pv, kernel: c, into: d)
                    let nu2 = smoothings[k] * smoothings[k], wk = weights[k]
                    for i in 0..<n {
                        let s = r[i] * r[i] + nu2
                        d[i] *= wk * nu2 / (s * s.squareRoot())
                    }
                    engine.scatter(d, kernel: c, into: q)
                }
            }
            out.storage.withUnsafeMutableBufferPointer { engine.fold(q, into: $0.baseAddress!) }
        }
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

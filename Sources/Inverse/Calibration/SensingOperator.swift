import CBLAS

/// The p sensing operators A_1 … A_p (each m×n) of the blind-calibration model
/// y_l = diag(d) A_l x (+ ν_l), seen as one stacked linear operator
///
///     𝒜: ℝⁿ → ℝ^{p×m},   𝒜 x = [A_1 x; …; A_p x],   𝒜ᵀ W = Σ_l A_lᵀ w_l,
///
/// with domain `Shape(n)` and range `Shape(p, m)` (snapshot l is row l of the range grid).
/// The calibration solver only ever touches the operators through these two stacked maps.
///
/// Conforming types must have isotropic rows, E a aᵀ = I_n, so that the initialisation
/// ξ₀ = (1/mp) Σ_l A_lᵀ y_l is unbiased (spec §2.3).
public protocol SensingOperator: LinearOperator {
    /// p, the number of snapshots.
    var snapshots: Int { get }
    /// m, the number of sensors.
    var sensors: Int { get }
    /// n, the number of unknowns.
    var unknowns: Int { get }
}

extension SensingOperator {
    /// `Shape(n)`.
    public var domain: Shape { Shape(unknowns) }
    /// `Shape(p, m)`.
    public var range: Shape { Shape(snapshots, sensors) }
}

/// Distribution of the entries of a seeded ``DenseSensing`` matrix.
public enum DenseSensingKind: String, Sendable, CaseIterable {
    /// i.i.d. N(0, 1) entries.
    case gaussian
    /// i.i.d. ±1 entries with equal probability (Rademacher/Bernoulli).
    case bernoulli
}

/// Dense sensing matrices A_1 … A_p stored as one (p·m)×n row-major `[Double]`: the p blocks
/// of m×n lie one after the other, so block l is rows l·m ..< (l+1)·m. The stacked forward map
/// is one `cblas_dgemv` (no transpose) and the adjoint sum Σ_l A_lᵀ w_l one `cblas_dgemv`
/// (transpose) over the same storage, so neither allocates nor loops in Swift.
public struct DenseSensing: SensingOperator {
    public let snapshots: Int
    public let sensors: Int
    public let unknowns: Int
    /// The seed and distribution the matrix was drawn with; `nil` for a user-given matrix.
    public let seed: UInt64?
    /// The distribution; `nil` for a user-given matrix.
    public let kind: DenseSensingKind?
    /// (p·m)×n row-major entries.
    public let matrix: [Double]

    /// User-given matrices: `matrix` holds p·m·n values, (p·m)×n row-major.
    public init(snapshots p: Int, sensors m: Int, unknowns n: Int, matrix: [Double]) {
        self.init(p, m, n, matrix, seed: nil, kind: nil)
    }

    /// Seeded matrices: entries drawn in storage order from `RandomSource(seed:)`
    /// (N(0, 1) by ``RandomSource/gaussian()`` or ±1 from the lowest bit of ``RandomSource/next()``,
    /// 0 ↦ +1), so (kind, p, m, n, seed) fixes the operator.
    public init(_ kind: DenseSensingKind, snapshots p: Int, sensors m: Int, unknowns n: Int, seed: UInt64) {
        precondition(p > 0 && m > 0 && n > 0, "DenseSensing: p, m, n must be positive")
        var rng = RandomSource(seed: seed)
        var a = [Double](repeating: 0, count: p * m * n)
        switch kind {
        case .gaussian: for i in a.indices { a[i] = rng.gaussian() }
        case .bernoulli: for i in a.indices { a[i] = rng.next() & 1 == 0 ? 1 : -1 }
        }
        self.init(p, m, n, a, seed: seed, kind: kind)
    }

    private init(_ p: Int, _ m: Int, _ n: Int, _ matrix: [Double], seed: UInt64?, kind: DenseSensingKind?) {
        precondition(p > 0 && m > 0 && n > 0, "DenseSensing: p, m, n must be positive")
        precondition(matrix.count == p * m * n, "DenseSensing: \(matrix.count) entries, expected \(p)·\(m)·\(n)")
        precondition(p * m <= Int(Int32.max) && n <= Int(Int32.max), "DenseSensing: too large for 32-bit BLAS")
        snapshots = p; sensors = m; unknowns = n
        self.matrix = matrix
        self.seed = seed; self.kind = kind
    }

    /// Y ← 𝒜 x = [A_1 x; …; A_p x] (one dgemv).
    public func apply(_ x: Grid, into y: inout Grid) {
        precondition(x.count == unknowns && y.count == snapshots * sensors, "DenseSensing.apply: size mismatch")
        let rows = Int32(snapshots * sensors), cols = Int32(unknowns)
        matrix.withUnsafeBufferPointer { a in
            x.storage.withUnsafeBufferPointer { xp in
                y.storage.withUnsafeMutableBufferPointer { yp in
                    cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1.0, a.baseAddress, cols,
                                xp.baseAddress, 1, 0.0, yp.baseAddress, 1)
                }
            }
        }
    }

    /// x ← 𝒜ᵀ W = Σ_l A_lᵀ w_l (one transposed dgemv).
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        precondition(x.count == unknowns && y.count == snapshots * sensors, "DenseSensing.applyAdjoint: size mismatch")
        let rows = Int32(snapshots * sensors), cols = Int32(unknowns)
        matrix.withUnsafeBufferPointer { a in
            y.storage.withUnsafeBufferPointer { yp in
                x.storage.withUnsafeMutableBufferPointer { xp in
                    cblas_dgemv(CblasRowMajor, CblasTrans, rows, cols, 1.0, a.baseAddress, cols,
                                yp.baseAddress, 1, 0.0, xp.baseAddress, 1)
                }
            }
        }
    }

    /// "dense(gaussian, p×m×n)" or "dense(user, p×m×n)".
    public var name: String { "dense(\(kind?.rawValue ?? "user"), \(snapshots)×\(sensors)×\(unknowns))" }
}

/// Random circular convolutions by FFT, restricted to a fixed sensor subset:
///
///     A_l x = √n · (F⁻¹ diag(s_l) F x)|_S,    |S| = m ≤ n,
///
/// with s_l the Gaussian multipliers of Imaging's ``RandomConvolution`` (seed derived from `seed`
/// and l by ``RandomSource/derivedSeed(_:_:)`` with label "snapshot l"). F⁻¹ diag(s_l) F is the
/// circular convolution with a filter of i.i.d. N(0, 1/n) taps, so the factor √n makes the filter
/// taps N(0, 1) and every row isotropic (E a aᵀ = I_n), as the dense Gaussian case (spec §9).
/// S is all of 0..<n when m = n; otherwise m distinct indices drawn (partial Fisher–Yates on
/// `RandomSource(seed: derivedSeed(seed, "sensors"))`) and sorted. Cost O(p n log n) per map.
/// Each call allocates its n-sized FFT work grids once (not per snapshot).
public struct ConvolutionSensing: SensingOperator {
    public let snapshots: Int
    public let sensors: Int
    public let unknowns: Int
    /// The seed that fixes filters and sensor subset.
    public let seed: UInt64
    /// The sensor subset S (sorted; m entries in 0..<n).
    public let sensorIndices: [Int]
    let convolutions: [RandomConvolution]
    let scale: Double

    /// p seeded random convolutions of length n observed on m ≤ n sensors. `spectrum` is the
    /// multiplier distribution of ``RandomConvolution`` (default Gaussian: i.i.d. N(0, 1) taps
    /// after the √n scaling; `.rademacher` gives flat-spectrum filters with the same tap variance).
    public init(snapshots p: Int, sensors m: Int, unknowns n: Int, seed: UInt64, spectrum: RandomSpectrum = .gaussian) {
        precondition(p > 0 && m > 0 && n > 0 && m <= n, "ConvolutionSensing: need p, m, n > 0 and m ≤ n")
        snapshots = p; sensors = m; unknowns = n
        self.seed = seed
        convolutions = (0..<p).map {
            RandomConvolution(shape: Shape(n), spectrum: spectrum,
                              seed: RandomSource.derivedSeed(seed, "snapshot \($0)"))
        }
        if m == n {
            sensorIndices = Array(0..<n)
        } else {
            var rng = RandomSource(seed: RandomSource.derivedSeed(seed, "sensors"))
            var all = Array(0..<n)
            for i in 0..<m {
                let j = i + Int(rng.next() % UInt64(n - i))
                all.swapAt(i, j)
            }
            sensorIndices = all.prefix(m).sorted()
        }
        scale = Double(n).squareRoot()
    }

    /// Y ← [√n (h_l ⊛ x)|_S]_l.
    public func apply(_ x: Grid, into y: inout Grid) {
        precondition(x.count == unknowns && y.count == snapshots * sensors, "ConvolutionSensing.apply: size mismatch")
        var full = Grid(shape: Shape(unknowns))
        let xs = x.shape == Shape(unknowns) ? x : Grid(shape: Shape(unknowns), storage: x.storage)
        for l in 0..<snapshots {
            convolutions[l].apply(xs, into: &full)
            let base = l * sensors
            for k in 0..<sensors { y.storage[base + k] = scale * full.storage[sensorIndices[k]] }
        }
    }

    /// x ← Σ_l √n · conv_lᵀ(zero-fill_S(w_l)).
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        precondition(x.count == unknowns && y.count == snapshots * sensors, "ConvolutionSensing.applyAdjoint: size mismatch")
        var filled = Grid(shape: Shape(unknowns))
        var back = Grid(shape: Shape(unknowns))
        for i in 0..<unknowns { x.storage[i] = 0 }
        for l in 0..<snapshots {
            let base = l * sensors
            for k in 0..<sensors { filled.storage[sensorIndices[k]] = y.storage[base + k] }
            convolutions[l].applyAdjoint(filled, into: &back)
            for i in 0..<unknowns { x.storage[i] += scale * back.storage[i] }
        }
    }

    /// "convolution(p×m×n)".
    public var name: String { "convolution(\(snapshots)×\(sensors)×\(unknowns))" }
}

#if canImport(Glibc)
import Glibc
#endif

import CBLAS

/// A rows×columns matrix with orthonormal columns, row-major, used as a subspace prior of blind
/// calibration (spec §2.7): the signal basis Z (x = Z z, n×k) or the gain basis B
/// (d = 1 + B b, m×h, with Bᵀ1 = 0).
public struct SubspaceBasis: Sendable, Equatable {
    /// Number of rows (n or m).
    public let rows: Int
    /// Number of columns (k or h).
    public let columns: Int
    /// rows×columns row-major entries.
    public let entries: [Double]

    /// A user-given basis; the entries must be finite and the columns orthonormal to 1e-8
    /// (‖ZᵀZ − I‖_max).
    public init(rows: Int, columns: Int, entries: [Double]) throws {
        guard rows > 0, columns > 0, columns <= rows else {
            throw CalibrationInputError.invalidBasis("basis must be rows×columns with 0 < columns ≤ rows, got \(rows)×\(columns)")
        }
        guard entries.count == rows * columns else {
            throw CalibrationInputError.invalidBasis("basis \(rows)×\(columns) needs \(rows * columns) entries, got \(entries.count)")
        }
        guard entries.allSatisfy(\.isFinite) else { throw CalibrationInputError.invalidBasis("basis contains NaN or infinity") }
        self.init(unchecked: rows, columns, entries)
        let error = orthonormalityError
        guard error <= 1e-8 else {
            throw CalibrationInputError.invalidBasis("basis columns are not orthonormal (max |ZᵀZ − I| = \(error))")
        }
    }

    init(unchecked rows: Int, _ columns: Int, _ entries: [Double]) {
        self.rows = rows; self.columns = columns; self.entries = entries
    }

    /// max |ZᵀZ − I|.
    public var orthonormalityError: Double {
        var worst = 0.0
        for a in 0..<columns { for b in a..<columns {
            var s = 0.0
            for i in 0..<rows { s += entries[i * columns + a] * entries[i * columns + b] }
            worst = Swift.max(worst, abs(s - (a == b ? 1 : 0)))
        } }
        return worst
    }

    /// max_j |1ᵀ b_j| / √rows: how far the columns are from 1^⊥.
    public var meanComponent: Double {
        var worst = 0.0
        for a in 0..<columns {
            var s = 0.0
            for i in 0..<rows { s += entries[i * columns + a] }
            worst = Swift.max(worst, abs(s) / Double(rows).squareRoot())
        }
        return worst
    }

    /// The n×n identity (no prior).
    public static func identity(_ n: Int) -> SubspaceBasis {
        var e = [Double](repeating: 0, count: n * n)
        for i in 0..<n { e[i * n + i] = 1 }
        return SubspaceBasis(unchecked: n, n, e)
    }

    /// Orthonormal columns spanning the range of a rows×columns N(0, 1) matrix drawn from
    /// `RandomSource(seed:)` in row-major order (modified Gram–Schmidt, applied twice), the
    /// spec's "QR of a Gaussian n×k".
    public static func randomOrthonormal(rows: Int, columns: Int, seed: UInt64) -> SubspaceBasis {
        precondition(rows > 0 && columns > 0 && columns <= rows, "SubspaceBasis.randomOrthonormal: need 0 < columns ≤ rows")
        var rng = RandomSource(seed: seed)
        var e = (0..<(rows * columns)).map { _ in rng.gaussian() }
        for j in 0..<columns {
            for _ in 0..<2 {
                for q in 0..<j {
                    var dot = 0.0
                    for i in 0..<rows { dot += e[i * columns + q] * e[i * columns + j] }
                    for i in 0..<rows { e[i * columns + j] -= dot * e[i * columns + q] }
                }
            }
            var norm = 0.0
            for i in 0..<rows { norm += e[i * columns + j] * e[i * columns + j] }
            norm = norm.squareRoot()
            for i in 0..<rows { e[i * columns + j] /= norm }
        }
        return SubspaceBasis(unchecked: rows, columns, e)
    }

    /// The orthonormal DCT-II atoms 1…h of length m (the DC atom 0 excluded, so Bᵀ1 = 0):
    /// B[i, j−1] = √(2/m) cos(π j (2i + 1) / 2m), the spec's smooth gain prior (§7, E2).
    public static func dct(rows m: Int, atoms h: Int) -> SubspaceBasis {
        precondition(m > 1 && h >= 1 && h <= m - 1, "SubspaceBasis.dct: need 1 ≤ h ≤ m − 1")
        var e = [Double](repeating: 0, count: m * h)
        let s = (2 / Double(m)).squareRoot()
        for i in 0..<m { for j in 1...h {
            e[i * h + j - 1] = s * cos(Double.pi * Double(j) * Double(2 * i + 1) / Double(2 * m))
        } }
        return SubspaceBasis(unchecked: m, h, e)
    }

    /// coefficients ← Zᵀ v (one dgemv; no allocation).
    func analyse(_ v: UnsafePointer<Double>, into coefficients: UnsafeMutablePointer<Double>) {
        entries.withUnsafeBufferPointer { z in
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1.0, z.baseAddress, Int32(columns),
                        v, 1, 0.0, coefficients, 1)
        }
    }

    /// v ← Z coefficients (one dgemv; no allocation).
    func synthesise(_ coefficients: UnsafePointer<Double>, into v: UnsafeMutablePointer<Double>) {
        entries.withUnsafeBufferPointer { z in
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1.0, z.baseAddress, Int32(columns),
                        coefficients, 1, 0.0, v, 1)
        }
    }

    /// v ← Z Zᵀ v, using `work` (≥ columns entries).
    func project(_ v: inout [Double], work: inout [Double]) {
        v.withUnsafeMutableBufferPointer { vp in
            work.withUnsafeMutableBufferPointer { wp in
                analyse(vp.baseAddress!, into: wp.baseAddress!)
                synthesise(wp.baseAddress!, into: vp.baseAddress!)
            }
        }
    }

    /// Zᵀ v as a new array.
    public func coefficients(of v: [Double]) -> [Double] {
        precondition(v.count == rows, "SubspaceBasis.coefficients: expected \(rows) values, got \(v.count)")
        var c = [Double](repeating: 0, count: columns)
        v.withUnsafeBufferPointer { vp in c.withUnsafeMutableBufferPointer { analyse(vp.baseAddress!, into: $0.baseAddress!) } }
        return c
    }

    /// Z c as a new array.
    public func synthesis(of c: [Double]) -> [Double] {
        precondition(c.count == columns, "SubspaceBasis.synthesis: expected \(columns) values, got \(c.count)")
        var v = [Double](repeating: 0, count: rows)
        c.withUnsafeBufferPointer { cp in v.withUnsafeMutableBufferPointer { synthesise(cp.baseAddress!, into: $0.baseAddress!) } }
        return v
    }
}

/// Blind calibration with subspace priors (Algorithm 2, spec §2.7): x = Z z, d = 1 + B b with
/// Z (n×k) and B (m×h) of orthonormal columns and Bᵀ1 = 0. The unknowns are (z, b):
///
///     ∇_z = Zᵀ ∇_ξ f(Zz, 1 + Bb),   ∇_b = Bᵀ ∇_γ f(Zz, 1 + Bb),   z₀ = Zᵀ ξ₀,  b₀ = 0,
///
/// with the exact block line search of §2.5 along Z∇_z and B∇_b (μ = mp‖∇_z‖²/Σ_l‖γ ⊙ A_l Z∇_z‖²,
/// likewise for b). Since Z and B have orthonormal columns, this is ``BlindCalibration`` run in the
/// full coordinates (ξ, γ) = (Zz, 1 + Bb) with the gradients projected by ZZᵀ and BBᵀ instead of
/// I and P_{1^⊥}; the gain box is not applied (no projection is needed, Bᵀ1 = 0 keeps 1ᵀγ = m).
public struct SubspaceBlindCalibration<Operator: SensingOperator>: Sendable {
    /// The options of ``BlindCalibration`` (`gainBound` is ignored).
    public typealias Options = BlindCalibration<Operator>.Options

    /// The estimate in both coordinates.
    public struct Result: Sendable {
        /// ξ̂ = Z ẑ.
        public var signal: [Double]
        /// γ̂ = 1 + B b̂ (1ᵀγ̂ = m).
        public var gains: [Double]
        /// ẑ ∈ ℝᵏ.
        public var signalCoefficients: [Double]
        /// b̂ ∈ ℝʰ.
        public var gainCoefficients: [Double]
        /// Stop reason, final statistics and history.
        public var report: SolverReport
        /// ‖r‖/‖y‖ at the returned iterate.
        public var finalResidual: Double
        /// True when the iteration cap stopped the run.
        public var reachedMaxIterations: Bool { report.stopReason == .maxIterations }
        /// Completed iterations.
        public var iterations: Int { report.final.iteration }
    }

    /// The full-coordinate solver with the priors attached.
    public let solver: BlindCalibration<Operator>

    /// Validates sizes (Z n×k, B m×h), orthonormality (1e-8), Bᵀ1 = 0 (1e-8), mp ≥ k + h, and
    /// the measurements as ``BlindCalibration/init(sensing:measurements:options:)`` does (except
    /// the no-prior count mp ≥ n + m − 1).
    public init(sensing: Operator, measurements: [Double], signalBasis: SubspaceBasis, gainBasis: SubspaceBasis,
                options: Options = Options()) throws {
        solver = try BlindCalibration(sensing: sensing, measurements: measurements,
                                      priors: (signalBasis, gainBasis), options: options)
    }

    /// z₀ = Zᵀξ₀.
    public func initialCoefficients() -> [Double] {
        solver.signalBasis!.coefficients(of: solver.initialSignal())
    }

    /// (∇_z, ∇_b) at (z, b).
    public func gradients(signalCoefficients z: [Double], gainCoefficients b: [Double]) -> (signal: [Double], gains: [Double]) {
        let (gx, gg) = solver.gradients(signal: solver.signalBasis!.synthesis(of: z), gains: gains(b))
        return (solver.signalBasis!.coefficients(of: gx), solver.gainBasis!.coefficients(of: gg))
    }

    /// f(Zz, 1 + Bb).
    public func objective(signalCoefficients z: [Double], gainCoefficients b: [Double]) -> Double {
        solver.objective(signal: solver.signalBasis!.synthesis(of: z), gains: gains(b))
    }

    /// The exact line-search steps (μ_z, μ_b) at (z, b).
    public func lineSearchSteps(signalCoefficients z: [Double], gainCoefficients b: [Double]) -> (signal: Double, gains: Double) {
        solver.lineSearchSteps(signal: solver.signalBasis!.synthesis(of: z), gains: gains(b))
    }

    func gains(_ b: [Double]) -> [Double] { solver.gainBasis!.synthesis(of: b).map { 1 + $0 } }

    /// Runs Algorithm 2 from (z₀, b₀ = 0).
    public func run(monitor: ((IterationStatistics) -> Void)? = nil) -> Result {
        let r = solver.run(monitor: monitor)
        return Result(signal: r.signal, gains: r.gains,
                      signalCoefficients: solver.signalBasis!.coefficients(of: r.signal),
                      gainCoefficients: solver.gainBasis!.coefficients(of: r.gains.map { $0 - 1 }),
                      report: r.report, finalResidual: r.finalResidual)
    }
}

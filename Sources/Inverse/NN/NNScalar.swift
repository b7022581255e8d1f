import CBLAS
import RealModule

/// The floating-point types the neural-network kit computes in: `Double` (every test, the
/// reference path) and `Float` (training where throughput matters).
///
/// Besides the elementary functions of swift-numerics' `Real`, a scalar type knows how to call
/// the matching BLAS routines, so layers are written once, generically, and still run on
/// `dgemm`/`sgemm`.
public protocol NNScalar: BinaryFloatingPoint & Real & SIMDScalar & Sendable & Codable
where Self.RawSignificand: FixedWidthInteger {
    /// Row-major general matrix product `C ← α·op(A)·op(B) + β·C` (`cblas_?gemm`).
    ///
    /// `op(A)` is `m×k`, `op(B)` is `k×n`, `C` is `m×n`; `lda`, `ldb`, `ldc` are the row strides
    /// of the matrices *as stored* (before transposition).
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y ← α·x + y` over `count` contiguous elements (`cblas_?axpy`).
    static func axpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)

    /// Short name used in model files and reports ("float64", "float32").
    static var typeName: String { get }

    /// s[i] = sin x[i], c[i] = cos x[i] for `count` values (`x` may be `s` or `c`). Double: glibc
    /// `sincos` per element (declared in CBLAS's shim). Float: two at a time in Double arithmetic (``VectorSinCos``), ≤ 1 ulp of
    /// float, libm for |x| ≥ 1e5 and non-finite values.
    static func sinCos(_ x: UnsafePointer<Self>, count: Int, sin s: UnsafeMutablePointer<Self>, cos c: UnsafeMutablePointer<Self>)
}

extension Double: NNScalar {
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inlinable
    public static func axpy(count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
        guard count > 0 else { return }
        cblas_daxpy(Int32(count), alpha, x, 1, y, 1)
    }

    public static var typeName: String { "float64" }

    public static func sinCos(_ x: UnsafePointer<Double>, count: Int, sin s: UnsafeMutablePointer<Double>, cos c: UnsafeMutablePointer<Double>) {
        for i in 0..<count {
            var sv = 0.0, cv = 0.0
            sincos(x[i], &sv, &cv)
            s[i] = sv; c[i] = cv
        }
    }
}

extension Float: NNScalar {
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inlinable
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    public static var typeName: String { "float32" }

    public static func sinCos(_ x: UnsafePointer<Float>, count: Int, sin s: UnsafeMutablePointer<Float>, cos c: UnsafeMutablePointer<Float>) {
        VectorSinCos.evaluate(x, count: count, sin: s, cos: c)
    }
}

/// sin and cos of float32 values, two lanes at a time in Double arithmetic (SIMD2: one SSE2 register;
/// SIMD4<Double> was scalarised by the compiler): Cody–Waite reduction
/// by π/2 in three parts of 33 bits (fdlibm's constants: every product q·part is exact for
/// |q| < 2²⁰), then Taylor polynomials on |r| ≤ π/4 (truncation < 2e-14). Rounded to float the
/// result is within 1 ulp (tested against libm in Double). Lanes with |x| ≥ 1e5, NaN or ±∞ go to
/// `sincosf`. Scalar calls were 9 % of a training step of NN benchmark (b).
enum VectorSinCos {
    static func evaluate(_ x: UnsafePointer<Float>, count n: Int, sin s: UnsafeMutablePointer<Float>, cos c: UnsafeMutablePointer<Float>) {
        typealias V = SIMD2<Double>
        let twoOverPi = V(repeating: 0.63661977236758134308)
        let p1 = V(repeating: 1.57079632673412561417e+00), p2 = V(repeating: 6.07710050630396597660e-11)
        let p3 = V(repeating: 2.02226624871116645580e-21)
        let magic = V(repeating: 6755399441055744.0)   // 1.5·2⁵²
        var i = 0
        while i + 2 <= n {
            let v = V(Double(x[i]), Double(x[i + 1]))
            let inRange = (v .< V(repeating: 1e5)) .& (v .> V(repeating: -1e5))
            if !all(inRange) {
                for j in i..<(i + 2) {
                    var sv: Float = 0, cv: Float = 0
                    sincosf(x[j], &sv, &cv)
                    s[j] = sv; c[j] = cv
                }
                i += 2
                continue
            }
            // Round to nearest by adding and subtracting 1.5·2⁵² (SSE2 has no vector round; a
            // `.rounded` here scalarised the whole loop).
            let q = (v * twoOverPi + magic) - magic
            let r = ((v - q * p1) - q * p2) - q * p3
            let r2 = r * r
            var sp = V(repeating: 1.0 / 6227020800.0)
            sp = sp * r2 + V(repeating: -1.0 / 39916800.0)
            sp = sp * r2 + V(repeating: 1.0 / 362880.0)
            sp = sp * r2 + V(repeating: -1.0 / 5040.0)
            sp = sp * r2 + V(repeating: 1.0 / 120.0)
            sp = sp * r2 + V(repeating: -1.0 / 6.0)
            let sinR = r + r * r2 * sp
            var cp = V(repeating: -1.0 / 87178291200.0)
            cp = cp * r2 + V(repeating: 1.0 / 479001600.0)
            cp = cp * r2 + V(repeating: -1.0 / 3628800.0)
            cp = cp * r2 + V(repeating: 1.0 / 40320.0)
            cp = cp * r2 + V(repeating: -1.0 / 720.0)
            cp = cp * r2 + V(repeating: 1.0 / 24.0)
            cp = cp * r2 + V(repeating: -0.5)
            let cosR = V(repeating: 1) + r2 * cp
            // Quadrant k = q mod 4 ∈ {0, 1, 2, 3}: sin x = (s, c, −s, −c)[k], cos x = (c, −s, −c, s)[k].
            // ⌊q/4⌋ = round(q/4 − 3/8) for integer q (fractions 0, ¼, ½, ¾ all round down).
            let k = q - V(repeating: 4) * ((q * V(repeating: 0.25) - V(repeating: 0.375) + magic) - magic)
            let odd = (k .== V(repeating: 1)) .| (k .== V(repeating: 3))
            var sv = sinR.replacing(with: cosR, where: odd)
            var cv = cosR.replacing(with: sinR, where: odd)
            sv.replace(with: -sv, where: k .>= V(repeating: 2))
            cv.replace(with: -cv, where: (k .== V(repeating: 1)) .| (k .== V(repeating: 2)))
            s[i] = Float(sv[0]); s[i + 1] = Float(sv[1]); c[i] = Float(cv[0]); c[i + 1] = Float(cv[1])
            i += 2
        }
        while i < n {
            var sv: Float = 0, cv: Float = 0
            sincosf(x[i], &sv, &cv)
            s[i] = sv; c[i] = cv
            i += 1
        }
    }
}

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

    /// (sin x, cos x) with one shared argument reduction (glibc `sincos`/`sincosf`, declared in CBLAS's shim).
    static func sinCos(_ x: Self) -> (sin: Self, cos: Self)
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

    @inlinable
    public static func sinCos(_ x: Double) -> (sin: Double, cos: Double) {
        var s = 0.0, c = 0.0
        sincos(x, &s, &c)
        return (s, c)
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

    @inlinable
    public static func sinCos(_ x: Float) -> (sin: Float, cos: Float) {
        var s: Float = 0, c: Float = 0
        sincosf(x, &s, &c)
        return (s, c)
    }
}

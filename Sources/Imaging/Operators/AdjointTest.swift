#if canImport(Glibc)
import Glibc
#endif

/// Result of ``adjointTest(_:trials:seed:)``: how far ⟨Ax, y⟩ is from ⟨x, Aᵀy⟩.
public struct AdjointTestResult: Sendable, CustomStringConvertible {
    /// Operator name.
    public let name: String
    /// Largest scale-free mismatch |⟨Ax,y⟩ − ⟨x,Aᵀy⟩| / (‖Ax‖‖y‖ + ‖x‖‖Aᵀy‖) over the trials.
    public let mismatch: Double
    /// Median of ⟨Ax,y⟩/⟨x,Aᵀy⟩: ≈ 1 for a correct adjoint; another constant means a *scaled* adjoint.
    public let ratio: Double
    /// Largest relative linearity error ‖A(αx+y) − αAx − Ay‖ / (|α|‖Ax‖ + ‖Ay‖).
    public let linearityError: Double

    public var description: String {
        "\(name): adjoint mismatch \(mismatch), ratio \(ratio), linearity \(linearityError)"
    }
}

/// The dot-product test shipped with the library (DeepInverse's `adjointness_test`, ODL's
/// `OperatorTest`): draws seeded Gaussian x, y and checks ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ and linearity.
///
/// A correct Double operator gives a mismatch near machine epsilon (≤ 1e-12 for direct
/// operators, ≤ 1e-10 through FFTs).
public func adjointTest<A: LinearOperator>(_ op: A, trials: Int = 3, seed: UInt64 = 1) -> AdjointTestResult {
    var rng = RandomSource(seed: seed)
    var worst = 0.0, worstLin = 0.0
    var ratios: [Double] = []
    for _ in 0..<Swift.max(1, trials) {
        let x = rng.gaussianGrid(op.domain)
        let y = rng.gaussianGrid(op.range)
        let ax = op(x), aty = op.adjoint(y)
        let lhs = ax.dot(y), rhs = x.dot(aty)
        let scale = ax.norm * y.norm + x.norm * aty.norm
        let m = scale > 0 ? abs(lhs - rhs) / scale : abs(lhs - rhs)
        worst = Swift.max(worst, m)
        if rhs != 0 { ratios.append(lhs / rhs) }
        // Linearity: A(αx + z) = αAx + Az.
        let alpha = rng.uniform() * 2 + 0.5
        let z = rng.gaussianGrid(op.domain)
        var comb = x; comb.scale(by: alpha); comb.add(z)
        var expected = ax; expected.scale(by: alpha)
        let az = op(z)
        expected.add(az)
        let got = op(comb)
        let denom = abs(alpha) * ax.norm + az.norm
        let lin = denom > 0 ? got.squaredDistance(to: expected).squareRoot() / denom : got.norm
        worstLin = Swift.max(worstLin, lin)
    }
    ratios.sort()
    let ratio = ratios.isEmpty ? 1 : ratios[ratios.count / 2]
    return AdjointTestResult(name: op.name, mismatch: worst, ratio: ratio, linearityError: worstLin)
}

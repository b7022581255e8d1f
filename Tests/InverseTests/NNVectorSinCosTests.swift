import Imaging
import Testing
@testable import Inverse

/// The vectorised float32 sin/cos of the Fourier features against libm in Double.
struct NNVectorSinCosTests {
    /// Worst error in units of float's ulp at the true value (ulp of max(|f|, 2⁻¹²⁶)).
    static func ulps(_ got: Float, _ exact: Double) -> Double {
        let scale = max(abs(exact), Double(Float.leastNormalMagnitude))
        let ulp = Double(Float(scale).ulp)
        return abs(Double(got) - exact) / ulp
    }

    @Test func matchesLibmWithinOneUlp() {
        var rng = RandomSource(seed: 31)
        var xs: [Float] = []
        for _ in 0..<20_000 { xs.append(Float((rng.uniform() - 0.5) * 200)) }       // |x| ≤ 100
        for _ in 0..<2_000 { xs.append(Float((rng.uniform() - 0.5) * 1.9e5)) }      // both sides of 1e5
        for k in -400...400 {                                                       // nearest floats to kπ/2
            let f = Float(Double(k) * Double.pi / 2)
            xs += [f, f.nextUp, f.nextDown]
        }
        xs += [0, -0, Float.leastNonzeroMagnitude, 1e-20, .infinity, -.infinity, .nan, 99_999.99, 100_000, -100_000, 3e7]
        xs.append(1.5)   // a scalar tail (count not a multiple of 4) after the specials
        var s = [Float](repeating: 0, count: xs.count), c = s
        Float.sinCos(xs, count: xs.count, sin: &s, cos: &c)
        var worst = 0.0
        for (i, x) in xs.enumerated() {
            if !x.isFinite {
                #expect(s[i].isNaN && c[i].isNaN, "x = \(x)")
                continue
            }
            worst = max(worst, Self.ulps(s[i], Double.sin(Double(x))), Self.ulps(c[i], Double.cos(Double(x))))
        }
        print("vector sin/cos worst error \(worst) ulp over \(xs.count) values")
        #expect(worst <= 1.0)
        // In place (x = cos output), as the Fourier features call it.
        var buf = xs, sin2 = [Float](repeating: 0, count: xs.count)
        buf.withUnsafeMutableBufferPointer { b in
            Float.sinCos(b.baseAddress!, count: b.count, sin: &sin2, cos: b.baseAddress!)
        }
        #expect(zip(buf, c).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(zip(sin2, s).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }
}

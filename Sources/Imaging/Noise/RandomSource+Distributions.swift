#if canImport(Glibc)
import Glibc
#endif

/// Further distributions on ``RandomSource``, each a documented algorithm on top of
/// ``RandomSource/uniform()`` so that the same seed gives the same stream on every machine
/// (up to the last-bit behaviour of libm's `exp`, `log` and `lgamma`, which only matters in
/// the rare case that a rejection test lands exactly on its boundary).
extension RandomSource {
    /// Uniform in the open interval (0, 1): `(top 53 bits + ½)·2⁻⁵³`; never 0 or 1, so it is
    /// safe under `log`.
    @inlinable
    public mutating func uniformOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Uniform in `range` (`lower + (upper − lower)·u` with `u` from ``uniform()``); an empty
    /// range returns its lower bound.
    @inlinable
    public mutating func uniform(in range: Range<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// Laplace (double exponential) with location 0 and `scale` b: density `exp(−|x|/b)/(2b)`,
    /// variance 2b².
    ///
    /// Inverse CDF from one uniform `u` of ``uniformOpen()``: `b·ln(2u)` for `u < ½`,
    /// `−b·ln(2(1 − u))` otherwise.
    @inlinable
    public mutating func laplace(scale: Double) -> Double {
        let u = uniformOpen()
        return u < 0.5 ? scale * log(2 * u) : -scale * log(2 * (1 - u))
    }

    /// A Poisson variate with the given `mean` (≥ 0), returned as a `Double` holding an integer.
    ///
    /// Exact samplers, no Gaussian approximation:
    /// - `mean == 0` → 0;
    /// - `mean < 30`: Knuth's multiplication method — multiply uniforms from ``uniform()`` until
    ///   the product is ≤ `exp(−mean)` and return the number of factors minus one
    ///   (`exp(−30) ≈ 9·10⁻¹⁴`, so the threshold never underflows);
    /// - `mean ≥ 30`: Hörmann's PTRS transformed rejection with squeeze (W. Hörmann, "The
    ///   transformed rejection method for generating Poisson random variables", Insurance:
    ///   Mathematics and Economics 12, 1993), as in NumPy: `b = 0.931 + 2.53√μ`,
    ///   `a = −0.059 + 0.02483 b`, `1/α = 1.1239 + 1.1328/(b − 3.4)`, `v_r = 0.9277 − 3.6224/(b − 2)`;
    ///   per trial `U = uniform() − ½`, `V = uniform()`, `u_s = ½ − |U|`,
    ///   `k = ⌊(2a/u_s + b)U + μ + 0.43⌋`; accept if `u_s ≥ 0.07` and `V ≤ v_r`; reject if `k < 0`
    ///   or (`u_s < 0.013` and `V > u_s`); otherwise accept iff
    ///   `ln V + ln(1/α) − ln(a/u_s² + b) ≤ −μ + k ln μ − lgamma(k + 1)`.
    public mutating func poisson(_ mean: Double) -> Double {
        precondition(mean >= 0 && mean.isFinite, "RandomSource.poisson: mean must be finite and ≥ 0, got \(mean)")
        if mean == 0 { return 0 }
        if mean < 30 {
            let limit = exp(-mean)
            var k = 0.0
            var p = uniform()
            while p > limit {
                k += 1
                p *= uniform()
            }
            return k
        }
        let slam = mean.squareRoot(), loglam = log(mean)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -mean + k * loglam - lgamma(k + 1) {
                return k
            }
        }
    }
}

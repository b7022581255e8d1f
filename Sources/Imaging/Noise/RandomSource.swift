#if canImport(Glibc)
import Glibc
#endif

/// wb's seeded random generator: the same stream on every machine for a given seed.
///
/// Algorithm (documented so other tools can reproduce it):
/// - state: xoshiro256** (Blackman & Vigna 2018), its four 64-bit words filled from the seed
///   by SplitMix64 (`z = (s += 0x9E3779B97F4A7C15); z = (z ^ z>>30)·0xBF58476D1CE4E5B9;
///   z = (z ^ z>>27)·0x94D049BB133111EB; z ^ z>>31`);
/// - ``uniform()``: the top 53 bits of the next output times 2⁻⁵³, in [0, 1);
/// - ``gaussian()``: Box–Muller on two uniforms u₁, u₂ (u₁ mapped to (0, 1]):
///   `√(−2 ln u₁)·cos(2π u₂)`, then `√(−2 ln u₁)·sin(2π u₂)` for the next call.
/// Other distributions (Poisson, Laplace …) are built on these and documented where defined.
public struct RandomSource: Sendable, RandomNumberGenerator {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    @usableFromInline var spare: Double? = nil

    /// A generator seeded with `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitmix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// Derives an independent seed from a base seed and a label (pipeline step ids): FNV-1a of
    /// the label's UTF-8 bytes mixed with the seed by SplitMix64.
    public static func derivedSeed(_ seed: UInt64, _ label: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in label.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        var z = seed ^ h &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Next 64 random bits (xoshiro256**).
    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal N(0, 1) by Box–Muller.
    @inlinable
    public mutating func gaussian() -> Double {
        if let s = spare { spare = nil; return s }
        let u1 = 1.0 - uniform()          // (0, 1]
        let u2 = uniform()
        let r = (-2.0 * log(u1)).squareRoot()
        let a = 2.0 * Double.pi * u2
        spare = r * sin(a)
        return r * cos(a)
    }

    /// A grid of i.i.d. N(0, 1) values.
    public mutating func gaussianGrid(_ shape: Shape) -> Grid {
        var g = Grid(shape: shape)
        g.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = gaussian() }
        }
        return g
    }

    /// A grid of i.i.d. uniform values in [lower, upper).
    public mutating func uniformGrid(_ shape: Shape, in range: Range<Double> = 0..<1) -> Grid {
        var g = Grid(shape: shape)
        let lo = range.lowerBound, w = range.upperBound - range.lowerBound
        g.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = lo + w * uniform() }
        }
        return g
    }
}

import Imaging
#if canImport(Glibc)
import Glibc
#endif

extension FieldOfExperts {
    /// The first `count` non-constant 2-D DCT-II basis filters of size `size` × `size`, ordered by
    /// total frequency u + v (then by u), each with unit ℓ2 norm and zero mean: shape (count, s, s).
    /// c_{u,v}[a, b] = cos(π(a + ½)u/s)·cos(π(b + ½)v/s) / norm, (u, v) ≠ (0, 0); at most s² − 1
    /// filters. A classic hand-made starting bank for fields of experts.
    public static func dctFilters(size: Int, count: Int) -> Grid {
        precondition(size >= 2, "FieldOfExperts.dctFilters: size must be ≥ 2, got \(size)")
        precondition(count >= 1 && count <= size * size - 1,
                     "FieldOfExperts.dctFilters: count must be in 1...\(size * size - 1), got \(count)")
        var pairs: [(Int, Int)] = []
        for u in 0..<size { for v in 0..<size where u + v > 0 { pairs.append((u, v)) } }
        pairs.sort { ($0.0 + $0.1, $0.0) < ($1.0 + $1.1, $1.0) }
        var out = Grid(shape: Shape(count, size, size))
        let s = Double(size)
        for (k, (u, v)) in pairs.prefix(count).enumerated() {
            var norm = 0.0
            for a in 0..<size {
                for b in 0..<size {
                    let value = cos(Double.pi * (Double(a) + 0.5) * Double(u) / s) * cos(Double.pi * (Double(b) + 0.5) * Double(v) / s)
                    out.storage[(k * size + a) * size + b] = value
                    norm += value * value
                }
            }
            let scale = 1 / norm.squareRoot()
            for t in 0..<(size * size) { out.storage[k * size * size + t] *= scale }
        }
        return out
    }

    /// `count` seeded random filters of size `size` × `size`: standard normal taps from
    /// ``RandomSource`` (seed `seed`), mean subtracted, scaled to unit ℓ2 norm: shape (count, s, s).
    public static func randomFilters(size: Int, count: Int, seed: UInt64) -> Grid {
        precondition(size >= 2, "FieldOfExperts.randomFilters: size must be ≥ 2, got \(size)")
        precondition(count >= 1, "FieldOfExperts.randomFilters: count must be ≥ 1, got \(count)")
        var random = RandomSource(seed: seed)
        var out = random.gaussianGrid(Shape(count, size, size))
        let taps = size * size
        for k in 0..<count {
            let range = (k * taps)..<((k + 1) * taps)
            let mean = out.storage[range].reduce(0, +) / Double(taps)
            var norm = 0.0
            for t in range { out.storage[t] -= mean; norm += out.storage[t] * out.storage[t] }
            let scale = 1 / norm.squareRoot()
            for t in range { out.storage[t] *= scale }
        }
        return out
    }
}

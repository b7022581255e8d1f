#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Imaging

/// Sample mean and (population) variance.
func moments(_ v: [Double]) -> (mean: Double, variance: Double) {
    let n = Double(v.count)
    let mean = v.reduce(0, +) / n
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
    return (mean, variance)
}

@Suite struct NoiseTests {
    /// Values produced by an independent Python re-implementation of the documented algorithms
    /// (xoshiro256** seeded by SplitMix64, Box–Muller, inverse-CDF Laplace, Knuth/PTRS Poisson).
    @Test func firstValuesArePinned() {
        var g = RandomSource(seed: 1)
        let gaussians = [g.gaussian(), g.gaussian(), g.gaussian()]
        let pinnedGaussians = [-1.5452228371402943, -0.19951530557849143, -1.0136476397283942]
        for (v, p) in zip(gaussians, pinnedGaussians) { #expect(abs(v - p) <= 1e-14, "seed 1: \(gaussians)") }

        var l = RandomSource(seed: 1)
        let laplace = [l.laplace(scale: 1), l.laplace(scale: 1), l.laplace(scale: 1)]
        let pinnedLaplace = [0.5206128062300442, 0.0417320333526295, 0.16041690505223]
        for (v, p) in zip(laplace, pinnedLaplace) { #expect(abs(v - p) <= 1e-14, "seed 1: \(laplace)") }

        var p5 = RandomSource(seed: 2)
        #expect((0..<8).map { _ in p5.poisson(5) } == [5, 9, 4, 5, 6, 2, 5, 7])
        var p500 = RandomSource(seed: 3)
        #expect((0..<8).map { _ in p500.poisson(500) } == [513, 480, 495, 479, 546, 539, 509, 512])
    }

    @Test func gaussianMoments() {
        var r = RandomSource(seed: 7)
        let n = 200_000
        let (m, v) = moments((0..<n).map { _ in r.gaussian() })
        #expect(abs(m) < 5 / Double(n).squareRoot())
        #expect(abs(v - 1) < 5 * (2 / Double(n)).squareRoot())
    }

    @Test func laplaceMoments() {
        var r = RandomSource(seed: 8)
        let n = 200_000, b = 2.0
        let (m, v) = moments((0..<n).map { _ in r.laplace(scale: b) })
        #expect(abs(m) < 5 * (2 * b * b / Double(n)).squareRoot())
        // Var of the sample variance ≈ (μ₄ − σ⁴)/n with μ₄ = 24b⁴, σ² = 2b².
        #expect(abs(v - 2 * b * b) < 5 * ((24 - 4) * b * b * b * b / Double(n)).squareRoot())
    }

    @Test func uniformInRange() {
        var r = RandomSource(seed: 9)
        let n = 200_000
        let samples = (0..<n).map { _ in r.uniform(in: 2.0..<5.0) }
        #expect(samples.allSatisfy { $0 >= 2 && $0 < 5 })
        let (m, v) = moments(samples)
        #expect(abs(m - 3.5) < 5 * (0.75 / Double(n)).squareRoot())
        #expect(abs(v - 0.75) < 0.01)
    }

    @Test(arguments: [0.5, 5.0, 50.0, 500.0])
    func poissonMoments(mean: Double) {
        var r = RandomSource(seed: UInt64(mean * 10))
        let n = 100_000
        let samples = (0..<n).map { _ in r.poisson(mean) }
        #expect(samples.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        let (m, v) = moments(samples)
        #expect(abs(m - mean) < 5 * (mean / Double(n)).squareRoot(), "mean \(m) for λ = \(mean)")
        // Var of the sample variance ≈ (μ₄ − σ⁴)/n = (λ + 2λ²)/n for Poisson.
        #expect(abs(v - mean) < 5 * ((mean + 2 * mean * mean) / Double(n)).squareRoot(), "variance \(v) for λ = \(mean)")
        // The probability mass at the mode matches the Poisson pmf (catches a wrong PTRS squeeze).
        let k = mean.rounded(.down)
        let pmf = exp(-mean + k * log(mean) - lgamma(k + 1))
        let freq = Double(samples.filter { $0 == k }.count) / Double(n)
        #expect(abs(freq - pmf) < 5 * (pmf * (1 - pmf) / Double(n)).squareRoot(), "P(X = \(k))")
    }

    @Test func poissonOfZeroAndLargeMean() {
        var r = RandomSource(seed: 1)
        #expect(r.poisson(0) == 0)
        let big = (0..<2000).map { _ in r.poisson(1e6) }
        let (m, _) = moments(big)
        #expect(abs(m - 1e6) < 5 * (1e6 / 2000).squareRoot())
    }

    @Test func addIsSeededAndHasTheRightSpread() throws {
        let x = Grid(shape: Shape(128, 128), repeating: 0.25)
        let models: [NoiseModel] = [.gaussian(sigma: 0.1), .poisson(peak: 400), .uniform(halfWidth: 0.2), .laplace(scale: 0.05)]
        let variances = [0.01, 0.25 / 400, 0.04 / 3, 2 * 0.05 * 0.05]
        for (model, variance) in zip(models, variances) {
            let a = try Noise.add(model, to: x, seed: 3)
            let b = try Noise.add(model, to: x, seed: 3)
            let c = try Noise.add(model, to: x, seed: 4)
            #expect(a == b, "\(model): same seed, same output")
            #expect(a != c, "\(model): other seed, other output")
            let (m, v) = moments(a.storage)
            #expect(abs(m - 0.25) < 5 * (variance / Double(x.count)).squareRoot(), "\(model) mean \(m)")
            #expect(abs(v / variance - 1) < 0.1, "\(model) variance \(v), expected \(variance)")
        }
        let u = try Noise.add(.uniform(halfWidth: 0.2), to: x, seed: 5)
        #expect(u.storage.allSatisfy { $0 >= 0.05 - 1e-12 && $0 < 0.45 })
        let p = try Noise.add(.poisson(peak: 10), to: x, seed: 5)
        #expect(p.storage.allSatisfy { abs(($0 * 10).rounded() - $0 * 10) < 1e-9 }, "Poisson(peak·x)/peak is a multiple of 1/peak")
        #expect(try Noise.add(.gaussian(sigma: 0), to: x, seed: 1) == x)
    }

    @Test func invalidParametersThrow() {
        let x = Grid(shape: Shape(4, 4), repeating: 0.5)
        for model in [NoiseModel.gaussian(sigma: -1), .gaussian(sigma: .nan), .poisson(peak: 0), .poisson(peak: -3),
                      .poisson(peak: .infinity), .uniform(halfWidth: -0.1), .laplace(scale: .nan)] {
            #expect(throws: ImagingError.self, "\(model)") { try Noise.add(model, to: x, seed: 1) }
        }
        var negative = x
        negative[1, 2] = -0.01
        #expect { try Noise.add(.poisson(peak: 10), to: negative, seed: 1) } throws: { e in
            if case ImagingError.invalidData = e { return true }
            return false
        }
        var nan = x
        nan[0, 0] = .nan
        #expect { try Noise.add(.gaussian(sigma: 0.1), to: nan, seed: 1) } throws: { e in
            if case ImagingError.invalidData = e { return true }
            return false
        }
    }
}

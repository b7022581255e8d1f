/// A pixel-wise noise model for simulating measurements.
public enum NoiseModel: Sendable, Equatable {
    /// Additive white Gaussian noise: `y = x + σ·N(0, 1)`.
    case gaussian(sigma: Double)
    /// Poisson (shot) noise at a photon count `peak` for intensity 1: `y = Poisson(peak·x)/peak`;
    /// requires `x ≥ 0`, so `E[y] = x` and `Var[y] = x/peak`.
    case poisson(peak: Double)
    /// Additive uniform noise on `[−halfWidth, halfWidth)`: variance `halfWidth²/3`.
    case uniform(halfWidth: Double)
    /// Additive Laplace noise with `scale` b: variance `2b²`.
    case laplace(scale: Double)
}

/// Adds seeded noise to grids.
public enum Noise {
    /// Returns `x` with noise from `model`, drawn from a ``RandomSource`` seeded with `seed`.
    ///
    /// Elements are visited in row-major order with one generator, so the result depends only
    /// on the seed, the model and `x` (not on thread count or machine). Distribution algorithms
    /// are documented on ``RandomSource`` (Box–Muller Gaussian, inverse-CDF Laplace,
    /// Knuth/PTRS Poisson).
    ///
    /// - Throws: ``ImagingError/invalidParameter(name:reason:)`` for a negative or non-finite σ,
    ///   half-width or scale, or a non-positive or non-finite peak;
    ///   ``ImagingError/invalidData(source:reason:)`` when `x` holds NaN/infinity or, for Poisson
    ///   noise, a negative value.
    public static func add(_ model: NoiseModel, to x: Grid, seed: UInt64) throws -> Grid {
        try x.requireFinite(source: "noise input")
        var rng = RandomSource(seed: seed)
        var y = x
        switch model {
        case .gaussian(let sigma):
            try requireNonNegative(sigma, name: "sigma")
            y.storage.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] += sigma * rng.gaussian() }
            }
        case .uniform(let h):
            try requireNonNegative(h, name: "halfWidth")
            y.storage.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] += h * (2 * rng.uniform() - 1) }
            }
        case .laplace(let b):
            try requireNonNegative(b, name: "scale")
            y.storage.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] += rng.laplace(scale: b) }
            }
        case .poisson(let peak):
            guard peak > 0, peak.isFinite else {
                throw ImagingError.invalidParameter(name: "peak", reason: "must be finite and > 0, got \(peak)")
            }
            if let i = x.storage.firstIndex(where: { $0 < 0 }) {
                throw ImagingError.invalidData(source: "noise input",
                    reason: "Poisson noise needs x ≥ 0, got \(x.storage[i]) at index \(x.multiIndex(i))")
            }
            let inv = 1 / peak
            y.storage.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = rng.poisson(peak * p[i]) * inv }
            }
        }
        return y
    }

    static func requireNonNegative(_ v: Double, name: String) throws {
        guard v >= 0, v.isFinite else {
            throw ImagingError.invalidParameter(name: name, reason: "must be finite and ≥ 0, got \(v)")
        }
    }
}

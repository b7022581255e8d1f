import Inverse

/// Seeded standard-normal grid (seed shown in failure messages by the callers).
func randomGrid(_ shape: Shape, seed: UInt64) -> Grid {
    var rng = RandomSource(seed: seed)
    return rng.gaussianGrid(shape)
}

/// Seeded uniform grid in `range`.
func uniformGrid(_ shape: Shape, in range: Range<Double> = 0..<1, seed: UInt64) -> Grid {
    var rng = RandomSource(seed: seed)
    return rng.uniformGrid(shape, in: range)
}

/// ‖a − b‖ / max(‖b‖, tiny).
func relativeError(_ a: Grid, _ b: Grid) -> Double {
    a.squaredDistance(to: b).squareRoot() / max(b.norm, 1e-300)
}

/// A 16×16 piecewise-constant test image (a square and a disc on a background) plus seeded noise.
func piecewiseConstantImage(size n: Int = 16, noise sigma: Double = 0.1, seed: UInt64 = 7) -> (clean: Grid, noisy: Grid) {
    var clean = Grid.image(height: n, width: n, repeating: 0.2)
    for i in 0..<n {
        for j in 0..<n {
            if i >= n / 4 && i < n / 2 && j >= n / 8 && j < n / 2 { clean[i, j] = 0.8 }
            let di = Double(i) - 0.7 * Double(n), dj = Double(j) - 0.65 * Double(n)
            if di * di + dj * dj < Double(n * n) / 25 { clean[i, j] = 0.5 }
        }
    }
    var noisy = clean
    noisy.axpy(sigma, randomGrid(clean.shape, seed: seed))
    return (clean, noisy)
}

/// Prints a measured number for the report (tests only; the library never prints).
func record(_ label: String, _ value: Double) {
    print("[measure] \(label): \(value)")
}

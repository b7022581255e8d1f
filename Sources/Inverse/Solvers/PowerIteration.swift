/// Estimates the operator norm ‖A‖ = sqrt(λ_max(AᵀA)) by power iteration on AᵀA.
///
/// Starts from a seeded Gaussian vector v₀ and repeats v ← AᵀA v / ‖AᵀA v‖; the estimate is
/// sqrt(‖A v‖²) for the final unit v (the Rayleigh quotient, a lower bound of ‖A‖² that increases
/// towards it). Convergence is linear with rate λ₂/λ₁; for step sizes multiply by a small safety
/// factor, or use a known analytic bound (‖∇‖² ≤ 4·rank for forward differences).
///
/// - Parameters:
///   - operator: A.
///   - iterations: number of AᵀA applications (≥ 1).
///   - seed: seed of the starting vector.
/// - Returns: the estimate of ‖A‖ (0 for the zero operator).
public func operatorNorm<Operator: LinearOperator>(_ operator: Operator, iterations: Int = 100,
                                                   seed: UInt64 = 0x5EED) -> Double {
    precondition(iterations >= 1, "operatorNorm: iterations must be ≥ 1, got \(iterations)")
    var rng = RandomSource(seed: seed)
    var v = rng.gaussianGrid(`operator`.domain)
    var av = Grid(shape: `operator`.range)
    var w = Grid(shape: `operator`.domain)
    var n = v.norm
    guard n > 0 else { return 0 }
    v.scale(by: 1 / n)
    var estimate = 0.0
    for _ in 0..<iterations {
        `operator`.apply(v, into: &av)
        estimate = av.squaredNorm            // vᵀAᵀA v with ‖v‖ = 1
        `operator`.applyAdjoint(av, into: &w)
        n = w.norm
        if n == 0 { return 0 }
        v.assign(w)
        v.scale(by: 1 / n)
    }
    `operator`.apply(v, into: &av)
    estimate = Swift.max(estimate, av.squaredNorm)
    return estimate.squareRoot()
}

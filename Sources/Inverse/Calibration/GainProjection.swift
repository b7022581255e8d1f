/// Euclidean projection onto the gain set
///
///     G = { γ ∈ ℝᵐ : 1ᵀγ = m,  ‖γ − 1‖_∞ ≤ ρ' }    (ρ' = `bound`; `nil` drops the box).
///
/// KKT: γ_i = clip(v_i − τ, 1 − ρ', 1 + ρ') with the scalar τ solving Σ_i clip(v_i − τ) = m.
/// Without a box (or when the box is inactive at τ = mean(v) − 1) this is γ = v − mean(v) + 1.
/// Otherwise τ is bracketed by bisection on the decreasing piecewise-linear φ(τ) = Σ clip(v_i − τ)
/// and then solved exactly on the final free set F = {i : 1 − ρ' < v_i − τ < 1 + ρ'}:
/// τ = (Σ_F v_i + Σ_{i∉F} (clipped bound_i) − m)/|F|, so the equality holds to round-off.
/// G is non-empty for every ρ' ≥ 0 (γ = 1 lies in it). No allocation.
public enum GainProjection {
    /// v ← P_G(v) in place.
    public static func project(_ v: inout [Double], bound: Double?) {
        let m = v.count
        guard m > 0 else { return }
        let target = Double(m)
        var mean = 0.0
        for x in v { mean += x }
        mean /= target
        var tau = mean - 1
        guard let rho = bound else {
            for i in 0..<m { v[i] -= tau }
            return
        }
        precondition(rho >= 0, "GainProjection: bound must be ≥ 0")
        let lo = 1 - rho, hi = 1 + rho
        var inside = true
        for x in v where x - tau < lo || x - tau > hi { inside = false; break }
        if !inside {
            // φ(τ) = Σ clip(v_i − τ, lo, hi) decreases from m·hi (τ ≤ min v − hi) to m·lo (τ ≥ max v − lo).
            var vmin = v[0], vmax = v[0]
            for x in v { vmin = Swift.min(vmin, x); vmax = Swift.max(vmax, x) }
            var a = vmin - hi, b = vmax - lo
            func phi(_ t: Double) -> Double {
                var s = 0.0
                for x in v { s += Swift.min(hi, Swift.max(lo, x - t)) }
                return s
            }
            for _ in 0..<200 {
                let mid = 0.5 * (a + b)
                if mid <= a || mid >= b { break }
                if phi(mid) > target { a = mid } else { b = mid }
            }
            tau = 0.5 * (a + b)
            // Exact solve on the free set at the bracketed τ.
            var freeCount = 0, freeSum = 0.0, clippedSum = 0.0
            for x in v {
                let t = x - tau
                if t <= lo { clippedSum += lo } else if t >= hi { clippedSum += hi } else { freeCount += 1; freeSum += x }
            }
            if freeCount > 0 {
                let exact = (freeSum + clippedSum - target) / Double(freeCount)
                if exact.isFinite && abs(exact - tau) <= 1e-9 * Swift.max(1, abs(tau)) { tau = exact }
            }
        }
        for i in 0..<m { v[i] = Swift.min(hi, Swift.max(lo, v[i] - tau)) }
    }
}

import Testing
@testable import Inverse

/// Blind gain calibration (spec blind-calibration.md §2, §7): derivatives, projection, line
/// search, sensing operators and seeded recovery.
@Suite struct CalibrationTests {
    /// A seeded dense-Gaussian problem with gains of range ρ; returns solver, truth.
    static func problem(n: Int, m: Int, p: Int, rho: Double, seed: UInt64,
                        options: BlindCalibration<DenseSensing>.Options = .init())
        throws -> (BlindCalibration<DenseSensing>, [Double], [Double]) {
        var rng = RandomSource(seed: seed)
        let x = (0..<n).map { _ in rng.gaussian() }
        let d = CalibrationSimulation.gains(sensors: m, range: rho, rng: &rng)
        let a = DenseSensing(.gaussian, snapshots: p, sensors: m, unknowns: n, seed: RandomSource.derivedSeed(seed, "A"))
        let y = CalibrationSimulation.measurements(a, signal: x, gains: d, rng: &rng)
        return (try BlindCalibration(sensing: a, measurements: y, options: options), x, d)
    }

    @Test func gradientsMatchCentralDifferences() throws {
        let (solver, x, d) = try Self.problem(n: 9, m: 7, p: 3, rho: 0.5, seed: 11)
        var rng = RandomSource(seed: 12)
        let xi = x.map { $0 + 0.3 * rng.gaussian() }
        let gamma = d.map { $0 + 0.2 * rng.gaussian() }
        let (gx, gg) = solver.gradients(signal: xi, gains: gamma)
        let h = 1e-6
        for i in 0..<xi.count {
            var a = xi, b = xi
            a[i] += h; b[i] -= h
            let fd = (solver.objective(signal: a, gains: gamma) - solver.objective(signal: b, gains: gamma)) / (2 * h)
            #expect(abs(fd - gx[i]) <= 1e-7 * max(1, abs(gx[i])), "∂f/∂ξ[\(i)]: fd \(fd) vs \(gx[i])")
        }
        for i in 0..<gamma.count {
            var a = gamma, b = gamma
            a[i] += h; b[i] -= h
            let fd = (solver.objective(signal: xi, gains: a) - solver.objective(signal: xi, gains: b)) / (2 * h)
            #expect(abs(fd - gg[i]) <= 1e-7 * max(1, abs(gg[i])), "∂f/∂γ[\(i)]: fd \(fd) vs \(gg[i])")
        }
    }

    /// KKT of min ½‖γ − v‖² s.t. 1ᵀγ = m, lo ≤ γ ≤ hi: γ_i = clip(v_i − τ) for one τ.
    @Test(arguments: [0.2, 0.5, 0.99])
    func projectionIsExactAndIdempotent(bound: Double) {
        var rng = RandomSource(seed: UInt64(bound * 1000))
        for trial in 0..<5 {
            let m = 40 + 13 * trial
            let v = (0..<m).map { _ in 1.4 + rng.gaussian() }
            var g = v
            GainProjection.project(&g, bound: bound)
            let lo = 1 - bound, hi = 1 + bound
            #expect(abs(g.reduce(0, +) - Double(m)) <= 1e-12 * Double(m))
            #expect(g.allSatisfy { $0 >= lo - 1e-15 && $0 <= hi + 1e-15 })
            let free = (0..<m).filter { g[$0] > lo + 1e-12 && g[$0] < hi - 1e-12 }
            #expect(!free.isEmpty)
            let tau = v[free[0]] - g[free[0]]
            for i in free { #expect(abs(v[i] - g[i] - tau) <= 1e-12, "free \(i)") }
            for i in 0..<m where !free.contains(i) {
                if g[i] <= lo + 1e-12 { #expect(v[i] - lo <= tau + 1e-12, "lower \(i)") }
                else { #expect(v[i] - hi >= tau - 1e-12, "upper \(i)") }
            }
            var again = g
            GainProjection.project(&again, bound: bound)
            for i in 0..<m { #expect(abs(again[i] - g[i]) <= 1e-14) }
            // The box is active in these trials (spread ≫ bound), so the test exercises bisection.
            #expect(free.count < m)
        }
        var h = [0.5, 1.5, 2.5, 3.5]
        GainProjection.project(&h, bound: nil)
        #expect(h == [-0.5, 0.5, 1.5, 2.5])
    }

    /// The closed-form steps minimise f along each block direction (other block frozen).
    @Test func lineSearchStepsAreBlockMinimisers() throws {
        let (solver, x, d) = try Self.problem(n: 20, m: 16, p: 4, rho: 0.5, seed: 21)
        var rng = RandomSource(seed: 22)
        let xi = x.map { $0 + 0.5 * rng.gaussian() }
        let gamma = d.map { $0 + 0.1 * rng.gaussian() }
        let (gx, ggRaw) = solver.gradients(signal: xi, gains: gamma)
        let mean = ggRaw.reduce(0, +) / Double(ggRaw.count)
        let gg = ggRaw.map { $0 - mean }
        let (muX, muG) = solver.lineSearchSteps(signal: xi, gains: gamma)
        func golden(_ f: (Double) -> Double, _ a0: Double, _ b0: Double) -> Double {
            var a = a0, b = b0
            let r = (5.0.squareRoot() - 1) / 2
            for _ in 0..<200 {
                let c = b - r * (b - a), e = a + r * (b - a)
                if f(c) < f(e) { b = e } else { a = c }
            }
            return (a + b) / 2
        }
        let bx = golden({ mu in solver.objective(signal: zip(xi, gx).map { $0 - mu * $1 }, gains: gamma) }, 0, 3 * muX + 1)
        let bg = golden({ mu in solver.objective(signal: xi, gains: zip(gamma, gg).map { $0 - mu * $1 }) }, 0, 3 * muG + 1)
        #expect(muX > 0 && muG > 0)
        #expect(abs(bx - muX) <= 1e-5 * muX, "μ_ξ \(muX) vs golden \(bx)")
        #expect(abs(bg - muG) <= 1e-5 * muG, "μ_γ \(muG) vs golden \(bg)")
    }

    @Test func sensingOperatorsAreAdjointAndSeeded() {
        let ops: [any SensingOperator] = [
            DenseSensing(.gaussian, snapshots: 3, sensors: 10, unknowns: 7, seed: 1),
            DenseSensing(.bernoulli, snapshots: 2, sensors: 5, unknowns: 9, seed: 2),
            DenseSensing(snapshots: 2, sensors: 3, unknowns: 4, matrix: (0..<24).map { Double($0 % 7) - 3 }),
            ConvolutionSensing(snapshots: 3, sensors: 16, unknowns: 16, seed: 3),
            ConvolutionSensing(snapshots: 2, sensors: 11, unknowns: 24, seed: 4),
        ]
        for op in ops {
            let result = adjointTest(op, trials: 3, seed: 5)
            #expect(result.mismatch < 1e-13, "\(result)")
            #expect(result.linearityError < 1e-13, "\(result)")
        }
        let a = DenseSensing(.bernoulli, snapshots: 2, sensors: 5, unknowns: 9, seed: 2)
        #expect(a.matrix == DenseSensing(.bernoulli, snapshots: 2, sensors: 5, unknowns: 9, seed: 2).matrix)
        #expect(a.matrix != DenseSensing(.bernoulli, snapshots: 2, sensors: 5, unknowns: 9, seed: 3).matrix)
        #expect(a.matrix.allSatisfy { $0 == 1 || $0 == -1 })
        let c = ConvolutionSensing(snapshots: 2, sensors: 11, unknowns: 24, seed: 4)
        #expect(Set(c.sensorIndices).count == 11 && c.sensorIndices == c.sensorIndices.sorted())
    }

    /// Row isotropy of the FFT operator (E aaᵀ = I): the convolution rows are circular shifts of
    /// one filter h_l with taps N(0, 1), so Σ_l ‖A_l e_0‖² / (p m) ≈ 1 for m = n.
    @Test func convolutionRowsHaveUnitVariance() {
        let n = 256, p = 8
        let op = ConvolutionSensing(snapshots: p, sensors: n, unknowns: n, seed: 9)
        var e = Grid(shape: Shape(n)); e.storage[0] = 1
        let col = op(e)
        let meanSquare = col.storage.reduce(0) { $0 + $1 * $1 } / Double(p * n)
        #expect(abs(meanSquare - 1) < 0.1, "mean square tap \(meanSquare)")
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func recoversDenseGaussian(seed: UInt64) throws {
        let (solver, x, d) = try Self.problem(n: 64, m: 64, p: 8, rho: 0.5, seed: seed)
        let result = solver.run()
        let err = try #require(CalibrationErrors(signal: result.signal, gains: result.gains, trueSignal: x, trueGains: d))
        #expect(err.maximum <= 1e-6, "seed \(seed): \(err), \(result.report.stopReason), \(result.iterations) it")
        #expect(result.report.converged && !result.reachedMaxIterations)
        #expect(result.finalResidual < 1e-8)
        #expect(abs(result.gains.reduce(0, +) - 64) < 1e-9)
    }

    /// The fused pass (𝒜 g_ξ with the next adjoint in one sweep over A) runs the same iteration
    /// as separate passes: same iterates to rounding, at a size with several row blocks and chunks
    /// (n = 160 → 204-row blocks, 3 chunks), an active gain box and the 𝒜ξ refresh.
    @Test func fusedPassesGiveTheSameIterates() throws {
        var fused = BlindCalibration<DenseSensing>.Options()
        fused.passFusion = .always
        fused.gainBound = 0.6
        fused.maxIterations = 60
        fused.refreshInterval = 7
        var separate = fused
        separate.passFusion = .never
        let (a, x, d) = try Self.problem(n: 160, m: 96, p: 6, rho: 0.55, seed: 21, options: fused)
        let (b, _, _) = try Self.problem(n: 160, m: 96, p: 6, rho: 0.55, seed: 21, options: separate)
        let work = FusedPassWorkspace(rows: 6 * 96, unknowns: 160)
        #expect(work.chunks == 3 && work.blockRows == 204)
        let ra = a.run(), rb = b.run()
        #expect(ra.iterations == 60 && rb.iterations == 60)
        let dx = zip(ra.signal, rb.signal).map { abs($0 - $1) }.max()!, nx = rb.signal.map(abs).max()!
        let dg = zip(ra.gains, rb.gains).map { abs($0 - $1) }.max()!
        #expect(dx <= 1e-10 * nx && dg <= 1e-10, "fused vs separate: ξ \(dx / nx), γ \(dg)")
        for (u, v) in zip(ra.report.history, rb.report.history) {
            #expect(abs(u.stepSize - v.stepSize) <= 1e-9 * abs(v.stepSize), "μ_ξ at \(u.iteration)")
            #expect(abs((u.secondaryStepSize ?? 0) - (v.secondaryStepSize ?? 0)) <= 1e-9 * abs(v.secondaryStepSize ?? 1))
        }
        // And the fused solver recovers the problem when run to convergence.
        var full = fused
        full.maxIterations = 5000
        full.tolerance = 1e-12
        let (c, _, _) = try Self.problem(n: 160, m: 96, p: 6, rho: 0.55, seed: 21, options: full)
        let rc = c.run()
        let err = try #require(CalibrationErrors(signal: rc.signal, gains: rc.gains, trueSignal: x, trueGains: d))
        #expect(err.maximum <= 1e-6, "\(err), \(rc.iterations) iterations")
    }

    @Test func fixedStepsRecoverAndAreGuarded() throws {
        var options = BlindCalibration<DenseSensing>.Options()
        options.stepRule = .fixed(0.5)
        let (solver, x, d) = try Self.problem(n: 64, m: 64, p: 8, rho: 0.5, seed: 4, options: options)
        let result = solver.run()
        let err = try #require(CalibrationErrors(signal: result.signal, gains: result.gains, trueSignal: x, trueGains: d))
        #expect(err.maximum <= 1e-6, "\(err) \(result.report.stopReason)")
        // μ = 4 diverges without the guard (spec: μ ≥ 1.5 → NaN); the guard halves it instead.
        options.stepRule = .fixed(4)
        options.maxIterations = 300
        let (big, _, _) = try Self.problem(n: 64, m: 64, p: 8, rho: 0.5, seed: 4, options: options)
        let guarded = big.run()
        #expect(guarded.finalResidual.isFinite)
        let objectives = guarded.report.history.compactMap(\.objective)
        for k in 1..<objectives.count { #expect(objectives[k] <= objectives[k - 1] * (1 + 1e-9)) }
    }

    @Test func monitorAndHistoryAgreeAndCapIsFlagged() throws {
        var options = BlindCalibration<DenseSensing>.Options()
        options.maxIterations = 7
        let (solver, _, _) = try Self.problem(n: 32, m: 32, p: 4, rho: 0.5, seed: 5, options: options)
        var seen = 0
        let result = solver.run { _ in seen += 1 }
        #expect(seen == 7 && result.report.history.count == 7)
        #expect(result.reachedMaxIterations && result.iterations == 7)
    }

    @Test func rejectsBadProblems() {
        let a = DenseSensing(.gaussian, snapshots: 2, sensors: 8, unknowns: 16, seed: 1)
        #expect(throws: BlindCalibration<DenseSensing>.InputError.tooFewMeasurements(equations: 16, unknowns: 23)) {
            try BlindCalibration(sensing: a, measurements: [Double](repeating: 1, count: 16))
        }
        let b = DenseSensing(.gaussian, snapshots: 4, sensors: 8, unknowns: 8, seed: 1)
        #expect(throws: BlindCalibration<DenseSensing>.InputError.zeroMeasurements) {
            try BlindCalibration(sensing: b, measurements: [Double](repeating: 0, count: 32))
        }
        #expect(throws: BlindCalibration<DenseSensing>.InputError.sizeMismatch(expected: 32, got: 31)) {
            try BlindCalibration(sensing: b, measurements: [Double](repeating: 1, count: 31))
        }
        var dead = [Double](repeating: 1, count: 32)
        for l in 0..<4 { dead[l * 8 + 3] = 0 }
        #expect(throws: BlindCalibration<DenseSensing>.InputError.deadSensor(3)) {
            try BlindCalibration(sensing: b, measurements: dead)
        }
        var nan = [Double](repeating: 1, count: 32); nan[5] = .nan
        #expect(throws: BlindCalibration<DenseSensing>.InputError.nonFinite) {
            try BlindCalibration(sensing: b, measurements: nan)
        }
        var options = BlindCalibration<DenseSensing>.Options()
        options.gainBound = 1
        #expect(throws: (any Error).self) {
            try BlindCalibration(sensing: b, measurements: [Double](repeating: 1, count: 32), options: options)
        }
    }

    @Test func errorsUseTheUnavoidableNormalisation() throws {
        let x = [1.0, -2.0, 3.0], d = [0.5, 1.0, 1.5, 1.0]     // 1ᵀd = m
        // The same product with the truth scaled by α = 2: d* = 2d, x* = x/2.
        let err = try #require(CalibrationErrors(signal: x, gains: d, trueSignal: x.map { $0 / 2 }, trueGains: d.map { $0 * 2 }))
        #expect(err.signal < 1e-15 && err.gains < 1e-15)
        let off = try #require(CalibrationErrors(signal: x.map { $0 * 1.01 }, gains: d, trueSignal: x, trueGains: d))
        #expect(abs(off.signal - 0.01) < 1e-12)
        #expect(CalibrationErrors(signal: x, gains: [1, -1], trueSignal: x, trueGains: [1, -1]) == nil)
    }
}

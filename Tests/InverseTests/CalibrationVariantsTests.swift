import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Inverse

/// Sensing descriptions, simulation, Algorithm 2 (subspace priors) and the complex variant
/// (spec blind-calibration.md §2.7, §7 E2/E5, §8).
@Suite struct CalibrationVariantsTests {
    @Test func descriptionsRebuildTheSameOperators() throws {
        for d in [SensingDescription.gaussian(seed: 3), .bernoulli(seed: 4), .convolution(seed: 5)] {
            let back = try SensingDescription(kind: d.kind, seed: d.seed)
            #expect(back == d)
            let a = try d.makeOperator(unknowns: 12, sensors: 10, snapshots: 3)
            let b = try back.makeOperator(unknowns: 12, sensors: 10, snapshots: 3)
            let x = randomGrid(Shape(12), seed: 1)
            #expect(a(x).storage == b(x).storage, "\(d)")
            let adj = adjointTest(a, trials: 2, seed: 2)
            #expect(adj.mismatch < 1e-13, "\(d): \(adj)")
        }
        // The description builds exactly the operator one would build directly.
        let direct = DenseSensing(.bernoulli, snapshots: 3, sensors: 10, unknowns: 12, seed: 4)
        let built = try SensingDescription.bernoulli(seed: 4).makeOperator(unknowns: 12, sensors: 10, snapshots: 3)
        #expect((built.base as? DenseSensing)?.matrix == direct.matrix)
        #expect(throws: CalibrationInputError.self) { try SensingDescription(kind: "fourier", seed: 1) }
        #expect(throws: CalibrationInputError.self) { try SensingDescription(kind: "gaussian", seed: nil) }
        #expect(throws: CalibrationInputError.self) {
            try SensingDescription.convolution(seed: 1).makeOperator(unknowns: 8, sensors: 9, snapshots: 2)
        }
        #expect(throws: CalibrationInputError.self) {
            try SensingDescription.matrices.makeOperator(unknowns: 8, sensors: 4, snapshots: 2)
        }
    }

    @Test func userMatricesFromGrids() throws {
        let grids = (0..<3).map { randomGrid(Shape(5, 7), seed: UInt64(10 + $0)) }
        let a = try DenseSensing(matrices: grids)
        #expect(a.snapshots == 3 && a.sensors == 5 && a.unknowns == 7)
        let x = randomGrid(Shape(7), seed: 1)
        let y = a(x)
        for l in 0..<3 { for i in 0..<5 {
            var s = 0.0
            for j in 0..<7 { s += grids[l][i, j] * x.storage[j] }
            #expect(abs(y.storage[l * 5 + i] - s) < 1e-13)
        } }
        let viaDescription = try SensingDescription.matrices.makeOperator(unknowns: 7, sensors: 5, snapshots: 3,
                                                                         matrix: grids.flatMap(\.storage))
        #expect(viaDescription(x).storage == y.storage)
        #expect(throws: CalibrationInputError.self) { try DenseSensing(matrices: [grids[0], randomGrid(Shape(5, 6), seed: 2)]) }
        var bad = grids[1]; bad[2, 3] = .nan
        #expect(throws: CalibrationInputError.self) { try DenseSensing(matrices: [grids[0], bad]) }
        #expect(throws: CalibrationInputError.self) { try DenseSensing(matrices: [grids[0], Grid(shape: Shape(5, 7))]) }
    }

    @Test func simulationIsSeededAndUsesTheSpecSNR() throws {
        var c = CalibrationSimulation.Configuration(unknowns: 32, sensors: 48, snapshots: 6)
        c.seed = 9
        c.gains = .random(range: 0.3)
        let clean = try CalibrationSimulation.simulate(c)
        #expect(clean == (try CalibrationSimulation.simulate(c)))
        #expect(clean.noiseSigma == 0 && clean.snr == nil)
        #expect(clean.sensing == .gaussian(seed: RandomSource.derivedSeed(9, "sensing")))
        #expect(abs(clean.trueGains.reduce(0, +) - 48) < 1e-9)
        let peak: Double = clean.trueGains.map { abs($0 - 1) }.max()!
        #expect(abs(peak - 0.3) < 1e-12)
        c.snr = 20
        let noisy = try CalibrationSimulation.simulate(c)
        #expect(noisy.trueSignal == clean.trueSignal && noisy.trueGains == clean.trueGains)
        // SNR = 20 log10(‖y_clean‖ / (σ √(mp))).
        let yNorm = clean.measurements.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let denominator: Double = noisy.noiseSigma * Double(48 * 6).squareRoot()
        let snr: Double = 20 * log10(yNorm / denominator)
        #expect(abs(snr - 20) < 1e-9)
        // The realised noise has about that σ.
        let nu: [Double] = zip(noisy.measurements, clean.measurements).map { $0 - $1 }
        let energy: Double = nu.reduce(0) { $0 + $1 * $1 }
        let rms = (energy / Double(nu.count)).squareRoot()
        #expect(abs(rms / noisy.noiseSigma - 1) < 0.15)
        // Given signal and gains are used as given.
        let signal32: [Double] = (0..<32).map { (i: Int) -> Double in Double(i % 5) - 2 }
        let signal48: [Double] = (0..<48).map { (i: Int) -> Double in Double(i % 5) - 2 }
        let gains48: [Double] = (0..<48).map { (i: Int) -> Double in 0.5 + 0.5 * Double(i % 3) }
        c.signal = .given(signal32)
        c.gains = .given(gains48)
        c.sensing = "convolution"; c.snr = nil
        #expect(throws: CalibrationInputError.self) { try CalibrationSimulation.simulate(c) }   // m > n
        c.unknowns = 48
        c.signal = .given(signal48)
        let given = try CalibrationSimulation.simulate(c)
        #expect(given.trueGains == gains48)
        let op = try given.makeOperator()
        let ax = op(Grid(shape: Shape(48), storage: given.trueSignal))
        for k in 0..<(48 * 6) {
            let expected: Double = given.trueGains[k % 48] * ax.storage[k]
            #expect(abs(given.measurements[k] - expected) < 1e-12)
        }
        c.gains = .given([Double](repeating: -1, count: 48))
        #expect(throws: CalibrationInputError.self) { try CalibrationSimulation.simulate(c) }
    }

    @Test func bernoulliSensingRecovers() throws {
        for seed in UInt64(1)...3 {
            var c = CalibrationSimulation.Configuration(unknowns: 64, sensors: 64, snapshots: 8)
            c.sensing = "bernoulli"; c.seed = seed
            let o = try CalibrationExperiments.trial(c, tolerance: 1e-12, maxIterations: 5000, threshold: 1e-6)
            #expect(o.errors.maximum <= 1e-6, "seed \(seed): \(o)")
        }
    }

    // MARK: Algorithm 2

    static func subspaceProblem(n: Int = 256, k: Int = 16, m: Int = 128, h: Int = 8, p: Int = 1, seed: UInt64)
        throws -> (SubspaceBlindCalibration<DenseSensing>, [Double], [Double]) {
        let z = SubspaceBasis.randomOrthonormal(rows: n, columns: k, seed: RandomSource.derivedSeed(seed, "Z"))
        let b = SubspaceBasis.dct(rows: m, atoms: h)
        var rng = RandomSource(seed: seed)
        let x = CalibrationSimulation.subspaceSignal(basis: z, rng: &rng)
        let d = CalibrationSimulation.subspaceGains(basis: b, range: 0.5, rng: &rng)   // ‖Bb‖_∞ = 0.5
        let a = DenseSensing(.gaussian, snapshots: p, sensors: m, unknowns: n, seed: RandomSource.derivedSeed(seed, "A"))
        let y = CalibrationSimulation.measurements(a, signal: x, gains: d, rng: &rng)
        var options = SubspaceBlindCalibration<DenseSensing>.Options()
        options.tolerance = 1e-12
        return (try SubspaceBlindCalibration(sensing: a, measurements: y, signalBasis: z, gainBasis: b, options: options), x, d)
    }

    @Test func basesAreOrthonormal() {
        let z = SubspaceBasis.randomOrthonormal(rows: 50, columns: 12, seed: 3)
        #expect(z.orthonormalityError < 1e-13)
        let b = SubspaceBasis.dct(rows: 40, atoms: 39)
        #expect(b.orthonormalityError < 1e-12 && b.meanComponent < 1e-12)
        #expect(SubspaceBasis.identity(5).orthonormalityError == 0)
        #expect(throws: CalibrationInputError.self) { try SubspaceBasis(rows: 3, columns: 2, entries: [1, 0, 0, 2, 0, 0]) }
    }

    @Test func subspaceGradientsAndStepsAreExact() throws {
        let (solver, x, d) = try Self.subspaceProblem(n: 24, k: 5, m: 20, h: 4, p: 2, seed: 3)
        let z0 = solver.solver.signalBasis!.coefficients(of: x)
        let b0 = solver.solver.gainBasis!.coefficients(of: d.map { $0 - 1 })
        var rng = RandomSource(seed: 4)
        let z = z0.map { $0 + 0.3 * rng.gaussian() }, b = b0.map { $0 + 0.2 * rng.gaussian() }
        let (gz, gb) = solver.gradients(signalCoefficients: z, gainCoefficients: b)
        let h = 1e-6
        for i in 0..<z.count {
            var p = z, q = z; p[i] += h; q[i] -= h
            let fd = (solver.objective(signalCoefficients: p, gainCoefficients: b) - solver.objective(signalCoefficients: q, gainCoefficients: b)) / (2 * h)
            #expect(abs(fd - gz[i]) <= 1e-7 * max(1, abs(gz[i])), "∂f/∂z[\(i)]")
        }
        for i in 0..<b.count {
            var p = b, q = b; p[i] += h; q[i] -= h
            let fd = (solver.objective(signalCoefficients: z, gainCoefficients: p) - solver.objective(signalCoefficients: z, gainCoefficients: q)) / (2 * h)
            #expect(abs(fd - gb[i]) <= 1e-7 * max(1, abs(gb[i])), "∂f/∂b[\(i)]")
        }
        let (muZ, muB) = solver.lineSearchSteps(signalCoefficients: z, gainCoefficients: b)
        let bz = goldenSectionMinimum(0, 3 * muZ + 1) { mu in
            solver.objective(signalCoefficients: zip(z, gz).map { $0 - mu * $1 }, gainCoefficients: b)
        }
        let bb = goldenSectionMinimum(0, 3 * muB + 1) { mu in
            solver.objective(signalCoefficients: z, gainCoefficients: zip(b, gb).map { $0 - mu * $1 })
        }
        #expect(muZ > 0 && muB > 0)
        #expect(abs(bz - muZ) <= 1e-5 * muZ, "μ_z \(muZ) vs golden \(bz)")
        #expect(abs(bb - muB) <= 1e-5 * muB, "μ_b \(muB) vs golden \(bb)")
    }

    /// Spec §7 E2: p = 1, n = 256, k = 16, m = 128, h = 8 — 100 % of 20 trials.
    @Test func subspacePriorsRecoverFromOneSnapshot() throws {
        var successes = 0
        var iterations: [Int] = []
        for seed in UInt64(1)...20 {
            let (solver, x, d) = try Self.subspaceProblem(seed: seed)
            let r = solver.run()
            let e = try #require(CalibrationErrors(signal: r.signal, gains: r.gains, trueSignal: x, trueGains: d))
            if e.maximum <= 1e-6 { successes += 1 }
            iterations.append(r.iterations)
            #expect(abs(r.gains.reduce(0, +) - 128) < 1e-9)
            #expect(r.signalCoefficients.count == 16 && r.gainCoefficients.count == 8)
        }
        record("E2 subspace p=1 successes/20", Double(successes))
        record("E2 subspace median iterations", Double(iterations.sorted()[10]))
        #expect(successes == 20)
    }

    @Test func subspaceInputIsValidated() throws {
        let a = DenseSensing(.gaussian, snapshots: 1, sensors: 16, unknowns: 32, seed: 1)
        let y = [Double](repeating: 1, count: 16)
        let z = SubspaceBasis.randomOrthonormal(rows: 32, columns: 4, seed: 1)
        let withMean = SubspaceBasis.randomOrthonormal(rows: 16, columns: 2, seed: 2)
        #expect(throws: CalibrationInputError.self) {
            try SubspaceBlindCalibration(sensing: a, measurements: y, signalBasis: z, gainBasis: withMean)
        }
        #expect(throws: CalibrationInputError.self) {
            try SubspaceBlindCalibration(sensing: a, measurements: y, signalBasis: SubspaceBasis.dct(rows: 16, atoms: 3),
                                         gainBasis: .dct(rows: 16, atoms: 3))
        }
        #expect(throws: CalibrationInputError.tooFewMeasurementsForPriors(equations: 16, unknowns: 20)) {
            try SubspaceBlindCalibration(sensing: a, measurements: y, signalBasis: SubspaceBasis.randomOrthonormal(rows: 32, columns: 12, seed: 1),
                                         gainBasis: .dct(rows: 16, atoms: 8))
        }
    }

    // MARK: complex

    @Test func complexSensingIsAdjointAndGradientsMatch() throws {
        let (a, y, x, d) = ComplexCalibrationSimulation.problem(unknowns: 7, sensors: 9, snapshots: 3, amplitudeRange: 0.3,
                                                                phaseRange: 1, seed: 5)
        // ⟨𝒜u, v⟩ = ⟨u, 𝒜ᴴv⟩ (complex inner products).
        var rng = RandomSource(seed: 6)
        let u = SplitComplex(real: (0..<7).map { _ in rng.gaussian() }, imaginary: (0..<7).map { _ in rng.gaussian() })
        let v = SplitComplex(real: (0..<27).map { _ in rng.gaussian() }, imaginary: (0..<27).map { _ in rng.gaussian() })
        func dot(_ p: SplitComplex, _ q: SplitComplex) -> (Double, Double) {   // Σ conj(p) q
            var re = 0.0, im = 0.0
            for i in 0..<p.count {
                re += p.real[i] * q.real[i] + p.imaginary[i] * q.imaginary[i]
                im += p.real[i] * q.imaginary[i] - p.imaginary[i] * q.real[i]
            }
            return (re, im)
        }
        let l = dot(a(u), v), r = dot(u, a.adjoint(v))
        let dRe: Double = abs(l.0 - r.0), dIm: Double = abs(l.1 - r.1)
        #expect(dRe < 1e-12 && dIm < 1e-12)
        let solver = try ComplexBlindCalibration(sensing: a, measurements: y)
        let xi = SplitComplex(real: x.real.map { $0 + 0.3 * rng.gaussian() }, imaginary: x.imaginary.map { $0 + 0.3 * rng.gaussian() })
        let ga = SplitComplex(real: d.real.map { $0 + 0.1 * rng.gaussian() }, imaginary: d.imaginary.map { $0 + 0.1 * rng.gaussian() })
        let (gx, gg) = solver.gradients(signal: xi, gains: ga)
        let h = 1e-6
        // Real and imaginary perturbations: ∂f/∂Re = Re ∇, ∂f/∂Im = Im ∇.
        for i in 0..<7 { for part in 0..<2 {
            var p = xi, q = xi
            if part == 0 { p.real[i] += h; q.real[i] -= h } else { p.imaginary[i] += h; q.imaginary[i] -= h }
            let fd = (solver.objective(signal: p, gains: ga) - solver.objective(signal: q, gains: ga)) / (2 * h)
            let an = part == 0 ? gx.real[i] : gx.imaginary[i]
            #expect(abs(fd - an) <= 1e-7 * max(1, abs(an)), "ξ[\(i)] part \(part): \(fd) vs \(an)")
        } }
        for i in 0..<9 { for part in 0..<2 {
            var p = ga, q = ga
            if part == 0 { p.real[i] += h; q.real[i] -= h } else { p.imaginary[i] += h; q.imaginary[i] -= h }
            let fd = (solver.objective(signal: xi, gains: p) - solver.objective(signal: xi, gains: q)) / (2 * h)
            let an = part == 0 ? gg.real[i] : gg.imaginary[i]
            #expect(abs(fd - an) <= 1e-7 * max(1, abs(an)), "γ[\(i)] part \(part): \(fd) vs \(an)")
        } }
    }

    /// Spec §7 E5 (moderate phases): n = m = 64, p = 4, amplitudes 1 ± 0.3, phases ±1 rad.
    @Test func complexGainsRecoverAtModeratePhases() throws {
        var successes = 0
        var iterations: [Int] = []
        for seed in UInt64(1)...10 {
            let (a, y, x, d) = ComplexCalibrationSimulation.problem(unknowns: 64, sensors: 64, snapshots: 4, amplitudeRange: 0.3,
                                                                    phaseRange: 1, seed: seed)
            var options = ComplexBlindCalibration.Options()
            options.tolerance = 1e-12
            options.recordHistory = false
            let r = try ComplexBlindCalibration(sensing: a, measurements: y, options: options).run()
            let e = try #require(ComplexCalibrationErrors(signal: r.signal, gains: r.gains, trueSignal: x, trueGains: d))
            if e.maximum <= 1e-6 { successes += 1; iterations.append(r.iterations) }
            let sumRe: Double = r.gains.real.reduce(0, +), sumIm: Double = r.gains.imaginary.reduce(0, +)
            #expect(abs(sumRe - 64) < 1e-8)
            #expect(abs(sumIm) < 1e-8)
        }
        record("E5 complex ±1 rad successes/10", Double(successes))
        record("E5 complex median iterations", Double(iterations.sorted()[iterations.count / 2]))
        #expect(successes >= 9)
    }

    @Test func complexErrorsUseTheComplexNormalisation() throws {
        let x = SplitComplex(real: [1, 2], imaginary: [0, -1]), d = SplitComplex(real: [1, 1], imaginary: [0.5, -0.5])
        // Truth scaled by α = i: d* = i d, x* = x / i = −i x.
        let ds = SplitComplex(real: d.imaginary.map { -$0 }, imaginary: d.real)
        let xs = SplitComplex(real: x.imaginary, imaginary: x.real.map { -$0 })
        let e = try #require(ComplexCalibrationErrors(signal: x, gains: d, trueSignal: xs, trueGains: ds))
        #expect(e.signal < 1e-15 && e.gains < 1e-15)
    }
}

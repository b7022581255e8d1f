import Testing
import Imaging
@testable import Inverse
#if canImport(Glibc)
import Glibc
#endif

/// Test A's training set (spec §7 A): `count` seeded piecewise-constant images (9 rectangles and
/// ellipses) rescaled to [0, 1], with Gaussian noise σ.
func bilevelSyntheticSet(count: Int, size: Int, sigma: Double, seed: UInt64) -> (clean: [Grid], noisy: [Grid]) {
    var clean: [Grid] = [], noisy: [Grid] = []
    for i in 0..<count {
        var x = Phantom.piecewiseConstant(height: size, width: size, regions: 9,
                                          seed: RandomSource.derivedSeed(seed, "clean \(i)"))
        let lo = x.min, hi = x.max
        if hi > lo { x.transform { ($0 - lo) / (hi - lo) } }
        var rng = RandomSource(seed: RandomSource.derivedSeed(seed, "noise \(i)"))
        var y = x
        y.axpy(sigma, rng.gaussianGrid(x.shape))
        clean.append(x); noisy.append(y)
    }
    return (clean, noisy)
}

/// Central-difference check of the IFT hypergradient along a direction of θ, at tight tolerances.
func hypergradientCheck<M: BilevelModel>(_ problem: BilevelProblem<M>, theta: [Double], direction d: [Double],
                                         h: Double, epsilon: Double = 1e-11, delta: Double = 1e-12) throws -> (analytic: Double, fd: Double) {
    let evaluator = BilevelEvaluator(problem: problem, limits: {
        var l = BilevelSolverLimits(); l.maxIterationsPerSolve = 100_000; l.maxCGIterations = 100_000; return l }())
    let e = try evaluator.evaluate(theta: theta, epsilon: epsilon, delta: delta)
    let analytic = zip(e.hypergradient, d).reduce(0) { $0 + $1.0 * $1.1 }
    func f(_ t: Double) throws -> Double {
        try evaluator.evaluate(theta: zip(theta, d).map { $0 + t * $1 }, epsilon: epsilon).loss
    }
    let fd = (try f(h) - f(-h)) / (2 * h)
    return (analytic, fd)
}

@Suite struct BilevelTests {
    @Test func tvHypergradientMatchesFiniteDifferences() throws {
        let data = bilevelSyntheticSet(count: 2, size: 32, sigma: 0.1, seed: 3)
        // ν learned (two parameters, ν = ν_min + e^θ₂), both directions and a mixed one.
        let model = try TVBilevelModel(minimumSmoothing: 0.01)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        let theta = try model.initialTheta(weight: 0.06, smoothing: 0.05)
        for d in [[1.0, 0], [0, 1.0], [0.6, -0.8]] {
            let (a, fd) = try hypergradientCheck(problem, theta: theta, direction: d, h: 1e-4)
            record("TV hypergradient ⟨z, d⟩ relative error vs central FD", abs(a - fd) / abs(fd))
            #expect(abs(a - fd) <= 1e-5 * abs(fd), "direction \(d): IFT \(a), FD \(fd)")
        }
    }

    @Test func foeHypergradientMatchesFiniteDifferencesInARandomDirection() throws {
        let data = bilevelSyntheticSet(count: 2, size: 20, sigma: 0.1, seed: 5)
        for boundary in ConvolutionBoundary.allCases {
            let model = try FoEBilevelModel(filterCount: 4, filterSize: 3, boundary: boundary, minimumSmoothing: 0.001)
            let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
            var filters = FieldOfExperts.randomFilters(size: 3, count: 4, seed: 11)
            filters.scale(by: 0.7)
            let theta = try model.initialTheta(filters: filters, weights: [0.05, 0.1, 0.03, 0.08],
                                               smoothings: [0.05, 0.1, 0.08, 0.2])
            var rng = RandomSource(seed: 21)
            var d = (0..<model.parameterCount).map { _ in rng.gaussian() }
            let n = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            d = d.map { $0 / n }
            let (a, fd) = try hypergradientCheck(problem, theta: theta, direction: d, h: 1e-4)
            record("FoE (\(boundary)) hypergradient relative error vs central FD", abs(a - fd) / abs(fd))
            #expect(abs(a - fd) <= 1e-5 * abs(fd), "\(boundary): IFT \(a), FD \(fd)")
        }
    }

    @Test func foeLipschitzBoundIsAnUpperBoundAndPeriodicIsExact() throws {
        for boundary in ConvolutionBoundary.allCases {
            let model = try FoEBilevelModel(filterCount: 3, filterSize: 5, boundary: boundary)
            let filters = FieldOfExperts.randomFilters(size: 5, count: 3, seed: 2)
            let theta = try model.initialTheta(filters: filters, weights: [0.1, 0.2, 0.05], smoothings: [0.1, 0.05, 0.2])
            let r = model.regularizer(theta: theta, height: 16, width: 12)
            // ‖Σ a_k C_kᵀC_k‖ by power iteration (a lower bound that converges from below).
            let a = zip(r.weights, r.smoothings).map { $0 / $1 }
            let ops = (0..<3).map { r.filterOperator($0) }
            let m = SymmetricOperator(shape: Shape(16, 12)) { v, out in
                out.fill(0)
                var t = Grid(shape: v.shape), u = Grid(shape: v.shape)
                for k in 0..<3 { ops[k].apply(v, into: &t); ops[k].applyAdjoint(t, into: &u); out.axpy(a[k], u) }
            }
            let power = pow(operatorNorm(m, iterations: 2000), 2).squareRoot()
            let bound = model.lipschitzConstant(r)
            record("FoE Lipschitz bound / power estimate (\(boundary))", bound / power)
            #expect(bound >= power * (1 - 1e-9))
            if boundary == .periodic { #expect(abs(bound - power) <= 1e-6 * bound) }
            #expect(bound <= r.lipschitzConstant! * (1 + 1e-12))
        }
    }

    @Test func errorBoundCoversTheTrueHypergradientError() throws {
        let data = bilevelSyntheticSet(count: 2, size: 32, sigma: 0.1, seed: 8)
        let model = try TVBilevelModel(minimumSmoothing: 0.01)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        let theta = try model.initialTheta(weight: 0.03, smoothing: 0.05)
        let exact = try BilevelEvaluator(problem: problem).evaluate(theta: theta, epsilon: 1e-11, delta: 1e-12)
        for accuracy in [1e-1, 1e-2, 1e-3] {
            let e = try BilevelEvaluator(problem: problem).evaluate(theta: theta, epsilon: accuracy, delta: accuracy)
            let error = zip(e.hypergradient, exact.hypergradient).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            record("TV: ω / true hypergradient error at ε = δ = \(accuracy)", e.errorBound / error)
            #expect(e.errorBound >= error, "ε = \(accuracy): ω = \(e.errorBound) < error \(error)")
            #expect(e.lossLower <= exact.loss + 1e-9 && exact.loss <= e.lossUpper + 1e-9)
        }
    }

    @Test func invalidOptionsAndDataAreRejected() throws {
        var o = MAIDOptions()
        #expect(throws: Never.self) { try o.validate() }
        let cases: [(WritableKeyPath<MAIDOptions, Double>, Double)] = [
            (\.initialAccuracy, 0), (\.initialCGTolerance, -1), (\.initialStep, .nan), (\.stepShrink, 1),
            (\.stepGrowth, 0.9), (\.accuracyTightening, 0), (\.accuracyRelaxation, 0.99), (\.descentMargin, 1),
            (\.armijo, 1e-4), (\.minimumAccuracy, 1), (\.gradientTolerance, -1), (\.maxSeconds, 0)]
        for (path, value) in cases {
            o = MAIDOptions(); o[keyPath: path] = value
            #expect(throws: BilevelError.self) { try o.validate() }
        }
        o = MAIDOptions(); o.memory = 0
        #expect(throws: BilevelError.self) { try o.validate() }
        o = MAIDOptions(); o.maxBacktracks = 0
        #expect(throws: BilevelError.self) { try o.validate() }
        o = MAIDOptions(); o.schedule = .geometric(rate: 1.5)
        #expect(throws: BilevelError.self) { try o.validate() }
        #expect(throws: BilevelError.self) { try TVBilevelModel(minimumSmoothing: 0) }
        #expect(throws: BilevelError.self) { try FoEBilevelModel(filterCount: 2, filterSize: 4) }
        let data = bilevelSyntheticSet(count: 1, size: 8, sigma: 0.1, seed: 1)
        var bad = data.noisy[0]; bad[3, 3] = .nan
        let model = try TVBilevelModel(smoothing: 0.05)
        #expect(throws: BilevelError.self) { try BilevelProblem(model: model, clean: data.clean, noisy: [bad]) }
        #expect(throws: BilevelError.self) { try BilevelProblem(model: model, clean: [], noisy: []) }
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        #expect(throws: BilevelError.self) { try MAID.run(problem: problem, initialTheta: [.infinity]) }
        #expect(throws: BilevelError.self) { try MAID.run(problem: problem, initialTheta: [0, 0]) }
    }
}

/// Spec §7 A: one TV weight on 4 seeded synthetic 64×64 images, σ = 0.1, ν = 0.05.
@Suite struct BilevelAcceptanceATests {
    @Test func maidFindsTheTVWeightOfADenseGridAndGoldenSectionReference() throws {
        let data = bilevelSyntheticSet(count: 4, size: 64, sigma: 0.1, seed: 0)
        let model = try TVBilevelModel(smoothing: 0.05)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        // Reference: 41-point grid over λ ∈ [0.005, 0.5] (log-spaced), then golden section in log λ
        // around the best grid point, all at ε = 1e-8.
        let reference = BilevelLossFunctional(problem: problem, epsilon: 1e-8)
        func f(_ logLambda: Double) -> Double { reference.value(Grid(shape: Shape(1), storage: [logLambda])) }
        let lo = log(0.005), hi = log(0.5)
        let grid = (0...40).map { lo + (hi - lo) * Double($0) / 40 }
        let values = grid.map(f)
        let best = values.indices.min { values[$0] < values[$1] }!
        let step = (hi - lo) / 40
        let golden = goldenSectionMinimum(in: (grid[best] - step)...(grid[best] + step), tolerance: 1e-5, f)
        let lambdaStar = exp(golden.x)
        let psnrStar = problem.meanPSNR(try reference.evaluator.evaluate(theta: [golden.x], epsilon: 1e-8).reconstructions)
        // MAID from λ = 0.01 with the spec's constants.
        var options = MAIDOptions()
        options.maxOuterIterations = 40
        options.gradientTolerance = 1e-3
        let result = try MAID.run(problem: problem, initialTheta: try model.initialTheta(weight: 0.01), options: options)
        let lambda = model.parameters(result.theta).weight
        let psnr = problem.meanPSNR(try reference.evaluator.evaluate(theta: result.theta, epsilon: 1e-8).reconstructions)
        let fMAID = f(result.theta[0])
        record("A: grid best λ", exp(grid[best]))
        record("A: λ* (golden section)", lambdaStar)
        record("A: f*", golden.value)
        record("A: PSNR at λ*", psnrStar)
        record("A: λ_MAID", lambda)
        record("A: |λ_MAID/λ* − 1|", abs(lambda / lambdaStar - 1))
        record("A: f(λ_MAID)/f* − 1", fMAID / golden.value - 1)
        record("A: PSNR(λ_MAID) − PSNR(λ*)", psnr - psnrStar)
        record("A: MAID outer iterations", Double(result.history.count))
        record("A: MAID FISTA iterations (stacked count)", Double(result.stackedLowerLevelIterations))
        record("A: MAID FISTA iterations (sum over images)", Double(result.lowerLevelIterations))
        record("A: MAID CG iterations (stacked count)", Double(result.stackedCGIterations))
        record("A: MAID seconds", result.seconds)
        print("[measure] A: stop reason \(result.stopReason)")
        #expect(abs(lambda / lambdaStar - 1) <= 0.02)
        #expect(abs(psnr - psnrStar) <= 0.05)
        #expect(fMAID <= golden.value * 1.001)
        #expect(result.stackedLowerLevelIterations <= 3000)
    }
}

/// The MAID loop and its baselines on a small two-parameter TV problem.
@Suite struct BilevelLoopTests {
    @Test(arguments: [(AccuracySchedule.adaptive, MAIDDirection.gradient), (.adaptive, .lbfgs), (.fixed, .gradient),
                      (.fixed, .lbfgs), (.geometric(rate: 0.9), .lbfgs), (.polynomial(power: 2), .gradient)])
    func acceptedStepsDecreaseTheExactLoss(schedule: AccuracySchedule, direction: MAIDDirection) throws {
        let data = bilevelSyntheticSet(count: 2, size: 32, sigma: 0.1, seed: 4)
        let model = try TVBilevelModel(minimumSmoothing: 0.01)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        var options = MAIDOptions()
        options.schedule = schedule
        options.direction = direction
        options.maxOuterIterations = 12
        if schedule == .fixed { options.initialAccuracy = 1e-4; options.initialCGTolerance = 1e-4; options.minimumAccuracy = 1e-4 }
        // HOAG-style schedules start tighter (HOAG: 0.01·0.9^k): at ε ≈ 0.1 no step can be certified.
        if schedule != .adaptive && schedule != .fixed { options.initialAccuracy = 1e-3; options.initialCGTolerance = 1e-3 }
        var seen: [BilevelHistoryEntry] = []
        let result = try MAID.run(problem: problem, initialTheta: try model.initialTheta(weight: 0.01, smoothing: 0.05),
                                  options: options) { seen.append($0) }
        #expect(seen == result.history)
        #expect(result.stopReason == .budget("outer iterations (12)") || result.stopReason == .converged,
                "\(schedule), \(direction): \(result.stopReason)")
        let accepted = result.history.filter(\.accepted)
        #expect(accepted.count >= 6, "\(schedule), \(direction): only \(accepted.count) accepted steps")
        // Every accepted step proves decrease: U(θ_{k+1}) < L(θ_k) ≤ U(θ_k).
        for e in accepted { #expect(e.acceptedUpper! < e.lossLower && e.lossLower <= e.lossUpper, "entry \(e.iteration)") }
        // Iterates stay in the box.
        for e in result.history { #expect(e.theta == model.clip(e.theta)) }
        // Exact (tight) loss at θ_0 and after every accepted step: strictly decreasing.
        let exact = BilevelLossFunctional(problem: problem, epsilon: 1e-9)
        var thetas = [result.history[0].theta]
        for (k, e) in result.history.enumerated() where e.accepted {
            thetas.append(k + 1 < result.history.count ? result.history[k + 1].theta : result.theta)
        }
        let losses = thetas.map { exact.value(Grid(shape: Shape(2), storage: $0)) }
        for k in 1..<losses.count { #expect(losses[k] < losses[k - 1], "\(schedule), \(direction): step \(k) \(losses[k - 1]) → \(losses[k])") }
        // Certified bounds bracket the exact loss, and the counters only grow.
        for (k, e) in result.history.enumerated() {
            let f = exact.value(Grid(shape: Shape(2), storage: e.theta))
            #expect(e.lossLower <= f + 1e-9 && f <= e.lossUpper + 1e-9, "\(schedule) entry \(k)")
            if k > 0 {
                #expect(e.lowerLevelIterations >= result.history[k - 1].lowerLevelIterations)
                #expect(e.cgIterations >= result.history[k - 1].cgIterations)
            }
        }
        record("loop \(schedule) \(direction): loss \(losses.first!) → \(losses.last!), FISTA", Double(result.lowerLevelIterations))
    }

    /// `tightenWhenDecreaseMasked`: a line search that meets a trial whose computed loss drops but
    /// whose certified test fails ends there, unaccepted, and ε is tightened by ν for the next
    /// iteration; switched off, no entry is marked and the spec's backtracking runs.
    @Test func maskedDecreaseTightensAtOnce() throws {
        let data = bilevelSyntheticSet(count: 2, size: 32, sigma: 0.1, seed: 4)
        let model = try TVBilevelModel(minimumSmoothing: 0.01)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        for on in [true, false] {
            var options = MAIDOptions()
            options.maxOuterIterations = 60
            options.gradientTolerance = 0
            options.tightenWhenDecreaseMasked = on
            let result = try MAID.run(problem: problem, initialTheta: try model.initialTheta(weight: 0.01, smoothing: 0.05),
                                      options: options)
            let h = result.history
            let masked = h.indices.filter { h[$0].decreaseMasked }
            record("masked-decrease tightening \(on): masked \(masked.count) of \(h.count), FISTA", Double(result.lowerLevelIterations))
            if !on { #expect(masked.isEmpty); continue }
            #expect(!masked.isEmpty, "no masked decrease in \(h.count) iterations: the test does not exercise the path")
            for k in masked {
                #expect(!h[k].accepted)
                if k + 1 < h.count { #expect(h[k + 1].epsilon <= options.accuracyTightening * h[k].epsilon * (1 + 1e-12)) }
            }
        }
    }

    @Test func cleanDataDrivesTheWeightToZeroAndStopsAtTheBoundaryOrFloor() throws {
        // σ = 0: the optimum is λ → 0; the run must stop with a reason, not loop.
        let data = bilevelSyntheticSet(count: 1, size: 16, sigma: 0, seed: 2)
        let model = try TVBilevelModel(smoothing: 0.05)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        var options = MAIDOptions()
        options.initialStep = 10
        options.stepGrowth = 2
        options.gradientTolerance = 0
        options.maxOuterIterations = 500
        let result = try MAID.run(problem: problem, initialTheta: [log(0.01)], options: options)
        print("[measure] clean data: stop \(result.stopReason), θ \(result.theta), iterations \(result.history.count)")
        #expect([BilevelStopReason.boundary, .accuracyFloor, .stationary].contains(result.stopReason))
        #expect(result.theta[0] < log(0.01))
    }
}

/// The projected method and its L-BFGS direction.
@Suite struct BilevelProjectionTests {
    /// A random symmetric positive definite n×n matrix (as a closure) and its entries.
    func spd(_ n: Int, seed: UInt64) -> [[Double]] {
        var rng = RandomSource(seed: seed)
        let b = (0..<n).map { _ in (0..<n).map { _ in rng.gaussian() } }
        return (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0) { $0 + b[i][$1] * b[j][$1] } + (i == j ? 0.1 : 0) } }
    }

    @Test func lbfgsDirectionIsADescentDirectionAndRespectsTheBox() throws {
        let n = 6
        let a = spd(n, seed: 3)
        var rng = RandomSource(seed: 9)
        var memory = QuasiNewtonMemory(capacity: 4)
        // Pairs of a quadratic (y = A s), plus one with negative curvature that must be skipped.
        for _ in 0..<6 {
            let s = (0..<n).map { _ in rng.gaussian() }
            memory.push(s: s, y: a.map { row in dot(row, s) })
        }
        memory.push(s: [1, 0, 0, 0, 0, 0], y: [-1, 0, 0, 0, 0, 0])
        #expect(memory.count == 4 && memory.skipped == 1)
        let lower: [Double] = [-1, -1, -Double.infinity, -1, -1, -1], upper: [Double] = [1, 1, Double.infinity, 1, 1, 1]
        for trial in 0..<50 {
            let z = (0..<n).map { _ in rng.gaussian() }
            // Interior point: d = Hz with ⟨z, d⟩ > 0.
            let theta0 = (0..<n).map { _ in 0.5 * rng.uniform() - 0.25 }
            let d0 = projectedDirection(theta: theta0, z: z, lower: lower, upper: upper, memory: memory)
            #expect(dot(z, d0) > 0, "trial \(trial)")
            #expect(zip(d0, memory.apply(z)).allSatisfy { abs($0 - $1) <= 1e-12 * (1 + abs($1)) })
            // Some components on their bounds: blocked ones (−z pointing out) get d = 0, the rest
            // stays a descent direction, and a short step stays in the box and decreases ⟨z, ·⟩.
            var theta = theta0
            theta[0] = -1; theta[1] = 1; theta[3] = -1 + 1e-5
            let d = projectedDirection(theta: theta, z: z, lower: lower, upper: upper, memory: memory)
            if z[0] > 0 { #expect(d[0] == 0) }
            if z[1] < 0 { #expect(d[1] == 0) }
            if z[3] > 0 { #expect(d[3] == z[3]) }
            #expect(dot(z, d) > 0 || d.allSatisfy { $0 == 0 })
            var step = [Double](repeating: 0, count: n)
            for j in 0..<n { step[j] = min(max(theta[j] - 1e-3 * d[j], lower[j]), upper[j]) }
            var moved = [Double](repeating: 0, count: n)
            for j in 0..<n { moved[j] = theta[j] - step[j] }
            #expect(dot(z, moved) >= 0)
        }
    }

    /// TV with (λ, ν) on cartoon images, ν ≥ ν_min = 0.02: the optimum is on the bound (the spec's
    /// test B observation). Known answer: ν* = ν_min exactly and λ* from golden section at ν_min;
    /// KKT checked by the sign of the exact ∂f/∂θ₂ there. Both directions must find it.
    @Test(arguments: [MAIDDirection.gradient, .lbfgs])
    func projectedMAIDFindsAnOptimumOnTheBound(direction: MAIDDirection) throws {
        let data = bilevelSyntheticSet(count: 2, size: 32, sigma: 0.1, seed: 6)
        let nuMin = 0.02
        let model = try TVBilevelModel(minimumSmoothing: nuMin)
        let problem = try BilevelProblem(model: model, clean: data.clean, noisy: data.noisy)
        let reference = BilevelLossFunctional(problem: problem, epsilon: 1e-9, delta: 1e-11)
        func f(_ logLambda: Double) -> Double { reference.value(Grid(shape: Shape(2), storage: [logLambda, log(nuMin)])) }
        let golden = goldenSectionMinimum(in: log(0.005)...log(0.5), tolerance: 1e-5, f)
        let star = try reference.evaluator.evaluate(theta: [golden.x, log(nuMin)], epsilon: 1e-10, delta: 1e-12)
        #expect(star.hypergradient[1] > 0, "the optimum is not on the bound: ∂f/∂θ₂ = \(star.hypergradient[1])")
        var options = MAIDOptions()
        options.direction = direction
        options.maxOuterIterations = 150
        options.gradientTolerance = 1e-4
        let result = try MAID.run(problem: problem, initialTheta: try model.initialTheta(weight: 0.01, smoothing: 0.1),
                                  options: options)
        let (lambda, nu) = model.parameters(result.theta)
        record("bound (\(direction)): λ*", exp(golden.x))
        record("bound (\(direction)): |λ/λ* − 1|", abs(lambda / exp(golden.x) - 1))
        record("bound (\(direction)): ν/ν_min − 1", nu / nuMin - 1)
        record("bound (\(direction)): outer iterations", Double(result.history.count))
        record("bound (\(direction)): FISTA iterations", Double(result.lowerLevelIterations))
        print("[measure] bound (\(direction)): stop \(result.stopReason)")
        #expect(result.theta[1] == log(nuMin), "ν = \(nu) is not on its bound \(nuMin)")
        let accepted = result.history.filter(\.accepted)
        for e in accepted { #expect(e.acceptedUpper! < e.lossLower, "entry \(e.iteration)") }
        record("bound (\(direction)): accepted L-BFGS steps", Double(accepted.filter(\.quasiNewton).count))
        if direction == .lbfgs { #expect(accepted.contains { $0.quasiNewton }, "no L-BFGS step was accepted") }
        #expect(abs(lambda / exp(golden.x) - 1) <= 0.01, "λ = \(lambda), λ* = \(exp(golden.x))")
        #expect(f(result.theta[0]) <= golden.value * (1 + 1e-4))
    }
}

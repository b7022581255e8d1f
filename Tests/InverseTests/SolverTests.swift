import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Inverse

/// Each solver on a tiny problem with a known answer.
@Suite struct SolverTests {
    // MARK: conjugate gradient

    @Test(arguments: [UInt64(1), 2, 3])
    func conjugateGradientMatchesDirectSolve(seed: UInt64) {
        let a = DenseMatrix.randomSPD(size: 20, shift: 0.1, seed: seed)
        let b = randomGrid(Shape(20), seed: seed &+ 100)
        let exact = a.solve(b)
        var cg = ConjugateGradient(operator: a, rightHandSide: b, relativeTolerance: 1e-13)
        let report = cg.run(maxIterations: 200, tolerance: 0)
        #expect(report.converged, "seed \(seed): \(report.stopReason)")
        let err = relativeError(cg.iterate, exact)
        record("CG 20×20 SPD relative error vs direct solve, seed \(seed)", err)
        #expect(err < 1e-9, "seed \(seed)")
        // The recursive residual matches the true residual.
        var r = a(cg.iterate); r.subtract(b)
        #expect(abs(r.norm - report.final.residual!) <= 1e-10 * b.norm)

        // Jacobi preconditioner through the hook, closure operator, warm start.
        let diagonal = (0..<20).map { a[$0, $0] }
        let op = SymmetricOperator(shape: Shape(20)) { x, y in a.apply(x, into: &y) }
        var pcg = ConjugateGradient(operator: op, rightHandSide: b, initialGuess: Grid(shape: Shape(20), repeating: 0.1),
                                    preconditioner: { r, z in for i in 0..<20 { z.storage[i] = r.storage[i] / diagonal[i] } },
                                    absoluteTolerance: 1e-12 * b.norm)
        let pr = pcg.run(maxIterations: 200, tolerance: 0)
        #expect(pr.converged)
        #expect(relativeError(pcg.iterate, exact) < 1e-9)
    }

    @Test func conjugateGradientDetectsIndefiniteOperator() {
        let a = DenseMatrix.diagonal([3, 2, -1, 4])
        var cg = ConjugateGradient(operator: a, rightHandSide: Grid(shape: Shape(4), repeating: 1))
        let report = cg.run(maxIterations: 10, tolerance: 1e-12)
        guard case .breakdown = report.stopReason else {
            Issue.record("expected a breakdown, got \(report.stopReason)"); return
        }
    }

    // MARK: FISTA

    /// min ½xᵀDx − bᵀx + λ‖x‖₁ with D diagonal in [0.1, 10]: x_i = soft(b_i, λ)/D_i.
    static func separableProblem() -> (Quadratic, L1Norm, Grid) {
        let n = 30
        let d = (0..<n).map { 0.1 * pow(100, Double($0) / Double(n - 1)) }
        let b = randomGrid(Shape(n), seed: 42)
        let lambda = 0.3
        let exact = Grid(shape: Shape(n)) { i in (max(b[i] - lambda, 0) + min(b[i] + lambda, 0)) / d[i] }
        return (Quadratic(matrix: .diagonal(d), linear: b, lipschitzConstant: 10), L1Norm(weight: lambda), exact)
    }

    @Test func fistaVariantsReachTheClosedFormSolution() {
        let (f, g, exact) = Self.separableProblem()
        let x0 = Grid(shape: exact.shape)
        var plain = FISTA(smooth: f, nonsmooth: g, initialGuess: x0)
        var strong = FISTA(smooth: f, nonsmooth: g, initialGuess: x0, strongConvexity: 0.1)
        var back = FISTA(smooth: f, nonsmooth: g, initialGuess: x0, stepSize: .backtracking(initialLipschitz: 0.5))
        func iterationsTo(_ s: inout FISTA<Quadratic, L1Norm>, _ tol: Double) -> Int? {
            for k in 1...20_000 { s.step(); if relativeError(s.iterate, exact) < tol { return k } }
            return nil
        }
        let kPlain = iterationsTo(&plain, 1e-10), kStrong = iterationsTo(&strong, 1e-10), kBack = iterationsTo(&back, 1e-10)
        record("FISTA iterations to 1e-10 (plain / strongly convex / backtracking)", Double(kPlain ?? -1))
        record("FISTA strongly convex iterations", Double(kStrong ?? -1))
        record("FISTA backtracking iterations", Double(kBack ?? -1))
        #expect(kPlain != nil && kStrong != nil && kBack != nil)
        #expect((kStrong ?? .max) < (kPlain ?? 0), "strongly convex variant should be faster (condition number 100)")
        #expect(back.lipschitzEstimate >= 0.5 && back.lipschitzEstimate <= 2 * 10 + 1e-12)
        // Objectives reported are F(x_k), decreasing to the optimum.
        let optimum = f.value(exact) + g.value(exact)
        #expect(abs(plain.statistics().objective! - optimum) < 1e-9 * max(1, abs(optimum)))
    }

    /// LASSO with a random 30×20 matrix; the KKT conditions certify the answer.
    @Test func fistaLassoSatisfiesKKT() {
        let a = DenseMatrix.random(rows: 30, columns: 20, seed: 5)
        let y = randomGrid(Shape(30), seed: 6)
        let lambda = 2.0
        let f = SquaredL2Distance.estimatingOperatorNorm(target: y, operator: a, iterations: 500, safetyFactor: 1.01)
        #expect(abs(f.lipschitzConstant! - pow(operatorNorm(a, iterations: 500) * 1.01, 2)) < 1e-12 * f.lipschitzConstant!)
        let g = L1Norm(weight: lambda)
        var solver = FISTA(smooth: f, nonsmooth: g, initialGuess: Grid(shape: Shape(20)))
        let report = solver.run(maxIterations: 20_000, tolerance: 1e-14)
        let x = solver.iterate
        let grad = f.gradient(x)
        var worst = 0.0, zeros = 0
        for i in 0..<20 {
            if abs(x[i]) > 1e-10 { worst = max(worst, abs(grad[i] + lambda * (x[i] > 0 ? 1 : -1))) }
            else { zeros += 1; worst = max(worst, max(abs(grad[i]) - lambda, 0)) }
        }
        record("FISTA LASSO KKT violation", worst)
        #expect(worst < 1e-8, "KKT violation \(worst); \(report.stopReason) after \(report.final.iteration)")
        #expect(zeros > 0 && zeros < 20, "a LASSO test should have some zero and some non-zero coefficients (\(zeros) zeros)")
        // Backtracking reaches the same point.
        var bt = FISTA(smooth: f, nonsmooth: g, initialGuess: Grid(shape: Shape(20)), stepSize: .backtracking())
        _ = bt.run(maxIterations: 20_000, tolerance: 1e-14)
        #expect(relativeError(bt.iterate, x) < 1e-7)
    }

    // MARK: primal–dual (ROF)

    /// The ROF solution by an independent method: 20 000 iterations of FISTA with adaptive restart
    /// on the dual problem (``TVDualSolver``). Returns x and the relative gap it certifies.
    static func rofReference(isotropic: Bool, lambda: Double, noisy: Grid) -> (solution: Grid, relativeGap: Double) {
        func finish<R, K>(_ s: inout TVDualSolver<R, K>) -> (Grid, Double) {
            for _ in 0..<20_000 { s.step() }
            return (s.iterate, s.statistics().relativeGap!)
        }
        if isotropic {
            var s = TVDualSolver(noisy: noisy, regularizer: GroupL21Norm(weight: lambda))
            return finish(&s)
        } else {
            var s = TVDualSolver(noisy: noisy, regularizer: L1Norm(weight: lambda))
            return finish(&s)
        }
    }

    @Test(arguments: [true, false])
    func dualFISTAMethodCertifiesItsGap(isotropic: Bool) throws {
        let (_, noisy) = piecewiseConstantImage(size: 16, seed: 17)
        let lambda = 0.12
        let (pd, _) = try TVDenoising.solve(noisy: noisy, lambda: lambda, isotropic: isotropic,
                                            maxIterations: 20_000, relativeGapTolerance: 1e-12)
        let optimum = TVDenoising.objective(pd, noisy: noisy, lambda: lambda, isotropic: isotropic)
        var worst = -Double.infinity
        let (x, report) = try TVDenoising.solve(noisy: noisy, lambda: lambda, isotropic: isotropic, maxIterations: 20_000,
                                                relativeGapTolerance: 1e-12, method: .dualFISTA) { s in
            worst = max(worst, s.objective! - optimum - s.gap!)
        }
        #expect(report.converged, "\(report.stopReason): \(report.final)")
        record("ROF 16×16 \(isotropic ? "isotropic" : "anisotropic") dual FISTA: iterations to relative gap 1e-12", Double(report.final.iteration))
        #expect(worst <= 1e-14 * optimum, "objective error exceeded the gap by \(worst)")
        #expect(relativeError(x, pd) < 1e-6)
    }

    @Test(arguments: [true, false])
    func primalDualROFAgreesWithReferenceAndGapBoundsError(isotropic: Bool) throws {
        let (_, noisy) = piecewiseConstantImage(size: 16)
        let lambda = 0.1
        let (reference, referenceGap) = Self.rofReference(isotropic: isotropic, lambda: lambda, noisy: noisy)
        record("ROF 16×16 \(isotropic ? "isotropic" : "anisotropic"): reference (restarted dual FISTA, 20000 its) relative gap", referenceGap)
        #expect(referenceGap < 1e-13)
        let optimum = TVDenoising.objective(reference, noisy: noisy, lambda: lambda, isotropic: isotropic)
        var worstBound = -Double.infinity
        var gaps: [Double] = []
        let (x, report) = try TVDenoising.solve(noisy: noisy, lambda: lambda, isotropic: isotropic,
                                                maxIterations: 20_000, relativeGapTolerance: 1e-12) { s in
            gaps.append(s.gap!)
            // The certified gap bounds the true objective error at every iteration.
            let error = s.objective! - optimum
            worstBound = max(worstBound, error - s.gap!)
        }
        let label = isotropic ? "isotropic" : "anisotropic"
        #expect(report.converged, "\(label): \(report.stopReason), final \(report.final)")
        let agreement = relativeError(x, reference)
        record("ROF 16×16 \(label): iterations to relative gap 1e-12", Double(report.final.iteration))
        record("ROF 16×16 \(label): relative error vs 20000-iteration reference", agreement)
        record("ROF 16×16 \(label): certified bound sqrt(2·gap)/‖x*‖", (2 * report.final.gap!).squareRoot() / reference.norm)
        record("ROF 16×16 \(label): max(objective error − gap) over iterations (≤ 0 expected)", worstBound)
        #expect(agreement <= 1e-6)
        #expect(worstBound <= 1e-14 * optimum, "objective error exceeded the gap by \(worstBound)")
        // The objective value recomputed from scratch matches the solver's.
        #expect(abs(TVDenoising.objective(x, noisy: noisy, lambda: lambda, isotropic: isotropic) - report.final.objective!) <= 1e-12 * optimum)
        // Monotone decrease on average: the mean gap over iterations [2^j, 2^{j+1}) decreases with j.
        var means: [Double] = []
        var j = 1
        while 2 * j <= gaps.count { means.append(gaps[(j - 1)..<(2 * j - 1)].reduce(0, +) / Double(j)); j *= 2 }
        record("ROF 16×16 \(label): dyadic-block mean gaps, first / last", means.first! / means.last!)
        #expect(means.count >= 8)
        #expect(zip(means, means.dropFirst()).allSatisfy { $1 < $0 }, "block means \(means)")
        #expect(gaps.last! < 1e-6 * gaps.first!)
    }

    @Test func primalDualROF64CertifiedDistanceToReference() throws {
        let (_, noisy) = piecewiseConstantImage(size: 64, seed: 8)
        let (reference, referenceGap) = Self.rofReference(isotropic: true, lambda: 0.15, noisy: noisy)
        let referenceObjective = TVDenoising.objective(reference, noisy: noisy, lambda: 0.15)
        var worstBound = -Double.infinity
        let (x, report) = try TVDenoising.solve(noisy: noisy, lambda: 0.15, maxIterations: 20_000,
                                                relativeGapTolerance: 1e-9) { s in
            // Spec A.3: the reported gap bounds the true objective error (up to the reference's own gap).
            worstBound = max(worstBound, s.objective! - referenceObjective - s.gap!)
        }
        let converged = report.converged
        #expect(converged, "\(report.stopReason): \(report.final.description)")
        record("ROF 64×64 isotropic: reference relative gap", referenceGap)
        record("ROF 64×64 isotropic: max(objective error − gap) over iterations", worstBound)
        #expect(worstBound <= referenceGap * referenceObjective + 1e-12 * referenceObjective)
        // 1-strong convexity: ½‖x − x*‖² ≤ gap, so ‖x − x*‖ ≤ sqrt(2·gap) (for both runs).
        let distance = x.squaredDistance(to: reference).squareRoot()
        let optimum = report.final.objective! - report.final.gap!
        let bound = (2 * report.final.gap!).squareRoot() + (2 * referenceGap * optimum).squareRoot()
        record("ROF 64×64 isotropic: iterations to relative gap 1e-9", Double(report.final.iteration))
        record("ROF 64×64 isotropic: relative distance to reference", distance / reference.norm)
        record("ROF 64×64 isotropic: certified bound on it", bound / reference.norm)
        #expect(distance <= bound)
        // Spec A.3: agreement with the 20 000-iteration reference to relative error ≤ 1e-6.
        #expect(distance / reference.norm <= 1e-6)
    }

    @Test func primalDualPlainVariantWithoutGapConverges() {
        // Non-accelerated Chambolle–Pock on ROF, dual functional without a closed-form conjugate
        // value (wrapped), stopping on the relative change; compared with the accelerated solution.
        struct OpaqueL21: ProximableFunctional {
            let base = GroupL21Norm(weight: 0.1)
            func value(_ x: Grid) -> Double { base.value(x) }
            func prox(_ v: Grid, stepSize: Double, into x: inout Grid) { base.prox(v, stepSize: stepSize, into: &x) }
        }
        let (_, noisy) = piecewiseConstantImage(size: 16)
        var s = PrimalDual(primal: SquaredL2Distance(target: noisy), dual: OpaqueL21(),
                           operator: Gradient(shape: noisy.shape), initialGuess: noisy)
        let report = s.run(maxIterations: 20_000, tolerance: 1e-10)
        #expect(report.final.gap == nil)
        #expect(s.operatorNormUsed > 8.0.squareRoot() * 0.98 && s.operatorNormUsed < 8.0.squareRoot() * 1.06)
        let reference = Self.rofReference(isotropic: true, lambda: 0.1, noisy: noisy).solution
        let err = relativeError(s.iterate, reference)
        record("ROF 16×16 plain Chambolle–Pock (no gap), relative error after \(report.final.iteration) iterations", err)
        #expect(err < 1e-4, "\(report.stopReason): \(report.final)")
    }

    @Test func primalDualGapInterval() {
        let (_, noisy) = piecewiseConstantImage(size: 16)
        var s = PrimalDual(primal: SquaredL2Distance(target: noisy), dual: GroupL21Norm(weight: 0.1),
                           operator: Gradient(shape: noisy.shape), initialGuess: noisy, operatorNorm: 8.0.squareRoot(),
                           primalStrongConvexity: 0.35, gapInterval: 10)
        let report = s.run(maxIterations: 5000, tolerance: 1e-8)
        #expect(report.converged)
        #expect(report.final.iteration % 10 == 0)
        #expect(report.history.allSatisfy { ($0.gap != nil) == ($0.iteration % 10 == 0) })
        #expect(report.final.relativeGap! <= 1e-8)
    }

    @Test func tvDenoisingRejectsBadInputAndReportsTheCap() throws {
        let (_, noisy) = piecewiseConstantImage(size: 16)
        #expect(throws: TVDenoising.InputError.invalidWeight(0)) { try TVDenoising.solve(noisy: noisy, lambda: 0) }
        #expect(throws: TVDenoising.InputError.invalidWeight(-1)) { try TVDenoising.solve(noisy: noisy, lambda: -1) }
        var bad = noisy; bad[3, 4] = .nan
        #expect(throws: TVDenoising.InputError.self) { try TVDenoising.solve(noisy: bad, lambda: 0.1) }
        #expect(throws: TVDenoising.InputError.unsupportedRank(1)) { try TVDenoising.solve(noisy: Grid(shape: Shape(5)), lambda: 0.1) }
        let (_, capped) = try TVDenoising.solve(noisy: noisy, lambda: 0.1, maxIterations: 5, relativeGapTolerance: 1e-12)
        #expect(capped.stopReason == .maxIterations)
        #expect(capped.history.count == 5)
        #expect(capped.final.relativeGap! > 1e-12)
    }

    @Test func tvDenoisingLimits() throws {
        // A constant image is its own denoised version (gap 0 at once).
        let constant = Grid.image(height: 9, width: 11, repeating: 0.4)
        let (c, cr) = try TVDenoising.solve(noisy: constant, lambda: 0.3, relativeGapTolerance: 1e-12)
        #expect(cr.converged && cr.final.iteration == 1)
        #expect(c.maxAbsDifference(constant) < 1e-15)
        // A very large λ flattens the image to its mean (TV(x*) = 0 once λ ≥ ‖p‖ for the mean's dual p).
        for method in TVDenoising.Method.allCases {
            let (_, noisy) = piecewiseConstantImage(size: 16, seed: 5)
            let (x, report) = try TVDenoising.solve(noisy: noisy, lambda: 100, maxIterations: 20_000,
                                                    relativeGapTolerance: 1e-10, method: method)
            #expect(report.converged, "\(method): \(report.stopReason)")
            #expect(x.maxAbsDifference(Grid(shape: x.shape, repeating: noisy.mean)) < 1e-4, "\(method)")
            #expect(abs(x.mean - noisy.mean) < 1e-12)
        }
    }

    @Test func tvDenoising3DVolume() throws {
        var volume = Grid.volume(depth: 6, height: 7, width: 8, repeating: 0.2)
        for i in 2..<5 { for j in 2..<6 { for k in 3..<7 { volume[i, j, k] = 0.9 } } }
        volume.axpy(0.1, randomGrid(volume.shape, seed: 3))
        let (x, report) = try TVDenoising.solve(noisy: volume, lambda: 0.08, maxIterations: 5000, relativeGapTolerance: 1e-6)
        #expect(report.converged, "\(report.stopReason): \(report.final)")
        #expect(report.final.gap! >= 0)
        // TV denoising preserves the mean (Neumann boundary: ∇ᵀ maps into zero-mean grids).
        #expect(abs(x.mean - volume.mean) < 1e-9)
    }

    @Test func oneStepMatchesHandComputedUpdates() {
        // FISTA with L = 10 from x₀ = y₀, t₀ = 1: x_{k+1} = prox_{g/L}(y_k − ∇f(y_k)/L),
        // t_{k+1} = (1 + sqrt(1 + 4t_k²))/2, y_{k+1} = x_{k+1} + (t_k − 1)/t_{k+1}·(x_{k+1} − x_k).
        let (f, g, _) = Self.separableProblem()
        let x0 = randomGrid(Shape(30), seed: 77)
        var fista = FISTA(smooth: f, nonsmooth: g, initialGuess: x0)
        func forwardBackward(_ y: Grid) -> Grid {
            var z = y; z.axpy(-0.1, f.gradient(y)); return g.prox(z, stepSize: 0.1)
        }
        var x = x0, y = x0, t = 1.0
        for k in 1...3 {
            let next = forwardBackward(y)
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            y = next; y.scale(by: 1 + (t - 1) / tNext); y.axpy(-(t - 1) / tNext, x)
            x = next; t = tNext
            fista.step()
            #expect(fista.iterate.maxAbsDifference(x) < 1e-14, "step \(k)")
        }

        // Chambolle–Pock, first step from (x₀, p₀ = 0), x̄₀ = x₀:
        // p₁ = proj(σ∇x₀), x₁ = prox_{τG}(x₀ − τ∇ᵀp₁).
        let (_, noisy) = piecewiseConstantImage(size: 8, seed: 2)
        let lambda = 0.05
        let grad = Gradient(shape: noisy.shape)
        var pd = PrimalDual(primal: SquaredL2Distance(target: noisy), dual: GroupL21Norm(weight: lambda),
                            operator: grad, initialGuess: noisy, operatorNorm: 8.0.squareRoot(), primalStrongConvexity: 0.35)
        pd.step()
        let tau = 1 / 8.0.squareRoot(), sigma = 1 / 8.0.squareRoot()
        var p1 = grad(noisy); p1.scale(by: sigma)
        p1 = GroupL21Norm(weight: lambda).proxConjugate(p1, stepSize: sigma)
        var x1 = noisy; x1.axpy(-tau, grad.adjoint(p1))
        x1 = SquaredL2Distance(target: noisy).prox(x1, stepSize: tau)
        #expect(pd.dualIterate.maxAbsDifference(p1) < 1e-15)
        #expect(pd.iterate.maxAbsDifference(x1) < 1e-15)
        let theta = 1 / (1 + 2 * 0.35 * tau).squareRoot()
        #expect(abs(pd.primalStepSize - theta * tau) < 1e-16 && abs(pd.dualStepSize - sigma / theta) < 1e-15)
    }

    @Test func conjugateGradientErrorDecreasesInEnergyNorm() {
        // CG minimises the A-norm of the error over growing Krylov spaces: ‖e_k‖_A is non-increasing.
        let a = DenseMatrix.randomSPD(size: 20, shift: 0.05, seed: 4)
        let b = randomGrid(Shape(20), seed: 5)
        let exact = a.solve(b)
        var cg = ConjugateGradient(operator: a, rightHandSide: b, relativeTolerance: 0)
        var previous = Double.infinity
        for _ in 0..<20 {
            cg.step()
            var e = cg.iterate; e.subtract(exact)
            let energy = a(e).dot(e).squareRoot()
            #expect(energy <= previous * (1 + 1e-9) + 1e-12)
            previous = energy
        }
    }

    // MARK: L-BFGS

    @Test(arguments: [2, 10])
    func lbfgsRosenbrock(dimension: Int) {
        var x0 = Grid(shape: Shape(dimension))
        for i in 0..<dimension { x0[i] = i % 2 == 0 ? -1.2 : 1 }
        var solver = LBFGS(objective: Rosenbrock(), initialGuess: x0, memory: 7)
        let report = solver.run(maxIterations: 2000, tolerance: 1e-9)
        #expect(report.converged, "\(report.stopReason): \(report.final)")
        let ones = Grid(shape: Shape(dimension), repeating: 1)
        let err = relativeError(solver.iterate, ones)
        record("L-BFGS Rosenbrock n=\(dimension): iterations", Double(report.final.iteration))
        record("L-BFGS Rosenbrock n=\(dimension): relative error to (1,…,1)", err)
        #expect(err < 1e-7)
        // f decreases monotonically (every accepted step satisfies the Armijo condition, or the
        // approximate Wolfe condition whose slack is 1e-10·|f|).
        let objectives = report.history.map { $0.objective! }
        #expect(zip(objectives, objectives.dropFirst()).allSatisfy { $1 <= $0 + 1e-10 * abs($0) })
    }

    @Test func lbfgsStronglyConvexQuadratic() {
        let m = DenseMatrix.randomSPD(size: 20, shift: 0.5, seed: 8)
        let b = randomGrid(Shape(20), seed: 9)
        let exact = m.solve(b)
        var solver = LBFGS(objective: Quadratic(matrix: m, linear: b, lipschitzConstant: nil),
                           initialGuess: Grid(shape: Shape(20)), memory: 5)
        let report = solver.run(maxIterations: 500, tolerance: 1e-10)
        #expect(report.converged)
        let err = relativeError(solver.iterate, exact)
        record("L-BFGS 20-d quadratic: iterations", Double(report.final.iteration))
        record("L-BFGS 20-d quadratic: relative error", err)
        #expect(err < 1e-8)
    }

    @Test func lbfgsOnSmoothedTVDenoising() {
        // ½‖x − y‖² + R_TV(x): a strongly convex smooth problem; the stationarity residual must vanish.
        struct Denoise: SmoothFunctional {
            let data: SquaredL2Distance<IdentityOperator>
            let tv: SmoothedTV
            var lipschitzConstant: Double? { 1 + tv.lipschitzConstant! }
            func value(_ x: Grid) -> Double { data.value(x) + tv.value(x) }
            func gradient(_ x: Grid, into g: inout Grid) {
                tv.gradient(x, into: &g)
                g.add(x); g.subtract(data.target)
            }
        }
        let (_, noisy) = piecewiseConstantImage(size: 16)
        let f = Denoise(data: SquaredL2Distance(target: noisy), tv: SmoothedTV(shape: noisy.shape, weight: 0.05, smoothing: 0.01, isotropic: true))
        var solver = LBFGS(objective: f, initialGuess: noisy)
        let report = solver.run(maxIterations: 3000, tolerance: 1e-8)
        #expect(report.converged, "\(report.stopReason), ‖∇f‖ = \(report.final.residual!)")
        // FISTA (μ = 1) on the same problem agrees: ‖x − x̂‖ ≤ ‖∇h‖/μ.
        var fista = FISTA(smooth: f, nonsmooth: ZeroFunctional(), initialGuess: noisy, strongConvexity: 1)
        _ = fista.run(maxIterations: 5000, tolerance: 1e-13)
        #expect(solver.iterate.squaredDistance(to: fista.iterate).squareRoot() < 1e-7)
    }

    // MARK: power iteration and run()

    @Test func powerIterationOnGradients() {
        // Neumann forward differences: λ_max(∇ᵀ∇) = Σ over axes of 2 + 2cos(π/n).
        for n in [64, 256] {
            let exact = 4 + 4 * cos(Double.pi / Double(n))
            let estimate = pow(operatorNorm(Gradient2D(height: n, width: n), iterations: 1000, seed: 3), 2)
            record("power iteration ‖∇‖² on \(n)×\(n) (exact \(exact))", estimate)
            #expect(estimate <= exact * (1 + 1e-12))
            #expect(estimate >= exact * (1 - 2e-3), "n = \(n): \(estimate) vs \(exact)")
        }
        let exact3 = 3 * (2 + 2 * cos(Double.pi / 24))
        let estimate3 = pow(operatorNorm(Gradient3D(depth: 24, height: 24, width: 24), iterations: 600), 2)
        #expect(estimate3 <= exact3 * (1 + 1e-12) && estimate3 >= exact3 * (1 - 5e-3))
        #expect(abs(operatorNorm(DenseMatrix.diagonal([1, -3, 2]), iterations: 200) - 3) < 1e-10)
    }

    @Test func runReportsHistoryAndMonitor() {
        let a = DenseMatrix.randomSPD(size: 10, shift: 1, seed: 2)
        var cg = ConjugateGradient(operator: a, rightHandSide: randomGrid(Shape(10), seed: 3), relativeTolerance: 0)
        var seen = 0
        let report = cg.run(maxIterations: 3, tolerance: 0) { s in seen += 1; #expect(s.iteration == seen) }
        #expect(report.stopReason == .maxIterations)
        #expect(report.history.count == 3 && seen == 3)
        #expect(report.final == report.history.last!)
        #expect(report.final.elapsedSeconds >= report.final.seconds)
    }
}

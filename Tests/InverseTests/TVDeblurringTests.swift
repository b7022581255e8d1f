import Testing
@testable import Inverse

/// TV deblurring with a circulant blur: the exact Fourier prox, agreement with TV denoising for a
/// delta kernel, agreement with long reference runs, and the gap as an error bound.
@Suite struct TVDeblurringTests {
    /// A 16×16 piecewise-constant image blurred by `blur`, plus seeded noise σ = 0.02.
    func problem(_ blur: FourierConvolution, seed: UInt64 = 3) -> Grid {
        let clean = piecewiseConstantImage(size: 16, noise: 0, seed: seed).clean
        var y = blur(clean)
        y.axpy(0.02, randomGrid(y.shape, seed: seed))
        return y
    }

    @Test func normalEquationsSolveIsExact() {
        let blur = GaussianBlur(shape: Shape(9, 12), sigma: 1.3).fourierConvolution
        let r = randomGrid(Shape(9, 12), seed: 1)
        for (a, b) in [(1.0, 0.5), (0.3, 2.0), (2.0, 0.0)] {
            var x = Grid(shape: r.shape)
            blur.solveNormalEquations(r, identityWeight: a, normalWeight: b, into: &x)
            // (a I + b KᵀK) x == r
            var lhs = blur.adjoint(blur(x))
            lhs.axpby(a, x, b)
            #expect(lhs.squaredDistance(to: r).squareRoot() < 1e-12 * r.norm, "a=\(a) b=\(b)")
        }
        let range = blur.squaredTransferRange
        #expect(abs(range.upperBound - 1) < 1e-12)   // a normalised kernel has H(0) = 1
        #expect(range.lowerBound > 0 && range.lowerBound < 0.1)
    }

    @Test(arguments: [true, false])
    func deltaKernelEqualsTVDenoising(isotropic: Bool) throws {
        var delta = Grid(shape: Shape(3, 3))
        delta[1, 1] = 1
        let y = piecewiseConstantImage(size: 16, seed: 5).noisy
        let blur = FourierConvolution(kernel: delta, shape: y.shape)
        let (x, report) = try TVDeblurring.solve(blurred: y, blur: blur, lambda: 0.1, isotropic: isotropic,
                                                 maxIterations: 20_000, relativeTolerance: 1e-11)
        #expect(report.converged && report.final.relativeGap != nil)
        let (reference, _) = try TVDenoising.solve(noisy: y, lambda: 0.1, isotropic: isotropic, maxIterations: 20_000,
                                                   relativeGapTolerance: 1e-11)
        #expect(x.squaredDistance(to: reference).squareRoot() / reference.norm < 1e-6)
    }

    @Test func agreesWithLongRunAndGapBoundsTheError() throws {
        let blur = GaussianBlur(shape: Shape(16, 16), sigma: 0.8).fourierConvolution
        let y = problem(blur)
        let lambda = 0.01
        let (reference, long) = try TVDeblurring.solve(blurred: y, blur: blur, lambda: lambda,
                                                       maxIterations: 20_000, relativeTolerance: 1e-12)
        let best = TVDeblurring.objective(reference, blurred: y, blur: blur, lambda: lambda)
        #expect(long.final.relativeGap! < 1e-9, "\(long.final)")
        var checked = 0
        let (x, report) = try TVDeblurring.solve(blurred: y, blur: blur, lambda: lambda, maxIterations: 20_000,
                                                 relativeTolerance: 1e-6) { s in
            guard s.iteration % 25 == 0, let gap = s.gap, let objective = s.objective else { return }
            // gap ≥ objective − min (up to the reference's own tiny error).
            #expect(objective - best <= gap + 1e-9 * abs(best), "iteration \(s.iteration)")
            checked += 1
        }
        #expect(report.converged && checked > 0)
        #expect(x.squaredDistance(to: reference).squareRoot() / reference.norm < 1e-3)
        #expect(abs(TVDeblurring.objective(x, blurred: y, blur: blur, lambda: lambda) - best) <= report.final.gap! + 1e-9)
    }

    @Test func strongBlurStopsOnKKTResidualNearTheLongRun() throws {
        // σ = 2.5: the transfer function underflows, so no gap; the KKT residual is the criterion.
        let blur = GaussianBlur(shape: Shape(16, 16), sigma: 2.5).fourierConvolution
        let y = problem(blur, seed: 4)
        // Reference: 50 000 iterations (plain PDHG: the residual falls like 1/k; 2.9e-8 after 20 000).
        let (reference, long) = try TVDeblurring.solve(blurred: y, blur: blur, lambda: 0.002,
                                                       maxIterations: 50_000, relativeTolerance: 0)
        #expect(long.final.gap == nil && long.final.residual! <= 2e-8, "\(long.final)")
        let (x, report) = try TVDeblurring.solve(blurred: y, blur: blur, lambda: 0.002, maxIterations: 20_000,
                                                 relativeTolerance: 1e-6)
        #expect(report.converged)
        #expect(x.squaredDistance(to: reference).squareRoot() / reference.norm < 1e-3)
        let best = TVDeblurring.objective(reference, blurred: y, blur: blur, lambda: 0.002)
        #expect(TVDeblurring.objective(x, blurred: y, blur: blur, lambda: 0.002) - best < 1e-5 * best)
    }

    @Test func rejectsBadInput() {
        let y = Grid.image(height: 8, width: 8, repeating: 0.5)
        let blur = GaussianBlur(shape: y.shape, sigma: 1).fourierConvolution
        #expect(throws: TVDeblurring.InputError.invalidWeight(0)) { try TVDeblurring.solve(blurred: y, blur: blur, lambda: 0) }
        let other = GaussianBlur(shape: Shape(8, 9), sigma: 1).fourierConvolution
        #expect(throws: TVDeblurring.InputError.shapeMismatch(image: y.shape, blur: Shape(8, 9))) {
            try TVDeblurring.solve(blurred: y, blur: other, lambda: 0.1)
        }
        var bad = y
        bad[3, 3] = .nan
        #expect(throws: TVDeblurring.InputError.self) { try TVDeblurring.solve(blurred: bad, blur: blur, lambda: 0.1) }
    }
}

/// The hand-made field-of-experts filter banks.
@Suite struct FilterBankTests {
    @Test func dctFiltersAreOrthonormalAndZeroMean() {
        let bank = FieldOfExperts.dctFilters(size: 3, count: 8)
        #expect(bank.shape == Shape(8, 3, 3))
        for a in 0..<8 {
            #expect(abs(bank.slice(a).storage.reduce(0, +)) < 1e-12)
            for b in 0..<8 {
                let d = bank.slice(a).dot(bank.slice(b))
                #expect(abs(d - (a == b ? 1 : 0)) < 1e-12)
            }
        }
        // The first two are the lowest frequencies: constant along one axis.
        let first = bank.slice(0)
        #expect(abs(first[0, 0] - first[1, 0]) < 1e-12 || abs(first[0, 0] - first[0, 1]) < 1e-12)
    }

    @Test func randomFiltersAreSeededZeroMeanUnitNorm() {
        let a = FieldOfExperts.randomFilters(size: 5, count: 4, seed: 9)
        #expect(a == FieldOfExperts.randomFilters(size: 5, count: 4, seed: 9))
        #expect(a != FieldOfExperts.randomFilters(size: 5, count: 4, seed: 10))
        for k in 0..<4 {
            #expect(abs(a.slice(k).storage.reduce(0, +)) < 1e-12 && abs(a.slice(k).norm - 1) < 1e-12)
        }
    }
}

import Testing
@testable import Inverse

/// Finite-difference checks (Double, central differences at h and h/2) of every smooth
/// functional: gradients, Hessian-vector products and mixed parameter derivatives.
@Suite struct SmoothFunctionalTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func squaredL2DistanceWithDenseOperator(seed: UInt64) {
        let a = DenseMatrix.random(rows: 12, columns: 8, seed: seed)
        let f = SquaredL2Distance(target: randomGrid(Shape(12), seed: seed &+ 10), operator: a)
        let x = randomGrid(Shape(8), seed: seed &+ 20), d = randomGrid(Shape(8), seed: seed &+ 30)
        let r = gradientCheck(f, at: x, direction: d, h: 1e-3)
        record("SquaredL2Distance(dense) gradient rel. error, seed \(seed)", r.relativeError)
        #expect(r.passes, "seed \(seed): \(r)")
        let hv = hessianCheck(f, at: x, direction: d, h: 1e-3) { x, v, out in f.hessianVectorProduct(x, direction: v, into: &out) }
        #expect(hv.passes, "seed \(seed): \(hv)")
        // value/gradient through the workspace entry point agree with the allocating ones
        var g = Grid(shape: x.shape), w = f.makeWorkspace()
        let v = f.valueAndGradient(x, gradient: &g, workspace: &w)
        #expect(abs(v - f.value(x)) <= 1e-12 * abs(v))
        #expect(relativeError(g, f.gradient(x)) <= 1e-14)
    }

    @Test func squaredL2DistanceWithBlurAndLipschitzBound() {
        let blur = GaussianBlur(shape: Shape(16, 16), sigma: 1.2)
        let norm = operatorNorm(blur, iterations: 200)
        let f = SquaredL2Distance(target: uniformGrid(Shape(16, 16), seed: 4), operator: blur, operatorNorm: norm)
        let x = uniformGrid(Shape(16, 16), seed: 5), d = randomGrid(Shape(16, 16), seed: 6)
        let r = gradientCheck(f, at: x, direction: d, h: 1e-3)
        record("SquaredL2Distance(blur) gradient rel. error", r.relativeError)
        #expect(r.passes, "\(r)")
        #expect(abs(f.lipschitzConstant! - norm * norm) <= 1e-15)
        // A Gaussian blur is a non-negative kernel summing to 1: ‖A‖ ≈ 1.
        #expect(abs(norm - 1) < 1e-6, "blur norm \(norm)")
    }

    static let tvCases: [(isotropic: Bool, shape: Shape)] = [
        (false, Shape(9, 11)), (true, Shape(9, 11)), (true, Shape(4, 5, 6)), (false, Shape(30)),
    ]

    @Test(arguments: 0..<4)
    func smoothedTVDerivatives(caseIndex: Int) {
        let (iso, shape) = Self.tvCases[caseIndex]
        let seed = UInt64(100 + caseIndex)
        let tv = SmoothedTV(shape: shape, weight: 0.7, smoothing: 0.15, isotropic: iso)
        let x = uniformGrid(shape, seed: seed), v = randomGrid(shape, seed: seed &+ 1), w = randomGrid(shape, seed: seed &+ 2)
        let label = "SmoothedTV(\(iso ? "iso" : "aniso"), \(shape))"

        let g = gradientCheck(tv, at: x, direction: v, h: 1e-4)
        record("\(label) gradient rel. error", g.relativeError)
        #expect(g.passes, "\(label) gradient: \(g)")

        let hv = hessianCheck(tv, at: x, direction: v, h: 1e-4) { x, v, out in tv.hessianVectorProduct(x, direction: v, into: &out) }
        record("\(label) Hessian-vector rel. error", hv.relativeError)
        #expect(hv.passes, "\(label) Hessian: \(hv)")

        var dLambda = Grid(shape: shape), dNu = Grid(shape: shape)
        tv.weightDerivativeOfGradient(x, into: &dLambda)
        tv.smoothingDerivativeOfGradient(x, into: &dNu)
        let rl = finiteDifferenceCheck(analytic: dLambda, h: 1e-4) { t in tv.with(weight: tv.weight + t).gradient(x) }
        let rn = finiteDifferenceCheck(analytic: dNu, h: 1e-5) { t in tv.with(smoothing: tv.smoothing + t).gradient(x) }
        record("\(label) ∂λ∇R rel. error", rl.relativeError)
        record("\(label) ∂ν∇R rel. error", rn.relativeError)
        #expect(rl.passes, "\(label) ∂/∂λ: \(rl)")
        #expect(rn.passes, "\(label) ∂/∂ν: \(rn)")

        // mixed derivatives applied to w = FD of θ ↦ ⟨∇ₓR_θ(x), w⟩
        let m = tv.mixedDerivatives(x, direction: w)
        let sl = finiteDifferenceCheck(analytic: m.weight, h: 1e-4) { t in tv.with(weight: tv.weight + t).gradient(x).dot(w) }
        let sn = finiteDifferenceCheck(analytic: m.smoothing, h: 1e-5) { t in tv.with(smoothing: tv.smoothing + t).gradient(x).dot(w) }
        #expect(sl.passes, "\(label) ⟨∂λ∇R, w⟩: \(sl)")
        #expect(sn.passes, "\(label) ⟨∂ν∇R, w⟩: \(sn)")
        #expect(abs(m.weight - dLambda.dot(w)) <= 1e-10 * max(abs(m.weight), 1))
        #expect(abs(m.smoothing - dNu.dot(w)) <= 1e-10 * max(abs(m.smoothing), 1))
    }

    @Test(arguments: [false, true])
    func smoothedTVLipschitzBoundHolds(isotropic: Bool) {
        let shape = Shape(12, 12)
        let tv = SmoothedTV(shape: shape, weight: 0.3, smoothing: 0.05, isotropic: isotropic)
        #expect(tv.lipschitzConstant == 8 * 0.3 / 0.05)
        var worst = 0.0
        for s in 0..<20 {
            let x = uniformGrid(shape, seed: UInt64(300 + s))
            var z = x; z.axpy(1e-3, randomGrid(shape, seed: UInt64(400 + s)))
            let ratio = tv.gradient(x).squaredDistance(to: tv.gradient(z)).squareRoot() / x.squaredDistance(to: z).squareRoot()
            worst = max(worst, ratio)
        }
        #expect(worst <= tv.lipschitzConstant!, "observed ratio \(worst) > L")
        // Near x = 0 with a checkerboard direction the curvature reaches most of the bound.
        let checker = Grid(shape: shape) { i in ((i / 12 + i % 12) % 2 == 0) ? 1e-6 : -1e-6 }
        let zero = Grid(shape: shape)
        let ratio0 = tv.gradient(checker).squaredDistance(to: tv.gradient(zero)).squareRoot() / checker.norm
        #expect(ratio0 > 0.5 * tv.lipschitzConstant!, "checkerboard curvature \(ratio0)")
    }

    static func foe(boundary: ConvolutionBoundary, height: Int = 12, width: Int = 10, size: Int = 5,
                    seed: UInt64 = 11) -> FieldOfExperts {
        FieldOfExperts(filters: randomGrid(Shape(3, size, size), seed: seed),
                       weights: [0.4, 1.3, 0.8], smoothings: [0.2, 0.5, 0.35],
                       height: height, width: width, boundary: boundary)
    }

    @Test(arguments: ConvolutionBoundary.allCases)
    func fieldOfExpertsDerivatives(boundary: ConvolutionBoundary) {
        let model = Self.foe(boundary: boundary)
        let shape = model.imageShape
        let x = uniformGrid(shape, seed: 21), v = randomGrid(shape, seed: 22)
        let label = "FieldOfExperts(\(boundary.rawValue))"

        let g = gradientCheck(model, at: x, direction: v, h: 1e-4)
        record("\(label) gradient rel. error", g.relativeError)
        #expect(g.passes, "\(label) gradient: \(g)")

        let hv = hessianCheck(model, at: x, direction: v, h: 1e-4) { x, v, out in model.hessianVectorProduct(x, direction: v, into: &out) }
        record("\(label) Hessian-vector rel. error", hv.relativeError)
        #expect(hv.passes, "\(label) Hessian: \(hv)")

        // Parameter blocks: perturb each block along a random direction δ and compare
        // ⟨∂G/∂block, δ⟩ with FD of G(θ) = ⟨∇ₓR_θ(x), v⟩.
        let m = model.mixedDerivatives(x, direction: v)
        let dFilters = randomGrid(model.filters.shape, seed: 23)
        let dWeights = [0.3, -0.7, 0.5], dSmooth = [0.02, -0.05, 0.03]
        func gValue(_ f: FieldOfExperts) -> Double { f.gradient(x).dot(v) }
        let rf = finiteDifferenceCheck(analytic: m.filters.dot(dFilters), h: 1e-4) { t in
            var c = model.filters; c.axpy(t, dFilters); return gValue(model.with(filters: c))
        }
        let rw = finiteDifferenceCheck(analytic: zip(m.weights, dWeights).map(*).reduce(0, +), h: 1e-4) { t in
            gValue(model.with(weights: zip(model.weights, dWeights).map { $0 + t * $1 }))
        }
        let rs = finiteDifferenceCheck(analytic: zip(m.smoothings, dSmooth).map(*).reduce(0, +), h: 1e-3) { t in
            gValue(model.with(smoothings: zip(model.smoothings, dSmooth).map { $0 + t * $1 }))
        }
        record("\(label) ∂/∂filters ⟨∇R, v⟩ rel. error", rf.relativeError)
        record("\(label) ∂/∂weights ⟨∇R, v⟩ rel. error", rw.relativeError)
        record("\(label) ∂/∂smoothings ⟨∇R, v⟩ rel. error", rs.relativeError)
        #expect(rf.passes, "\(label) filters: \(rf)")
        #expect(rw.passes, "\(label) weights: \(rw)")
        #expect(rs.passes, "\(label) smoothings: \(rs)")

        // Single filter tap, to catch a transposed kernel index that a random direction might average out.
        var e = Grid(shape: model.filters.shape); e[1, 0, 3] = 1
        let rTap = finiteDifferenceCheck(analytic: m.filters[1, 0, 3], h: 1e-4) { t in
            var c = model.filters; c.axpy(t, e); return gValue(model.with(filters: c))
        }
        #expect(rTap.passes, "\(label) tap (1,0,3): \(rTap)")
    }

    @Test(arguments: ConvolutionBoundary.allCases)
    func fieldOfExpertsWorkspacePathAndLipschitzBound(boundary: ConvolutionBoundary) {
        let model = Self.foe(boundary: boundary, height: 9, width: 13, size: 3, seed: 5)
        let x = uniformGrid(model.imageShape, seed: 31)
        var g = Grid(shape: x.shape), w = model.makeWorkspace()
        let v = model.valueAndGradient(x, gradient: &g, workspace: &w)
        #expect(abs(v - model.value(x)) <= 1e-12 * abs(v))
        #expect(relativeError(g, model.gradient(x)) <= 1e-14)
        // Value from the definition with the operators C_k.
        var direct = 0.0
        for k in 0..<model.filterCount {
            let r = model.filterOperator(k)(x)
            direct += model.weights[k] * r.storage.map { ($0 * $0 + model.smoothings[k] * model.smoothings[k]).squareRoot() }.reduce(0, +)
        }
        #expect(abs(direct - v) <= 1e-12 * abs(v))
        // The bound holds for the power-iteration curvature at x.
        let hessian = SymmetricOperator(shape: x.shape) { d, out in model.hessianVectorProduct(x, direction: d, into: &out) }
        let curvature = operatorNorm(hessian, iterations: 200)
        #expect(curvature <= model.lipschitzConstant!, "curvature \(curvature) vs bound \(model.lipschitzConstant!)")
    }
}

/// Hessians as operators: symmetric, positive semidefinite, usable by CG.
@Suite struct HessianOperatorTests {
    @Test func hessiansAreSymmetricAndCGSolvesTheShiftedSystem() {
        let shape = Shape(10, 9)
        let x = uniformGrid(shape, seed: 1)
        let tv = SmoothedTV(shape: shape, weight: 0.2, smoothing: 0.1, isotropic: true)
        let foe = SmoothFunctionalTests.foe(boundary: .reflect, height: 10, width: 9, size: 3, seed: 4)
        func check<F: TwiceDifferentiableFunctional>(_ f: F, _ name: String) {
            let h = f.hessian(at: x, shift: 1)
            let r = adjointTest(h, trials: 3, seed: 2)
            #expect(r.mismatch < 1e-13, "\(name): \(r)")
            let v = randomGrid(shape, seed: 3)
            #expect(h(v).dot(v) >= v.squaredNorm * (1 - 1e-12), "\(name): I + ∇²f must be ⪰ I")
            // Solve (I + ∇²f(x)) q = b by CG and check the residual independently.
            let b = randomGrid(shape, seed: 5)
            var cg = ConjugateGradient(operator: h, rightHandSide: b, absoluteTolerance: 1e-11, relativeTolerance: 0)
            let report = cg.run(maxIterations: 500, tolerance: 0)
            #expect(report.converged, "\(name): \(report.stopReason)")
            var residual = h(cg.iterate); residual.subtract(b)
            #expect(residual.norm <= 1e-10, "\(name): residual \(residual.norm)")
        }
        check(tv, "SmoothedTV")
        check(foe, "FieldOfExperts")
        check(SquaredL2Distance(target: x, operator: GaussianBlur(shape: shape, sigma: 1)), "SquaredL2Distance(blur)")
    }
}

import Testing
import Imaging
@testable import Inverse
#if canImport(Glibc)
import Glibc
#endif

/// The fast field-of-experts kernels (row-wise correlations, gather-form adjoint fused with the
/// responses, cached curvatures for CG) against the operator definitions, and the FoE Lipschitz
/// constant of bilevel learning against power iterations.
@Suite struct FieldOfExpertsKernelTests {
    /// Random FoE with K filters of kh × kw on H × W images.
    static func model(_ boundary: ConvolutionBoundary, height: Int, width: Int, kernel: (Int, Int), count: Int = 3,
                      seed: UInt64) -> FieldOfExperts {
        var rng = RandomSource(seed: seed)
        let weights = (0..<count).map { _ in 0.2 + rng.uniform() }, smoothings = (0..<count).map { _ in 0.1 + 0.3 * rng.uniform() }
        return FieldOfExperts(filters: randomGrid(Shape(count, kernel.0, kernel.1), seed: seed &+ 1),
                              weights: weights, smoothings: smoothings, height: height, width: width, boundary: boundary)
    }

    /// Σ_k C_kᵀ(u_k(C_k x) ⊙ C_k v) with the operators C_k (DirectConvolution2D, whose adjoint is the
    /// scatter form), for a pointwise u_k.
    static func reference(_ f: FieldOfExperts, _ x: Grid, _ v: Grid?, _ pointwise: (Int, Double, Double) -> Double) -> Grid {
        var out = Grid(shape: x.shape), t = Grid(shape: x.shape)
        for k in 0..<f.filterCount {
            let op = f.filterOperator(k)
            let r = op(x), d = v.map { op($0) }
            var u = Grid(shape: x.shape)
            for i in 0..<u.count { u.storage[i] = pointwise(k, r.storage[i], d?.storage[i] ?? 1) }
            op.applyAdjoint(u, into: &t)
            out.add(t)
        }
        return out
    }

    // 3, 5, 7 use the unrolled row kernels, 9 and the 3 × 5 / 5 × 1 shapes the generic ones.
    static let kernels = [(3, 3), (5, 5), (7, 7), (9, 9), (3, 5), (5, 1)]

    @Test(arguments: ConvolutionBoundary.allCases)
    func gradientAndHessianProductsMatchTheOperatorDefinition(boundary: ConvolutionBoundary) {
        for (n, kernel) in Self.kernels.enumerated() {
            let f = Self.model(boundary, height: 13, width: 11, kernel: kernel, seed: UInt64(40 + n))
            let x = randomGrid(f.imageShape, seed: 1), v = randomGrid(f.imageShape, seed: 2)
            let label = "\(boundary.rawValue) \(kernel)"
            let nu = f.smoothings, w = f.weights
            let g = Self.reference(f, x, nil) { k, r, _ in w[k] * r / (r * r + nu[k] * nu[k]).squareRoot() }
            var fast = Grid(shape: x.shape), ws = f.makeWorkspace()
            let value = f.valueAndGradient(x, gradient: &fast, workspace: &ws)
            #expect(relativeError(fast, g) <= 1e-13, "\(label) gradient: \(relativeError(fast, g))")
            var direct = 0.0
            for k in 0..<f.filterCount {
                direct += w[k] * f.filterOperator(k)(x).storage.reduce(0) { $0 + ($1 * $1 + nu[k] * nu[k]).squareRoot() }
            }
            #expect(abs(value - direct) <= 1e-13 * abs(direct), "\(label) value")
            #expect(abs(f.value(x, workspace: &ws) - direct) <= 1e-13 * abs(direct), "\(label) value only")

            let hv = Self.reference(f, x, v) { k, r, d in
                let s = r * r + nu[k] * nu[k]
                return w[k] * nu[k] * nu[k] / (s * s.squareRoot()) * d
            }
            var out = Grid(shape: x.shape)
            f.hessianVectorProduct(x, direction: v, into: &out)
            #expect(relativeError(out, hv) <= 1e-13, "\(label) HVP: \(relativeError(out, hv))")
            // The CG operator with cached curvatures gives the same products to the last bit (+ shift·v).
            let op = f.hessianOperator(at: x, shift: 0.75)
            var shifted = out; shifted.axpy(0.75, v)
            #expect(op(v) == shifted, "\(label) cached-curvature operator")
            #expect(op(v) == shifted, "\(label) cached-curvature operator, second product (reused scratch)")
            // A dirty workspace must not leak into the result (the zero borders are re-established).
            var dirty = Grid(shape: f.hessianWorkspaceShape, storage: Array(repeating: 7, count: f.hessianWorkspaceShape.count))
            var again = Grid(shape: x.shape)
            f.hessianVectorProduct(x, direction: v, into: &again, workspace: &dirty)
            #expect(again == out, "\(label) HVP with a dirty workspace")
            var dirtyGradient = Grid(shape: f.workspaceShape!, storage: Array(repeating: -3, count: f.workspaceShape!.count))
            var g2 = Grid(shape: x.shape)
            _ = f.valueAndGradient(x, gradient: &g2, workspace: &dirtyGradient)
            #expect(g2 == fast, "\(label) gradient with a dirty workspace")
        }
    }

    @Test func denoisingObjectiveHessianUsesTheCachedOperatorAndKeepsFiniteDifferences() {
        let f = Self.model(.reflect, height: 12, width: 10, kernel: (5, 5), seed: 9)
        let y = uniformGrid(f.imageShape, seed: 3)
        let h = DenoisingObjective(noisy: y, regularizer: f)
        let x = uniformGrid(f.imageShape, seed: 4), v = randomGrid(f.imageShape, seed: 5)
        var expected = Grid(shape: x.shape)
        h.hessianVectorProduct(x, direction: v, into: &expected)
        #expect(h.hessian(at: x)(v) == expected)
        // FD of the gradient of h along v against the operator (Double, central differences).
        let op = h.hessian(at: x)
        let check = hessianCheck(h, at: x, direction: v, h: 1e-4) { _, d, out in out = op(d) }
        #expect(check.passes, "\(check)")
    }

    @Test func tridiagonalEigenvalueAndEigenvector() {
        // tridiag(−1, 2, −1) of size m: λ_max = 2 − 2cos(mπ/(m + 1)), eigenvector sin(jmπ/(m + 1)).
        for m in [1, 2, 7, 30] {
            let a = Array(repeating: 2.0, count: m), b = Array(repeating: -1.0, count: max(m - 1, 0))
            let exact = 2 - 2 * cos(Double(m) * Double.pi / Double(m + 1))
            let lambda = FieldOfExperts.largestEigenvalue(diagonal: a, offDiagonal: b)
            #expect(abs(lambda - exact) <= 1e-12 * exact, "m = \(m): \(lambda) vs \(exact)")
            let s = FieldOfExperts.eigenvector(diagonal: a, offDiagonal: b, eigenvalue: lambda)
            let e = (1...m).map { sin(Double($0 * m) * Double.pi / Double(m + 1)) }
            let en = e.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var dot = 0.0
            for j in 0..<m { dot += s[j] * e[j] }
            let cosine = abs(dot) / en
            #expect(cosine >= 1 - 1e-10, "m = \(m): |cos| = \(cosine)")
        }
    }

    /// ‖Σ_k (w_k/ν_k) C_kᵀC_k‖ by a long power iteration on the operators C_k.
    static func boundNorm(_ f: FieldOfExperts, iterations: Int = 3000) -> Double {
        let a = zip(f.weights, f.smoothings).map { $0 / $1 }
        let ops = (0..<f.filterCount).map { f.filterOperator($0) }
        let m = SymmetricOperator(shape: f.imageShape) { v, out in
            out.fill(0)
            var t = Grid(shape: v.shape), u = Grid(shape: v.shape)
            for k in ops.indices { ops[k].apply(v, into: &t); ops[k].applyAdjoint(t, into: &u); out.axpy(a[k], u) }
        }
        return operatorNorm(m, iterations: iterations)
    }

    @Test func lanczosEstimateApproachesTheNormFromBelow() {
        for (n, kernel) in [(5, 5), (7, 7), (3, 3)].enumerated() {
            let f = Self.model(.reflect, height: 16, width: 14, kernel: kernel, count: 4, seed: UInt64(70 + n))
            let power = Self.boundNorm(f)
            let cold = f.curvatureBoundNormEstimate(steps: 40)
            record("FoE Lanczos(40) / power norm \(kernel)", cold.value / power)
            #expect(cold.value <= power * (1 + 1e-9), "\(kernel): Ritz value above the norm")
            #expect(cold.value >= power * (1 - 1e-3), "\(kernel): Lanczos \(cold.value) vs power \(power)")
            // Warm start from the Ritz vector of a nearby θ: 12 steps suffice.
            let g = f.with(weights: f.weights.map { $0 * 1.1 }, smoothings: f.smoothings.map { $0 * 0.95 })
            let warm = g.curvatureBoundNormEstimate(steps: 12, start: cold.vector)
            let powerG = Self.boundNorm(g)
            #expect(warm.value <= powerG * (1 + 1e-9) && warm.value >= powerG * (1 - 1e-3), "\(kernel): warm \(warm.value) vs \(powerG)")
        }
    }

    @Test func reflectLipschitzConstantBoundsTheHessianAtRandomStatesAndIsTight() throws {
        // Mixed-parity random filters (the worst case for boundary effects), small images where the
        // boundary weighs most, 5 × 5 and 7 × 7.
        for (n, (size, height, width)) in [(5, 12, 10), (7, 16, 16), (5, 24, 20)].enumerated() {
            let model = try FoEBilevelModel(filterCount: 3, filterSize: size, boundary: .reflect)
            var rng = RandomSource(seed: UInt64(90 + n))
            let filters = FieldOfExperts.randomFilters(size: size, count: 3, seed: UInt64(100 + n))
            let theta = try model.initialTheta(filters: filters, weights: (0..<3).map { _ in 0.05 + 0.2 * rng.uniform() },
                                               smoothings: (0..<3).map { _ in 0.02 + 0.1 * rng.uniform() })
            let r = model.regularizer(theta: theta, height: height, width: width)
            let bound = model.lipschitzConstant(r)
            #expect(model.lipschitzConstant(r) == bound, "cached value")
            let norm0 = Self.boundNorm(r)   // = ‖∇²R(0)‖, the supremum over states
            record("FoE reflect Lipschitz / ‖∇²R(0)‖ (\(size)×\(size), \(height)×\(width))", bound / norm0)
            record("FoE reflect certified bound / ‖∇²R(0)‖ (\(size)×\(size), \(height)×\(width))", model.spectralBound(r) / norm0)
            #expect(bound >= norm0, "bound \(bound) < ‖∇²R(0)‖ = \(norm0)")
            #expect(bound <= 1.06 * norm0, "bound \(bound) not tight (‖∇²R(0)‖ = \(norm0))")
            #expect(bound <= model.spectralBound(r))
            for s in 0..<3 {
                let x = uniformGrid(r.imageShape, seed: UInt64(200 + 10 * n + s))
                let hessian = SymmetricOperator(shape: x.shape) { d, out in r.hessianVectorProduct(x, direction: d, into: &out) }
                let curvature = operatorNorm(hessian, iterations: 300)
                #expect(curvature <= bound, "state \(s): curvature \(curvature) > bound \(bound)")
            }
        }
    }
}

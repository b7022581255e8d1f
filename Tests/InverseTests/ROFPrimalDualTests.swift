import Testing
@testable import Inverse

/// The fused ROF kernel (``ROFPrimalDual``) against the generic ``PrimalDual`` on ∇: same
/// iterates, steps and gaps to round-off, on images (isotropic, anisotropic) and channel stacks
/// (per channel, vectorial), including a size large enough for the row-parallel loops to split.
@Suite struct ROFPrimalDualTests {
    enum Case: String, CaseIterable, Sendable {
        case isotropic, anisotropic, stackSeparate, stackVectorial, stackAnisotropic
    }

    /// Runs both solvers `iterations` steps and returns the largest differences of x, p and the gap.
    static func compare(_ c: Case, height: Int, width: Int, iterations: Int, seed: UInt64)
        -> (x: Double, p: Double, gap: Double, fast: ROFPrimalDual) {
        let lambda = 0.1
        let stack = c.rawValue.hasPrefix("stack")
        let shape = stack ? Shape(3, height, width) : Shape(height, width)
        var noisy = uniformGrid(shape, seed: seed)
        noisy.axpy(0.1, randomGrid(shape, seed: seed + 1))
        let kind: ROFPrimalDual.Regularizer
        switch c {
        case .isotropic, .stackSeparate: kind = .isotropic
        case .anisotropic, .stackAnisotropic: kind = .anisotropic
        case .stackVectorial: kind = .vectorial
        }
        var fast = ROFPrimalDual(noisy: noisy, lambda: lambda, regularizer: kind)
        var worstX = 0.0, worstP = 0.0, worstGap = 0.0
        func track<S: IterativeSolver>(_ generic: inout S, dual: (S) -> Grid) {
            for _ in 0..<iterations {
                generic.step()
                fast.step()
                let g = generic.statistics(), f = fast.statistics()
                worstGap = max(worstGap, abs(g.gap! - f.gap!))
                #expect(abs(g.stepSize - f.stepSize) <= 1e-15)
            }
            worstX = generic.iterate.reshaped(shape).maxAbsDifference(fast.iterate)
            worstP = dual(generic).reshaped(fast.dualIterate.shape).maxAbsDifference(fast.dualIterate)
        }
        let norm = 8.0.squareRoot(), gamma = TVDenoising.accelerationModulus
        let data = SquaredL2Distance(target: noisy)
        if stack {
            let k = ChannelGradient2D(channels: 3, height: height, width: width)
            if kind == .anisotropic {
                var s = PrimalDual(primal: data, dual: L1Norm(weight: lambda), operator: k, initialGuess: noisy,
                                   operatorNorm: norm, primalStrongConvexity: gamma)
                track(&s) { $0.dualIterate }
            } else {
                let r = GroupL21Norm(weight: lambda, componentCount: kind == .vectorial ? 6 : 2)
                var s = PrimalDual(primal: data, dual: r, operator: k, initialGuess: noisy, operatorNorm: norm,
                                   primalStrongConvexity: gamma)
                track(&s) { $0.dualIterate }
            }
        } else {
            let k = Gradient(shape: shape)
            if kind == .anisotropic {
                var s = PrimalDual(primal: data, dual: L1Norm(weight: lambda), operator: k, initialGuess: noisy,
                                   operatorNorm: norm, primalStrongConvexity: gamma)
                track(&s) { $0.dualIterate }
            } else {
                var s = PrimalDual(primal: data, dual: GroupL21Norm(weight: lambda), operator: k, initialGuess: noisy,
                                   operatorNorm: norm, primalStrongConvexity: gamma)
                track(&s) { $0.dualIterate }
            }
        }
        return (worstX, worstP, worstGap, fast)
    }

    @Test(arguments: Case.allCases)
    func fusedKernelMatchesGenericPrimalDual(_ c: Case) {
        let (dx, dp, dgap, fast) = Self.compare(c, height: 13, width: 17, iterations: 60, seed: 41)
        #expect(dx <= 1e-10, "\(c): max |x_fast − x_generic| = \(dx)")
        #expect(dp <= 1e-10, "\(c): max |p_fast − p_generic| = \(dp)")
        #expect(dgap <= 1e-9, "\(c): max gap difference \(dgap)")
        #expect(fast.statistics().gap! >= 0)
    }

    /// 160 rows × 96 columns: enough work per loop for the row-parallel split on two threads.
    @Test func fusedKernelMatchesGenericOnARowParallelSize() {
        let (dx, dp, dgap, _) = Self.compare(.isotropic, height: 160, width: 96, iterations: 30, seed: 5)
        #expect(dx <= 1e-10 && dp <= 1e-10 && dgap <= 1e-8, "x \(dx), p \(dp), gap \(dgap)")
    }

    /// Run to a tight gap: the certified gap bounds objective − optimum at every gap iteration,
    /// also when the gap is computed only every 7 iterations.
    @Test(arguments: [ROFPrimalDual.Regularizer.isotropic, .anisotropic])
    func gapCertifiesTheObjectiveError(_ kind: ROFPrimalDual.Regularizer) throws {
        let (_, noisy) = piecewiseConstantImage(size: 16)
        let isotropic = kind == .isotropic
        let dual: Grid
        if isotropic {
            var ref = TVDualSolver(noisy: noisy, regularizer: GroupL21Norm(weight: 0.1))
            _ = ref.run(maxIterations: 20_000, tolerance: 1e-14)
            dual = ref.iterate
        } else {
            var ref = TVDualSolver(noisy: noisy, regularizer: L1Norm(weight: 0.1))
            _ = ref.run(maxIterations: 20_000, tolerance: 1e-14)
            dual = ref.iterate
        }
        let optimum = TVDenoising.objective(dual, noisy: noisy, lambda: 0.1, isotropic: isotropic)
        var solver = ROFPrimalDual(noisy: noisy, lambda: 0.1, regularizer: kind, gapInterval: 7)
        var worst = -Double.infinity, gapIterations = 0
        let report = solver.run(maxIterations: 20_000, tolerance: 1e-11) { s in
            guard let gap = s.gap else { return }
            gapIterations += 1
            #expect(s.iteration % 7 == 0)
            worst = max(worst, s.objective! - optimum - gap)
        }
        #expect(report.converged, "\(report.stopReason) \(report.final)")
        #expect(report.final.iteration % 7 == 0)
        let direct = TVDenoising.objective(solver.iterate, noisy: noisy, lambda: 0.1, isotropic: isotropic)
        #expect(abs(report.final.objective! - direct) <= 1e-12 * direct)
        #expect(gapIterations == report.final.iteration / 7)
        #expect(worst <= 1e-12, "objective error exceeded the gap by \(worst)")
    }

    /// Copies are independent (the buffers are copied on write).
    @Test func copiesHaveValueSemantics() {
        let noisy = uniformGrid(Shape(8, 9), seed: 3)
        var a = ROFPrimalDual(noisy: noisy, lambda: 0.2)
        a.step()
        let b = a
        let before = b.iterate
        a.step()
        #expect(b.iterate == before)
        #expect(a.iterate != before)
    }
}

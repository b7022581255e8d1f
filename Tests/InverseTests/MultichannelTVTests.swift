import Testing
@testable import Inverse

/// Channel stacks: the per-channel gradient and vectorial / separate TV.
@Suite struct MultichannelTVTests {
    static let shapes: [(Int, Int, Int)] = [(3, 8, 9), (1, 5, 7), (2, 1, 6), (4, 6, 1), (2, 1, 1)]

    @Test(arguments: 0..<5)
    func channelGradientAdjointAndDefinition(index: Int) {
        let (c, h, w) = Self.shapes[index]
        let op = ChannelGradient2D(channels: c, height: h, width: w)
        let result = adjointTest(op, trials: 3, seed: UInt64(index))
        #expect(result.mismatch < 1e-14, "\(result)")
        // Each channel's components equal Gradient2D of that channel.
        let x = randomGrid(op.domain, seed: UInt64(10 + index))
        let g = op(x)
        for k in 0..<c {
            let single = Gradient2D(height: h, width: w)(x.slice(k))
            for a in 0..<2 {
                let part = Array(g.storage[(a * c + k) * h * w ..< (a * c + k + 1) * h * w])
                #expect(part == Array(single.storage[a * h * w ..< (a + 1) * h * w]))
            }
        }
        #expect(operatorNorm(op, iterations: 50) <= 8.0.squareRoot())
    }

    @Test func separateCouplingEqualsPerChannelSolves() throws {
        let a = piecewiseConstantImage(size: 12, seed: 1).noisy, b = piecewiseConstantImage(size: 12, seed: 2).noisy
        let stack = Grid.stack([a, b])
        let (x, report) = try TVDenoising.solve(noisy: stack, lambda: 0.1, maxIterations: 20_000,
                                                relativeGapTolerance: 1e-10, channels: .separate)
        #expect(report.converged, "\(report.stopReason): \(report.final)")
        var singles: [Grid] = [], gapSum = 0.0
        for image in [a, b] {
            let (single, r) = try TVDenoising.solve(noisy: image, lambda: 0.1, maxIterations: 20_000, relativeGapTolerance: 1e-10)
            #expect(r.converged)
            singles.append(single)
            gapSum += r.final.gap!
        }
        // Both are 1-strongly convex problems: each solution is within sqrt(2·gap) of the optimum.
        let distance = x.squaredDistance(to: Grid.stack(singles)).squareRoot()
        let bound = (2 * report.final.gap!).squareRoot() + (2 * gapSum).squareRoot()
        #expect(distance <= bound, "distance \(distance), certified bound \(bound)")
        #expect(distance / x.norm < 1e-5)
    }

    @Test func vectorialCouplingGapAndSingleChannelCase() throws {
        // One channel: vectorial TV is plain isotropic TV.
        let (_, image) = piecewiseConstantImage(size: 12, seed: 3)
        let one = image.reshaped(Shape(1, 12, 12))
        let (x1, _) = try TVDenoising.solve(noisy: one, lambda: 0.1, maxIterations: 20_000, relativeGapTolerance: 1e-12, channels: .vectorial)
        let (x2, _) = try TVDenoising.solve(noisy: image, lambda: 0.1, maxIterations: 20_000, relativeGapTolerance: 1e-12)
        #expect(relativeError(x1.reshaped(image.shape), x2) < 1e-6)

        // Three channels sharing edges: both methods agree and the gap bounds the error.
        let (clean, _) = piecewiseConstantImage(size: 12, seed: 4)
        var stack = Grid.stack([clean, 0.5 * clean, clean.map { 1 - $0 }])
        stack.axpy(0.1, randomGrid(stack.shape, seed: 5))
        let (reference, refReport) = try TVDenoising.solve(noisy: stack, lambda: 0.1, maxIterations: 20_000,
                                                           relativeGapTolerance: 1e-13, method: .dualFISTA, channels: .vectorial)
        #expect(refReport.converged, "\(refReport.stopReason): \(refReport.final)")
        let optimum = TVDenoising.objective(reference, noisy: stack, lambda: 0.1, channels: .vectorial)
        var worst = -Double.infinity
        let (x, report) = try TVDenoising.solve(noisy: stack, lambda: 0.1, maxIterations: 20_000,
                                                relativeGapTolerance: 1e-12, channels: .vectorial) { s in
            worst = max(worst, s.objective! - optimum - s.gap!)
        }
        #expect(report.converged, "\(report.stopReason): \(report.final)")
        #expect(worst <= 1e-14 * optimum)
        #expect(relativeError(x, reference) < 1e-6)
        // Coupling matters: the separate model has a different solution.
        let (separate, _) = try TVDenoising.solve(noisy: stack, lambda: 0.1, maxIterations: 20_000,
                                                  relativeGapTolerance: 1e-12, channels: .separate)
        #expect(relativeError(separate, x) > 1e-3)
        #expect(throws: TVDenoising.InputError.unsupportedRank(2)) {
            try TVDenoising.solve(noisy: image, lambda: 0.1, channels: .vectorial)
        }
    }

    @Test func groupNormWithExplicitComponentCount() {
        let g = randomGrid(Shape(2, 3, 4, 5), seed: 6)
        let coupled = GroupL21Norm(weight: 1, componentCount: 6).value(g)
        var expected = 0.0
        for p in 0..<20 {
            expected += (0..<6).map { g.storage[$0 * 20 + p] * g.storage[$0 * 20 + p] }.reduce(0, +).squareRoot()
        }
        #expect(abs(coupled - expected) < 1e-12 * expected)
        #expect(moreauResidual(GroupL21Norm(weight: 0.4, componentCount: 6), g, stepSize: 0.8) < 1e-14)
    }
}

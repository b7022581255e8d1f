import Testing
@testable import Inverse

/// Field-of-experts and smoothed-TV denoising with the certified stopping test.
@Suite struct SmoothDenoisingTests {
    @Test func fieldOfExpertsDenoisingIsCertified() throws {
        let (_, noisy) = piecewiseConstantImage(size: 16, seed: 9)
        var filters = randomGrid(Shape(4, 5, 5), seed: 12)
        filters.scale(by: 0.2)
        let model = FieldOfExperts(filters: filters, weights: [0.05, 0.1, 0.02, 0.08], smoothings: [0.05, 0.1, 0.1, 0.2],
                                   height: 16, width: 16)
        let epsilon = 1e-8
        let (x, report) = try SmoothDenoising.solve(noisy: noisy, regularizer: model, distanceTolerance: epsilon,
                                                    maxIterations: 5000)
        #expect(report.converged, "\(report.stopReason): \(report.final)")
        // Independent check of the certificate: ‖∇h(x)‖ ≤ ε, and a much longer run stays within ε.
        let h = DenoisingObjective(noisy: noisy, regularizer: model)
        #expect(h.gradient(x).norm <= epsilon)
        let (longer, _) = try SmoothDenoising.solve(noisy: noisy, regularizer: model, distanceTolerance: 1e-12,
                                                    maxIterations: 20_000)
        let distance = x.squaredDistance(to: longer).squareRoot()
        record("FoE denoising 16×16: iterations to certified ε = 1e-8", Double(report.final.iteration))
        record("FoE denoising 16×16: distance to a 1e-12 run", distance)
        #expect(distance <= epsilon + 1e-12)
        #expect(h.value(x) < h.value(noisy))
    }

    @Test func objectiveDerivativesAndBadInput() {
        let shape = Shape(8, 7)
        let h = DenoisingObjective(noisy: uniformGrid(shape, seed: 1),
                                   regularizer: SmoothedTV(shape: shape, weight: 0.3, smoothing: 0.2, isotropic: true))
        let x = uniformGrid(shape, seed: 2), d = randomGrid(shape, seed: 3)
        let g = gradientCheck(h, at: x, direction: d, h: 1e-4)
        #expect(g.passes, "\(g)")
        let hv = hessianCheck(h, at: x, direction: d, h: 1e-4) { x, v, out in h.hessianVectorProduct(x, direction: v, into: &out) }
        #expect(hv.passes, "\(hv)")
        #expect(h.lipschitzConstant == 1 + 8 * 0.3 / 0.2)
        var bad = x; bad[2, 2] = .infinity
        #expect(throws: SmoothDenoising.InputError.self) {
            try SmoothDenoising.solve(noisy: bad, regularizer: h.regularizer, distanceTolerance: 1e-6)
        }
        #expect(throws: SmoothDenoising.InputError.invalidTolerance(0)) {
            try SmoothDenoising.solve(noisy: x, regularizer: h.regularizer, distanceTolerance: 0)
        }
        let (_, capped) = try! SmoothDenoising.solve(noisy: x, regularizer: h.regularizer, distanceTolerance: 1e-14, maxIterations: 3)
        #expect(capped.stopReason == .maxIterations && capped.history.count == 3)
    }
}

import Testing
import Imaging
@testable import Inverse

/// The input-convex network: four-mode check at random and saturating points, and training with a
/// loss on its input gradient, after which ∇ψ must be a symmetric, monotone field.
@Suite struct NNICNNTests {
    static func network(beta: Double, alpha: Double, seed: UInt64) throws -> InputConvexNetwork<Double> {
        var rng = RandomSource(seed: seed)
        let net = try InputConvexNetwork<Double>(inputCount: 3, hiddenCount: 5, depth: 2, activation: .softplus(beta: beta),
                                                 strongConvexity: alpha, firstBias: true, rng: &rng)
        // Non-negative weights of order one (the PyTorch init leaves about half of them at zero).
        for p in net.parameters where p.constraint == .nonNegative {
            for i in 0..<p.value.count { p.value[i] = 0.1 + rng.uniform() }
        }
        return net
    }

    @Test func checkRandomPoints() throws {
        let net = try Self.network(beta: 1, alpha: 0.05, seed: 61)
        var rng = RandomSource(seed: 62)
        let report = checkLayer(net, input: Tensor<Double>.gaussian(shape: [4, 3], rng: &rng), seed: 63)
        print("checkLayer \(#function) \(report)")
        #expect(report.worst <= 1e-6, "\(report)")
        #expect(net.parameterCount == 5 * 3 + 5 + 2 * (25 + 15 + 5) + 5 + 3 + 1)
        #expect(try net.outputShape(for: [4, 3]) == [4, 1])
    }

    /// β = 10 and inputs/weights large enough that most |βa| > 30.
    @Test func checkSaturatingPoints() throws {
        let net = try Self.network(beta: 10, alpha: 0, seed: 64)
        for p in net.parameters { p.value.scale(by: 4) }
        var rng = RandomSource(seed: 65)
        var x = Tensor<Double>.gaussian(shape: [4, 3], rng: &rng)
        x.scale(by: 3)
        let report = checkLayer(net, input: x, seed: 66)
        print("checkLayer \(#function) \(report)")
        #expect(report.worst <= 1e-6, "\(report)")
    }

    @Test func rejectsNonConvexActivation() {
        var rng = RandomSource(seed: 67)
        #expect(throws: NNError.self) {
            try InputConvexNetwork<Double>(inputCount: 2, hiddenCount: 4, depth: 1, activation: .tanh, rng: &rng)
        }
    }

    /// Fit ∇ψ to coordinatewise soft-thresholding (the prox of λ‖·‖₁, a monotone gradient map) with
    /// the MSE of the input gradient, trained through the second-order path; then check the learned
    /// field: its Jacobian (from tangent passes) is symmetric and PSD, agrees with finite
    /// differences of ∇ψ, and ⟨f(x) − f(y), x − y⟩ ≥ 0 on random pairs.
    @Test func trainedGradientFieldIsSymmetricAndMonotone() throws {
        let d = 2, lambda = 0.5
        var rng = RandomSource(seed: 68)
        let net = try InputConvexNetwork<Double>(inputCount: d, hiddenCount: 24, depth: 2, activation: .softplus(beta: 5),
                                                 rng: &rng)
        func softThreshold(_ x: Tensor<Double>) -> Tensor<Double> {
            var t = x
            for i in 0..<t.count { t[i] = x[i] > lambda ? x[i] - lambda : (x[i] < -lambda ? x[i] + lambda : 0) }
            return t
        }
        let validation = Tensor<Double>.uniform(shape: [400, d], lower: -2, upper: 2, rng: &rng)
        func validationMSE() -> Double {
            Loss.meanSquaredError.evaluate(net.inputGradient(at: validation).gradient, target: softThreshold(validation)).value
        }
        let before = validationMSE()
        var adam = TestAdam(learningRate: 1e-2)
        for step in 0..<3000 {
            if step == 2000 { adam.learningRate = 2e-3 }
            let x = Tensor<Double>.uniform(shape: [128, d], lower: -2, upper: 2, rng: &rng)
            let target = softThreshold(x)
            net.zeroGradients()
            net.accumulateInputGradientLoss(at: x, gradientLoss: { Loss.meanSquaredError.evaluate($0, target: target) })
            adam.update(net.parameters)
        }
        let after = validationMSE()
        #expect(net.parameters.allSatisfy { $0.constraint == .none || $0.value.storage.allSatisfy { $0 >= 0 } })

        // Jacobian of f = ∇ψ at 50 points: row i, ∇ₓ⟨e_i, f⟩, by forward + tangent(e_i) + tangentBackward(0, 1).
        let points = Tensor<Double>.uniform(shape: [50, d], lower: -2, upper: 2, rng: &rng)
        var columns: [Tensor<Double>] = []
        for i in 0..<d {
            var e = Tensor<Double>(shape: points.shape)
            for b in 0..<50 { e[b * d + i] = 1 }
            columns.append(net.inputHessianProduct(at: points, direction: e))
        }
        var worstAsymmetry = 0.0, worstFD = 0.0, minEigen = Double.infinity
        let h = 1e-5
        var fdColumns: [Tensor<Double>] = []
        for i in 0..<d {
            var plus = points, minus = points
            for b in 0..<50 { plus[b * d + i] += h; minus[b * d + i] -= h }
            var fd = net.inputGradient(at: plus).gradient
            fd.add(net.inputGradient(at: minus).gradient, scaledBy: -1)
            fd.scale(by: 1 / (2 * h))
            fdColumns.append(fd)
        }
        for b in 0..<50 {
            // columns[i] holds row i of J = Df (entry c of sample b: ∂f_i/∂x_c); fdColumns[c] holds
            // column c. Symmetry: J01 vs J10; the finite differences are compared with the
            // transposed layout, which is valid because symmetry is checked too.
            let j00 = columns[0][b * d], j10 = columns[0][b * d + 1], j01 = columns[1][b * d], j11 = columns[1][b * d + 1]
            let norm = max(abs(j00), abs(j01), abs(j10), abs(j11), 1e-300)
            worstAsymmetry = max(worstAsymmetry, abs(j01 - j10) / norm)
            let fd00 = fdColumns[0][b * d], fd10 = fdColumns[0][b * d + 1], fd01 = fdColumns[1][b * d], fd11 = fdColumns[1][b * d + 1]
            let fdErr = max(abs(fd00 - j00), abs(fd10 - j10), abs(fd01 - j01), abs(fd11 - j11)) / norm
            worstFD = max(worstFD, fdErr)
            let mean = (j00 + j11) / 2, off = (j01 + j10) / 2, diff = (j00 - j11) / 2
            minEigen = min(minEigen, mean - (diff * diff + off * off).squareRoot())
        }
        // Monotonicity on 1 000 random pairs.
        let xs = Tensor<Double>.uniform(shape: [1000, d], lower: -3, upper: 3, rng: &rng)
        let ys = Tensor<Double>.uniform(shape: [1000, d], lower: -3, upper: 3, rng: &rng)
        let fx = net.inputGradient(at: xs).gradient, fy = net.inputGradient(at: ys).gradient
        var minInner = Double.infinity
        for b in 0..<1000 {
            var s = 0.0
            for i in 0..<d { s += (fx[b * d + i] - fy[b * d + i]) * (xs[b * d + i] - ys[b * d + i]) }
            minInner = min(minInner, s)
        }
        print("ICNN ∇ψ fit to soft-thresholding: validation MSE \(before) → \(after); Jacobian asymmetry (relative) \(worstAsymmetry), vs finite differences \(worstFD), min eigenvalue \(minEigen); min ⟨f(x)−f(y), x−y⟩ over 1000 pairs \(minInner)")
        #expect(after < 0.01 && after < 0.1 * before)
        #expect(worstAsymmetry <= 1e-8)
        #expect(worstFD <= 1e-6)
        #expect(minEigen >= -1e-10)
        #expect(minInner >= -1e-12)
    }

    @Test func descriptorRebuildsSameArchitecture() throws {
        let net = try Self.network(beta: 3, alpha: 0.1, seed: 69)
        let rebuilt = try InputConvexNetwork<Double>(descriptor: net.descriptor)
        #expect(rebuilt.descriptor == net.descriptor)
        #expect(rebuilt.parameters.map { $0.name } == net.parameters.map { $0.name })
        for (a, b) in zip(rebuilt.parameters, net.parameters) { a.value = b.value }
        var rng = RandomSource(seed: 70)
        let x = Tensor<Double>.gaussian(shape: [3, 3], rng: &rng)
        #expect(rebuilt.forward(x) == net.forward(x))
        var drng = RandomSource(seed: 71)
        let dense = Dense<Double>(inputCount: 3, outputCount: 2, bias: false, weightConstraint: .nonNegative, name: "W1", rng: &drng)
        let copy = try Dense<Double>(descriptor: dense.descriptor)
        #expect(copy.descriptor == dense.descriptor && copy.parameters.map { $0.name } == ["W1.weight"])
        #expect(copy.weight.constraint == .nonNegative)
    }
}

import Foundation
import Testing
import Imaging
import Inverse

/// The first Swift example of docs/nn-kit.md, verbatim apart from the data it assumes, so the
/// documentation cannot drift from the API (it must compile and run).
@Suite struct NNDocsExampleTests {
    @Test func usageExampleRuns() throws {
        // Data the example assumes: x, t (MLP regression), y, clean (LPN denoising pairs).
        var data = RandomSource(seed: 9)
        let x = Tensor<Float>.uniform(shape: [16, 1], lower: -3, upper: 3, rng: &data)
        let t = Tensor<Float>(shape: [16, 1], storage: x.storage.map { Float(sin(Double($0))) })
        let clean = Tensor<Double>.uniform(shape: [8, 1], lower: -2, upper: 2, rng: &data)
        var y = clean
        y.add(Tensor<Double>.gaussian(shape: [8, 1], rng: &data), scaledBy: 0.5)

        // --- docs/nn-kit.md example (from here) ---
        var rng = RandomSource(seed: 1)
        // An ordinary MLP, trained by forward + backward.
        let mlp = Sequential<Float>([Dense(inputCount: 1, outputCount: 32, rng: &rng), Activation(Tanh<Float>()),
                                     Dense(inputCount: 32, outputCount: 32, rng: &rng), Activation(Tanh<Float>()),
                                     Dense(inputCount: 32, outputCount: 1, rng: &rng)])
        mlp.zeroGradients()
        let (loss, dy) = Loss.meanSquaredError.evaluate(mlp.forward(x), target: t)
        _ = mlp.backward(dy)                       // θ̄ now in mlp.parameters[i].gradient

        // LPN: ψ an input-convex network, f = ∇ψ, loss of f trained through the second-order path.
        let psi = try InputConvexNetwork<Double>(inputCount: 1, hiddenCount: 32, depth: 3,
                                                 activation: .softplus(beta: 10), rng: &rng)
        let f = psi.inputGradient(at: y).gradient  // the learned proximal operator at y
        psi.zeroGradients()
        let r = psi.accumulateInputGradientLoss(at: y, gradientLoss: { g in
            Loss.proximalMatching(gamma: 0.5).evaluate(g, target: clean)
        })
        // --- (to here) ---

        #expect(loss.isFinite && loss > 0)
        #expect(mlp.parameters.contains { $0.gradient.squaredNorm > 0 })
        #expect(f.shape == y.shape && f.isFinite)
        #expect(r.gradientLoss.isFinite)
        #expect(psi.parameters.contains { $0.gradient.squaredNorm > 0 })
    }
}

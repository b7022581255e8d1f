import Imaging
import Testing
@testable import Inverse

/// End-to-end Float vs Double (nn-kit.md: "the Float path matches the Double path on the same
/// weights within 1e-4 relative"): the same model and data in both precisions, a few Adam steps of
/// (i) ordinary MSE training and (ii) a loss on the input gradient (the second-order path);
/// outputs, input gradients, parameter gradients and updated weights compared tensor-relatively.
@Suite struct NNTrainFloatDoubleTests {
    static func model<S: NNScalar>(_: S.Type) -> Sequential<S> {
        var rng = RandomSource(seed: 21)
        return Sequential<S>([
            Dense<S>(inputCount: 3, outputCount: 24, rng: &rng), Activation(Tanh<S>()),
            Dense<S>(inputCount: 24, outputCount: 24, rng: &rng), Activation(Softplus<S>(beta: 2)),
            Dense<S>(inputCount: 24, outputCount: 1, rng: &rng),
        ])
    }

    static func relative<S: NNScalar>(_ a: Tensor<S>, _ b: Tensor<Double>) -> Double {
        tensorRelativeError(Tensor<Double>(a), b)
    }

    struct Worst: CustomStringConvertible {
        var output = 0.0, inputGradient = 0.0, parameterGradient = 0.0, weights = 0.0
        var description: String { "output \(output), input gradient \(inputGradient), parameter gradients \(parameterGradient), weights \(weights)" }
    }

    /// Runs `steps` Adam steps in both precisions; `secondOrder` selects the loss
    /// ℓ = ‖∇ₓΣψ(x) − t‖²/B (forward, backward for ∇ₓ, tangent along v = ∂ℓ/∂∇ₓ, tangentBackward)
    /// instead of ℓ = ‖ψ(x) − t‖²/B.
    func compare(secondOrder: Bool, steps: Int = 5) throws -> Worst {
        let md = Self.model(Double.self)
        let mf = Self.model(Float.self)
        try ModelArchive(model: md).restore(into: mf)   // same weights (Double → Float)
        var rng = RandomSource(seed: 22)
        let b = 64
        let xd = Tensor<Double>.uniform(shape: [b, 3], lower: -1.5, upper: 1.5, rng: &rng)
        let td = Tensor<Double>.gaussian(shape: secondOrder ? [b, 3] : [b, 1], rng: &rng)
        let xf = Tensor<Float>(xd), tf = Tensor<Float>(td)
        let ad = try Adam(parameters: md.parameters, learningRate: 1e-2)
        let af = try Adam(parameters: mf.parameters, learningRate: 1e-2)
        var worst = Worst()

        func pass<S: NNScalar>(_ m: Sequential<S>, _ x: Tensor<S>, _ t: Tensor<S>) -> (out: Tensor<S>, gx: Tensor<S>) {
            m.zeroGradients()
            let y = m.forward(x)
            if !secondOrder {
                var r = y
                r.add(t, scaledBy: -1)
                r.scale(by: 2 / S(b))
                return (y, m.backward(r))
            }
            var g = m.backward(Tensor(shape: y.shape, repeating: 1))   // ∇ₓψ per sample
            m.zeroGradients()                                            // drop ∇θψ of that pass
            let f = g
            g.add(t, scaledBy: -1)
            g.scale(by: 2 / S(b))                                        // v = ∂ℓ/∂f
            _ = m.tangent(g)
            let (gx, _) = m.tangentBackward(Tensor(shape: y.shape), Tensor(shape: y.shape, repeating: 1))
            _ = gx
            return (f, gx)
        }

        for _ in 0..<steps {
            let (yd, gxd) = pass(md, xd, td)
            let (yf, gxf) = pass(mf, xf, tf)
            worst.output = max(worst.output, Self.relative(yf, yd))
            worst.inputGradient = max(worst.inputGradient, Self.relative(gxf, gxd))
            for (pf, pd) in zip(mf.parameters, md.parameters) {
                worst.parameterGradient = max(worst.parameterGradient, Self.relative(pf.gradient, pd.gradient))
            }
            ad.step()
            af.step()
            for (pf, pd) in zip(mf.parameters, md.parameters) {
                worst.weights = max(worst.weights, Self.relative(pf.value, pd.value))
            }
        }
        return worst
    }

    @Test func floatTrainingMatchesDoubleOnTheSameWeights() throws {
        let first = try compare(secondOrder: false)
        let second = try compare(secondOrder: true)
        for (name, w) in [("MSE", first), ("input-gradient loss", second)] {
            #expect(w.output <= 1e-4 && w.inputGradient <= 1e-4 && w.parameterGradient <= 1e-4 && w.weights <= 1e-4,
                    "\(name): \(w)")
        }
        print("Float vs Double, 5 Adam steps — MSE: \(first); input-gradient loss: \(second)")
    }
}

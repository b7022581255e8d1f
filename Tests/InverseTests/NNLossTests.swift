import Testing
import Imaging
@testable import Inverse

/// Loss values against hand-computed ones and loss gradients against central differences.
@Suite struct NNLossTests {
    static let losses: [Loss] = [.meanSquaredError, .meanAbsoluteError, .binaryCrossEntropyWithLogits,
                                 .proximalMatching(gamma: 0.7)]

    @Test(arguments: losses)
    func gradientMatchesFiniteDifferences(loss: Loss) {
        var rng = RandomSource(seed: 41)
        let p = Tensor<Double>.gaussian(shape: [5, 3], rng: &rng)
        var t = Tensor<Double>.gaussian(shape: [5, 3], rng: &rng)
        switch loss {
        case .binaryCrossEntropyWithLogits:
            for i in 0..<t.count { t[i] = rng.uniform() }
        case .proximalMatching:
            for i in 0..<t.count { t[i] = p[i] + 0.3 * t[i] }  // ‖e‖ ~ γ: exp(−‖e‖²/γ²) not tiny
        default: break
        }
        let (_, g) = loss.evaluate(p, target: t)
        let h = 1e-6
        var numeric = Tensor<Double>(shape: p.shape)
        var q = p
        for i in 0..<p.count {
            q[i] = p[i] + h; let fp = loss.evaluate(q, target: t).value
            q[i] = p[i] - h; let fm = loss.evaluate(q, target: t).value
            q[i] = p[i]
            numeric[i] = (fp - fm) / (2 * h)
        }
        let err = tensorRelativeError(g, numeric)
        #expect(err <= 1e-7, "\(loss): gradient error \(err)")
    }

    @Test func knownValues() {
        let p = Tensor<Double>(shape: [1, 2], storage: [1, 2])
        let zero = Tensor<Double>(shape: [1, 2])
        #expect(Loss.meanSquaredError.evaluate(p, target: zero).value == 2.5)
        #expect(Loss.meanAbsoluteError.evaluate(p, target: zero).value == 1.5)
        #expect(Loss.meanAbsoluteError.evaluate(zero, target: zero).gradient == zero)
        // BCE with logits: log 2 at logit 0; exact and finite for huge logits.
        let bce = Loss.binaryCrossEntropyWithLogits
        #expect(abs(bce.evaluate(Tensor(shape: [1, 1], storage: [0.0]), target: Tensor(shape: [1, 1], storage: [1.0])).value - Double.log(2)) < 1e-15)
        let huge = Tensor<Double>(shape: [2, 1], storage: [800, -800])
        let ones = Tensor<Double>(shape: [2, 1], storage: [1, 1])
        let r = bce.evaluate(huge, target: ones)
        #expect(r.value == 400)  // (0 + 800)/2
        #expect(r.gradient[0] == 0 && r.gradient[1] == -0.5)
        let rf = bce.evaluate(Tensor<Float>(huge), target: Tensor<Float>(ones))
        #expect(rf.value == 400 && rf.gradient.isFinite)
        // Proximal matching per sample: sample 0 exact, sample 1 far → (0 + 1)/2.
        let pm = Loss.proximalMatching(gamma: 0.1)
        let pred = Tensor<Double>(shape: [2, 2], storage: [1, 1, 5, 5])
        let targ = Tensor<Double>(shape: [2, 2], storage: [1, 1, 0, 0])
        #expect(abs(pm.evaluate(pred, target: targ).value - 0.5) < 1e-15)
    }
}

import Imaging
import Testing
@testable import Inverse

/// A conv layer learns a known filter bank from input/output pairs. A linear conv layer with a
/// mean-squared loss is a convex least-squares problem, so plain gradient descent (gradients from
/// the layer's own reverse pass) recovers the filter exactly, up to rounding.
@Suite struct NNConvFilterRecoveryTests {
    /// Gradient descent on L(W, b) = (1/2N) Σ (conv(x) − t)²; returns the final max |θ − θ*|.
    static func recover(inChannels: Int, outChannels: Int, stride: Int, mode: PaddingMode, seed: UInt64) throws -> (error: Double, steps: Int) {
        var rng = RandomSource(seed: seed)
        let k = 3
        let trueWeight = Tensor<Double>.gaussian(shape: [outChannels, inChannels, k, k], rng: &rng)
        let trueBias = Tensor<Double>.gaussian(shape: [outChannels], rng: &rng)
        let x = Tensor<Double>.gaussian(shape: [8, inChannels, 16, 16], rng: &rng)
        let target = naiveCorrelation2D(x, weight: trueWeight, bias: trueBias, stride: stride, pad: 1, mode: mode)
        let layer = try Conv2D<Double>(inChannels: inChannels, outChannels: outChannels, kernelSize: k, stride: stride,
                                       padding: .same, paddingMode: mode)
        let n = Double(target.count / outChannels)   // samples per output channel: the loss curvature is ≈ E[x²] = 1
        var steps = 0
        func error() -> Double {
            let e = zip(layer.weight.value.storage, trueWeight.storage).map { abs($0 - $1) }
            let f = zip(layer.bias!.value.storage, trueBias.storage).map { abs($0 - $1) }
            return (e + f).max()!
        }
        while steps < 300 && error() > 1e-12 {
            layer.zeroGradients()
            var residual = layer.forward(x)
            residual.add(target, scaledBy: -1)
            residual.scale(by: 1 / n)
            _ = layer.backward(residual)
            for p in layer.parameters { p.value.add(p.gradient, scaledBy: -0.9) }
            steps += 1
        }
        return (error(), steps)
    }

    @Test func singleFilter() throws {
        let r = try Self.recover(inChannels: 1, outChannels: 1, stride: 1, mode: .zero, seed: 61)
        record("conv filter recovery 1→1 3×3 zero: max |θ − θ*|", r.error)
        record("conv filter recovery 1→1 3×3 zero: steps", Double(r.steps))
        #expect(r.error <= 1e-6)
    }

    @Test func filterBankStrideTwoPeriodic() throws {
        let r = try Self.recover(inChannels: 2, outChannels: 3, stride: 2, mode: .periodic, seed: 62)
        record("conv filter recovery 2→3 3×3 stride 2 periodic: max |θ − θ*|", r.error)
        record("conv filter recovery 2→3 3×3 stride 2 periodic: steps", Double(r.steps))
        #expect(r.error <= 1e-6)
    }
}

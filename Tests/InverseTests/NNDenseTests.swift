import Testing
import Imaging
@testable import Inverse

/// Dense, Sequential and Residual through the four-mode finite-difference check, and Dense
/// against a hand-written matrix product.
@Suite struct NNDenseTests {
    static let tolerance = 1e-6

    @Test(arguments: [true, false])
    func denseCheck(bias: Bool) {
        var rng = RandomSource(seed: 21)
        let layer = Dense<Double>(inputCount: 5, outputCount: 4, bias: bias, rng: &rng)
        let x = Tensor<Double>.gaussian(shape: [6, 5], rng: &rng)
        let report = checkLayer(layer, input: x, seed: 22)
        print("checkLayer \(#function) \(report)")
        #expect(report.worst <= Self.tolerance, "\(report)")
    }

    @Test func denseMatchesLoops() throws {
        var rng = RandomSource(seed: 23)
        let layer = Dense<Double>(inputCount: 3, outputCount: 2, rng: &rng)
        let x = Tensor<Double>.gaussian(shape: [4, 3], rng: &rng)
        let y = layer.forward(x)
        #expect(y.shape == [4, 2])
        for b in 0..<4 {
            for o in 0..<2 {
                var s = layer.bias!.value[o]
                for i in 0..<3 { s += layer.weight.value[o * 3 + i] * x[b * 3 + i] }
                #expect(abs(y[b * 2 + o] - s) < 1e-14)
            }
        }
        #expect(layer.descriptor.kind == "dense")
        #expect(throws: NNError.self) { try layer.outputShape(for: [4, 5]) }
        #expect(try layer.outputShape(for: [7, 3]) == [7, 2])
    }

    @Test(arguments: [ActivationKind.softplus(beta: 3), .tanh, .sine(frequency: 2), .leakyReLU(slope: 0.1), .sigmoid])
    func sequentialCheck(activation: ActivationKind) throws {
        let net = testMLP([3, 8, 8, 2], activation, seed: 24, as: Double.self)
        var rng = RandomSource(seed: 25)
        let x = Tensor<Double>.gaussian(shape: [5, 3], rng: &rng)
        let report = checkLayer(net, input: x, seed: 26)
        print("checkLayer \(#function) \(activation): \(report)")
        #expect(report.worst <= Self.tolerance, "\(activation): \(report)")
        #expect(net.parameters.count == 6)
        #expect(try net.outputShape(for: [5, 3]) == [5, 2])
    }

    /// Softplus(β = 10) MLP with weights scaled up so that most pre-activations have |βa| > 30.
    @Test func sequentialSaturating() {
        let net = testMLP([3, 8, 8, 2], .softplus(beta: 10), seed: 27, as: Double.self)
        for p in net.parameters { p.value.scale(by: 6) }
        var rng = RandomSource(seed: 28)
        let x = Tensor<Double>.gaussian(shape: [5, 3], rng: &rng)
        let report = checkLayer(net, input: x, seed: 29)
        print("checkLayer \(#function) \(report)")
        #expect(report.worst <= Self.tolerance, "\(report)")
    }

    @Test func residualCheck() throws {
        var rng = RandomSource(seed: 30)
        let body = Sequential<Double>(Dense(inputCount: 4, outputCount: 6, rng: &rng), Activation(Tanh()),
                                      Dense(inputCount: 6, outputCount: 4, rng: &rng))
        let block = Residual(body)
        let net = Sequential<Double>(block, Activation(Softplus(beta: 2)), Residual(Dense(inputCount: 4, outputCount: 4, rng: &rng)))
        let x = Tensor<Double>.gaussian(shape: [3, 4], rng: &rng)
        let report = checkLayer(net, input: x, seed: 31)
        print("checkLayer \(#function) \(report)")
        #expect(report.worst <= Self.tolerance, "\(report)")
        #expect(throws: NNError.self) { try Residual<Double>(Dense(inputCount: 4, outputCount: 3, rng: &rng)).outputShape(for: [2, 4]) }
    }
}

import Imaging
import Testing
@testable import Inverse

/// A parameter-only layer (identity map) for tests of optimisers and initialisers that need a
/// `Layer` but no particular architecture.
final class ParameterHolder<Scalar: NNScalar>: Layer {
    let parameters: [Parameter<Scalar>]
    init(_ parameters: [Parameter<Scalar>]) { self.parameters = parameters }
    var descriptor: LayerDescriptor { LayerDescriptor(kind: "test-parameter-holder") }
    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
    func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x }
    func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> { outputGradient }
    func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> { inputTangent }
    func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) { (outputGradient, tangentGradient) }
}

@Suite struct NNTrainOptimizerTests {
    /// LPN spec §9.7 whole-step regression: two Adam steps + clamp (W ≥ 0) from fixed weights with
    /// fixed gradients, against float64 values computed independently by this numpy script (the
    /// PyTorch single-tensor Adam/AdamW arithmetic written out; checked against torch 2.13 Adam
    /// and AdamW, see docs/nn-kit.md):
    ///
    ///     W0 = [[0.5, -0.25, 1.5], [-0.75, 2.0, 0.125]]; b0 = [0.3, -0.2]
    ///     gW = [[[0.1, -0.2, 0.3], [0.4, -0.5, 0.6]], [[-0.05, 0.2, 0.1], [0.3, 0.7, -0.6]]]
    ///     gb = [[1.0, -2.0], [-0.5, 0.25]]
    ///     for t in 1, 2, for (x, g, m, v) of W and b:
    ///         g = g + wd*x (l2) | x *= 1 - lr*wd (decoupled)
    ///         m += (1-b1)*(g-m); v = b2*v + (1-b2)*g*g
    ///         x -= lr/(1-b1**t) * m / (sqrt(v)/sqrt(1-b2**t) + eps);  W = maximum(W, 0)
    static let adamCases: [(lr: Double, wd: Double, mode: WeightDecayMode, w: [Double], b: [Double])] = [
        (1e-3, 0, .l2,
         [0.49873366309403394, 0.0, 1.498128936121572, 0.0, 2.0007837030722238, 0.12405263159473684],
         [0.298733662973709, -0.19842746543328957]),
        (0.1, 0.01, .l2,
         [0.36850349238181024, 0.0, 1.3116625389271848, 0.0, 2.07516769879019, 0.030138262753678903],
         [0.17309647219544466, -0.04269602021613917]),
        (0.1, 0.01, .decoupled,
         [0.3724668093933909, 0.0, 1.3099951121538622, 0.0, 2.074272307224383, 0.03011328447201748],
         [0.17286659736990312, -0.042446743328455515]),
    ]

    @Test(arguments: 0..<3)
    func adamTwoStepsWithClampMatchReference(index: Int) throws {
        let c = Self.adamCases[index]
        let w = Parameter<Double>(name: "weight", value: Tensor(shape: [2, 3], storage: [0.5, -0.25, 1.5, -0.75, 2.0, 0.125]),
                                  constraint: .nonNegative)
        let b = Parameter<Double>(name: "bias", value: Tensor(shape: [2], storage: [0.3, -0.2]))
        let gw: [[Double]] = [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [-0.05, 0.2, 0.1, 0.3, 0.7, -0.6]]
        let gb: [[Double]] = [[1.0, -2.0], [-0.5, 0.25]]
        let adam = try Adam(parameters: [w, b], learningRate: c.lr, weightDecay: c.wd, weightDecayMode: c.mode)
        for t in 0..<2 {
            adam.zeroGradients()
            w.gradient.storage = gw[t]
            b.gradient.storage = gb[t]
            adam.step()
        }
        let err = zip(w.value.storage + b.value.storage, c.w + c.b).map { abs($0 - $1) }.max()!
        #expect(err <= 1e-12, "case \(index): max |Δ| = \(err)")
        #expect(adam.stepCount == 2)
    }

    /// ½ Σ aᵢ(θᵢ − cᵢ)² with condition number 100: gradient aᵢ(θᵢ − cᵢ).
    static func quadraticGradient(_ p: Parameter<Double>, _ a: [Double], _ c: [Double]) {
        for i in 0..<a.count { p.gradient[i] += a[i] * (p.value[i] - c[i]) }
    }

    @Test func adamConvergesOnConvexQuadraticWithStageSchedule() throws {
        let n = 10
        let a = (0..<n).map { Double.pow(100, Double($0) / Double(n - 1)) }
        let c = (0..<n).map { Double($0) / 3 - 1 }
        let p = Parameter<Double>(name: "theta", value: Tensor(shape: [n], repeating: 2))
        let schedule = LearningRateSchedule.stages([.init(start: 0, learningRate: 0.1),
                                                    .init(start: 500, learningRate: 0.01),
                                                    .init(start: 1000, learningRate: 1e-3)])
        let adam = try Adam(parameters: [p], schedule: schedule)
        for _ in 0..<2000 {
            adam.zeroGradients()
            Self.quadraticGradient(p, a, c)
            adam.step()
        }
        let err = zip(p.value.storage, c).map { abs($0 - $1) }.max()!
        #expect(err < 1e-4, "max |θ − c| = \(err)")
    }

    @Test func sgdMomentumMatchesHandComputedStepsAndConverges() throws {
        // Two steps by hand (PyTorch semantics): b₁ = g₁, θ₁ = θ₀ − lr·b₁; b₂ = μb₁ + (1 − d)g₂, θ₂ = θ₁ − lr·b₂.
        let p = Parameter<Double>(name: "x", value: Tensor(shape: [1], storage: [1.0]))
        let sgd = try SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.2)
        sgd.zeroGradients(); p.gradient[0] = 3; sgd.step()
        let g1 = 3 + 0.2 * 1.0, x1 = 1 - 0.1 * g1
        #expect(abs(p.value[0] - x1) <= 1e-15)
        sgd.zeroGradients(); p.gradient[0] = -1; sgd.step()
        let g2 = -1 + 0.2 * x1, b2 = 0.9 * g1 + 0.5 * g2, x2 = x1 - 0.1 * b2
        #expect(abs(p.value[0] - x2) <= 1e-15)

        // Nesterov: θ ← θ − lr(g + μb).
        let q = Parameter<Double>(name: "y", value: Tensor(shape: [1], storage: [2.0]))
        let nag = try SGD(parameters: [q], learningRate: 0.5, momentum: 0.5, nesterov: true)
        nag.zeroGradients(); q.gradient[0] = 1; nag.step()
        #expect(q.value[0] == 2 - 0.5 * (1 + 0.5 * 1))

        // Heavy ball on the quadratic converges to machine precision.
        let n = 10
        let a = (0..<n).map { Double.pow(100, Double($0) / Double(n - 1)) }
        let c = (0..<n).map { Double($0) / 3 - 1 }
        let theta = Parameter<Double>(name: "theta", value: Tensor(shape: [n], repeating: 2))
        let hb = try SGD(parameters: [theta], learningRate: 0.01, momentum: 0.8)
        for _ in 0..<3000 {
            hb.zeroGradients()
            Self.quadraticGradient(theta, a, c)
            hb.step()
        }
        let err = zip(theta.value.storage, c).map { abs($0 - $1) }.max()!
        #expect(err < 1e-10, "max |θ − c| = \(err)")
    }

    @Test func projectionAndPostStepHookRunAfterEveryStep() throws {
        let w = Parameter<Double>(name: "w", value: Tensor(shape: [3], storage: [0.001, 0.5, -1]), constraint: .nonNegative)
        let fixed = Parameter<Double>(name: "f", value: Tensor(shape: [2], storage: [7, 8]), isTrainable: false)
        let adam = try Adam(parameters: [w, fixed], learningRate: 0.01)
        var calls = 0
        adam.postStep = { params in
            calls += 1
            #expect(params.allSatisfy { $0.value.storage.allSatisfy { $0 >= 0 } })
            params[0].value[1] = min(params[0].value[1], 0.45)   // a user projection (box)
        }
        for _ in 0..<3 {
            adam.zeroGradients()
            w.gradient.storage = [1, -1, 1]
            fixed.gradient.storage = [1, 1]
            adam.step()
        }
        #expect(calls == 3)
        #expect(w.value.storage == [0, 0.45, 0])
        #expect(fixed.value.storage == [7, 8], "non-trainable tensors are not updated")
    }

    @Test func schedulesFollowPyTorchStepLRAndStageLists() throws {
        let step = LearningRateSchedule.stepDecay(initial: 0.1, period: 3, gamma: 0.5)
        #expect((0..<7).map { step.learningRate(atStep: $0) } == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])
        let stages = LearningRateSchedule.stages([.init(start: 0, learningRate: 1e-3), .init(start: 20_000, learningRate: 1e-4)])
        #expect(stages.learningRate(atStep: 19_999) == 1e-3)
        #expect(stages.learningRate(atStep: 20_000) == 1e-4)
        let p = Parameter<Double>(name: "x", value: Tensor(shape: [1]))
        let sgd = try SGD(parameters: [p], schedule: step)
        for _ in 0..<4 { sgd.step() }
        #expect(sgd.currentLearningRate == 0.05)
        for bad in [LearningRateSchedule.constant(0), .stepDecay(initial: 1, period: 0, gamma: 0.5),
                    .stages([]), .stages([.init(start: 5, learningRate: 1)]),
                    .stages([.init(start: 0, learningRate: 1), .init(start: 0, learningRate: 2)])] {
            #expect(throws: NNError.self) { try bad.validate() }
        }
        #expect(throws: NNError.self) { try Adam(parameters: [p], beta1: 1) }
        #expect(throws: NNError.self) { try SGD(parameters: [p], nesterov: true) }
    }

    @Test func initialisersAreSeededAndFollowPyTorchAndLPN() {
        func model() -> ParameterHolder<Double> {
            ParameterHolder([
                Parameter(name: "weight", value: Tensor(shape: [64, 16, 3, 3])),
                Parameter(name: "bias", value: Tensor(shape: [64])),
                Parameter(name: "constrained", value: Tensor(shape: [50, 50]), constraint: .nonNegative),
                Parameter(name: "frequencies", value: Tensor(shape: [4, 3], repeating: 1.5), isTrainable: false),
            ])
        }
        let m1 = model(), m2 = model(), m3 = model()
        Initialization.initialize(m1, seed: 7)
        Initialization.initialize(m2, seed: 7)
        Initialization.initialize(m3, seed: 8)
        #expect(zip(m1.parameters, m2.parameters).allSatisfy { $0.value == $1.value })
        #expect(m1.parameters[0].value != m3.parameters[0].value)

        // Weight and bias: U(±1/√(16·3·3)) = U(±1/12); a uniform on ±B has variance B²/3.
        let bound = 1.0 / 12
        for p in m1.parameters[0...1] {
            #expect(p.value.storage.allSatisfy { abs($0) <= bound })
            #expect(p.value.storage.max()! > 0.9 * bound && p.value.storage.min()! < -0.9 * bound)
        }
        let w = m1.parameters[0].value
        let variance = w.squaredNorm / Double(w.count)
        #expect(abs(variance - bound * bound / 3) < 0.1 * bound * bound / 3, "variance \(variance)")

        // Constrained: log w ~ N(−10, 0.01) (2 500 samples: mean ± 0.01, std ± 10 %).
        let logs = m1.parameters[2].value.storage.map { Double.log($0) }
        let mean = logs.reduce(0, +) / Double(logs.count)
        let sd = (logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(logs.count - 1)).squareRoot()
        #expect(abs(mean + 10) < 0.01 && abs(sd - 0.1) < 0.01, "mean \(mean), sd \(sd)")
        #expect(m1.parameters[3].value.storage.allSatisfy { $0 == 1.5 }, "fixed tensors untouched")
    }
}

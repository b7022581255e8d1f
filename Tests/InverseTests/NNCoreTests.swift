import Testing
import Imaging
@testable import Inverse

/// Adam (PyTorch defaults) for the training tests of the core layers, with the post-step projection.
/// (nn-train's optimiser lives on its own branch; this keeps the core tests self-contained.)
struct TestAdam {
    var learningRate: Double
    let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    var m: [[Double]] = [], v: [[Double]] = []
    var step = 0

    init(learningRate: Double) { self.learningRate = learningRate }

    mutating func update(_ params: [Parameter<Double>]) {
        if m.isEmpty {
            m = params.map { [Double](repeating: 0, count: $0.value.count) }
            v = m
        }
        step += 1
        let c1 = 1 - Double.pow(beta1, Double(step)), c2 = 1 - Double.pow(beta2, Double(step))
        for (j, p) in params.enumerated() {
            for i in 0..<p.value.count {
                let g = p.gradient[i]
                m[j][i] = beta1 * m[j][i] + (1 - beta1) * g
                v[j][i] = beta2 * v[j][i] + (1 - beta2) * g * g
                p.value[i] -= learningRate * (m[j][i] / c1) / ((v[j][i] / c2).squareRoot() + epsilon)
            }
            p.project()
        }
    }
}

func testMLP<S: NNScalar>(_ sizes: [Int], _ activation: ActivationKind, seed: UInt64, as _: S.Type = S.self) -> Sequential<S> {
    var rng = RandomSource(seed: seed)
    var layers: [any Layer<S>] = []
    for i in 0..<(sizes.count - 1) {
        layers.append(Dense<S>(inputCount: sizes[i], outputCount: sizes[i + 1], rng: &rng))
        if i < sizes.count - 2 { layers.append(activation.makeLayer(S.self)) }
    }
    return Sequential(layers)
}

/// Float vs Double on the same weights, the input-gradient helpers, and the sin regression.
@Suite struct NNCoreTests {
    /// All pass outputs and parameter gradients of `net` at (x, ẋ, ȳ, ẏ̄), converted to Double.
    static func passes<S: NNScalar>(_ net: some Layer<S>, _ x: Tensor<Double>, _ xdot: Tensor<Double>,
                                    _ ybar: Tensor<Double>, _ ydotbar: Tensor<Double>) -> [Tensor<Double>] {
        net.zeroGradients()
        let y = net.forward(Tensor<S>(x))
        let xbar = net.backward(Tensor<S>(ybar))
        let first = net.parameters.map { Tensor<Double>($0.gradient) }
        net.zeroGradients()
        _ = net.forward(Tensor<S>(x))
        let ydot = net.tangent(Tensor<S>(xdot))
        let (sx, sxd) = net.tangentBackward(Tensor<S>(ybar), Tensor<S>(ydotbar))
        let second = net.parameters.map { Tensor<Double>($0.gradient) }
        net.zeroGradients()
        return [Tensor(y), Tensor(xbar), Tensor(ydot), Tensor(sx), Tensor(sxd)] + first + second
    }

    static func floatDoubleWorst(_ double: some Layer<Double>, _ float: some Layer<Float>, inputShape: [Int], seed: UInt64) -> Double {
        // Same weights: the Float layer gets the Double values rounded.
        for (pd, pf) in zip(double.parameters, float.parameters) { pf.value = Tensor<Float>(pd.value) }
        var rng = RandomSource(seed: seed)
        let x = Tensor<Double>.gaussian(shape: inputShape, rng: &rng)
        let xdot = Tensor<Double>.gaussian(shape: inputShape, rng: &rng)
        let outShape = double.forward(x).shape
        let ybar = Tensor<Double>.gaussian(shape: outShape, rng: &rng)
        let ydotbar = Tensor<Double>.gaussian(shape: outShape, rng: &rng)
        let d = passes(double, x, xdot, ybar, ydotbar)
        let f = passes(float, x, xdot, ybar, ydotbar)
        return zip(f, d).map { tensorRelativeError($0, $1) }.max()!
    }

    @Test func floatMatchesDoubleMLP() {
        let worst = Self.floatDoubleWorst(testMLP([3, 32, 32, 2], .softplus(beta: 10), seed: 51, as: Double.self),
                                          testMLP([3, 32, 32, 2], .softplus(beta: 10), seed: 51, as: Float.self),
                                          inputShape: [64, 3], seed: 52)
        let worstTanh = Self.floatDoubleWorst(testMLP([3, 32, 32, 2], .tanh, seed: 53, as: Double.self),
                                              testMLP([3, 32, 32, 2], .tanh, seed: 53, as: Float.self),
                                              inputShape: [64, 3], seed: 54)
        print("Float vs Double, MLP 3-32-32-2: softplus(10) worst \(worst), tanh worst \(worstTanh)")
        #expect(worst <= 1e-4 && worstTanh <= 1e-4)
    }

    @Test func floatMatchesDoubleICNN() throws {
        var r1 = RandomSource(seed: 55), r2 = RandomSource(seed: 55)
        let d = try InputConvexNetwork<Double>(inputCount: 4, hiddenCount: 32, depth: 3, activation: .softplus(beta: 10),
                                               strongConvexity: 0.01, firstBias: true, rng: &r1)
        let f = try InputConvexNetwork<Float>(inputCount: 4, hiddenCount: 32, depth: 3, activation: .softplus(beta: 10),
                                              strongConvexity: 0.01, firstBias: true, rng: &r2)
        let worst = Self.floatDoubleWorst(d, f, inputShape: [64, 4], seed: 56)
        print("Float vs Double, ICNN 4-32×3: worst \(worst)")
        #expect(worst <= 1e-4)
    }

    /// A 2×32 tanh MLP fits sin on [−π, π] (full batch of 256 points, Adam, fixed schedule).
    @Test func sinFit() {
        let net = testMLP([1, 32, 32, 1], .tanh, seed: 57, as: Double.self)
        let n = 256
        var x = Tensor<Double>(shape: [n, 1]), target = Tensor<Double>(shape: [n, 1])
        for i in 0..<n {
            x[i] = -Double.pi + 2 * Double.pi * Double(i) / Double(n - 1)
            target[i] = Double.sin(x[i])
        }
        var adam = TestAdam(learningRate: 5e-3)
        let schedule: [(steps: Int, rate: Double)] = [(1500, 5e-3), (1500, 2e-3), (1500, 5e-4), (1500, 1e-4)]
        for stage in schedule {
            adam.learningRate = stage.rate
            for _ in 0..<stage.steps {
                net.zeroGradients()
                let y = net.forward(x)
                let (_, g) = Loss.meanSquaredError.evaluate(y, target: target)
                _ = net.backward(g)
                adam.update(net.parameters)
            }
        }
        // Test on a finer grid than the training points.
        let m = 1001
        var xt = Tensor<Double>(shape: [m, 1]), tt = Tensor<Double>(shape: [m, 1])
        for i in 0..<m {
            xt[i] = -Double.pi + 2 * Double.pi * Double(i) / Double(m - 1)
            tt[i] = Double.sin(xt[i])
        }
        let mse = Loss.meanSquaredError.evaluate(net.forward(xt), target: tt).value
        print("sin fit, 2×32 tanh MLP, 6 000 Adam steps: test MSE \(mse)")
        #expect(mse <= 1e-4)
    }

    /// The helper's parameter gradient of ℓ(∇ₓψ) [+ ℓ_y(ψ)] against central differences of the
    /// whole loss, and its accumulation into existing gradients.
    @Test(arguments: [false, true])
    func inputGradientLossMatchesFiniteDifferences(withOutputLoss: Bool) throws {
        var rng = RandomSource(seed: 58)
        let net = try InputConvexNetwork<Double>(inputCount: 3, hiddenCount: 6, depth: 2, activation: .softplus(beta: 2),
                                                 strongConvexity: 0.05, firstBias: true, rng: &rng)
        for p in net.parameters where p.constraint == .nonNegative {
            for i in 0..<p.value.count { p.value[i] = 0.2 + rng.uniform() }
        }
        let x = Tensor<Double>.gaussian(shape: [5, 3], rng: &rng)
        let gTarget = Tensor<Double>.gaussian(shape: [5, 3], rng: &rng)
        let yTarget = Tensor<Double>.gaussian(shape: [5, 1], rng: &rng)
        let gLoss = Loss.proximalMatching(gamma: 3)
        func outputLoss(_ y: Tensor<Double>) -> (value: Double, gradient: Tensor<Double>) {
            Loss.meanSquaredError.evaluate(y, target: yTarget)
        }
        func total() -> Double {
            let (y, g) = net.inputGradient(at: x)
            return gLoss.evaluate(g, target: gTarget).value + (withOutputLoss ? outputLoss(y).value : 0)
        }
        // Pre-existing gradients must be kept (accumulation).
        for p in net.parameters { for i in 0..<p.gradient.count { p.gradient[i] = 1 } }
        let result = net.accumulateInputGradientLoss(at: x, gradientLoss: { gLoss.evaluate($0, target: gTarget) },
                                                     outputLoss: withOutputLoss ? outputLoss : nil)
        #expect(abs(result.value - total()) < 1e-14)
        let h = 1e-4  // LPN §9.3: less rounding noise than 1e-6, truncation still ~h²
        var worst = 0.0, details = ""

        for p in net.parameters {
            var analytic = p.gradient
            for i in 0..<analytic.count { analytic[i] -= 1 }
            var numeric = Tensor<Double>(shape: p.value.shape)
            for i in 0..<p.value.count {
                let v0 = p.value[i]
                p.value[i] = v0 + h; let fp = total()
                p.value[i] = v0 - h; let fm = total()
                p.value[i] = v0
                numeric[i] = (fp - fm) / (2 * h)
            }
            if p.name == "u.bias" && !withOutputLoss {
                #expect(analytic.squaredNorm == 0)  // the output bias never gets a gradient from ℓ(∇ψ)
                continue
            }
            let e = tensorRelativeError(analytic, numeric)
            details += " \(p.name) \(e) (‖g‖ \(numeric.squaredNorm.squareRoot()))"
            worst = max(worst, e)
        }
        print("∇_θ ℓ(∇ₓψ) vs finite differences (output loss \(withOutputLoss)): worst tensor-relative \(worst);\(details)")
        // (LPN §9.3's CI threshold for this check is 1e-5 in Double; measured ≤ 4e-7 here.)
        #expect(worst <= 1e-6)
    }
}

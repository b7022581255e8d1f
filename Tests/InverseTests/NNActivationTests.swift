import Testing
import Imaging
@testable import Inverse

/// Every activation through the four-mode finite-difference check, at random points and (for the
/// exponential ones) at saturating points, plus direct checks of the stable formulas.
@Suite struct NNActivationTests {
    static let tolerance = 1e-6

    /// Inputs `[4, 6]`, N(0, scale²), pushed at least `gap` away from 0 (kinks of (Leaky)ReLU).
    static func points(seed: UInt64, scale: Double, gap: Double = 1e-3) -> Tensor<Double> {
        var rng = RandomSource(seed: seed)
        var x = Tensor<Double>.gaussian(shape: [4, 6], rng: &rng)
        for i in 0..<x.count {
            x[i] *= scale
            if abs(x[i]) < gap { x[i] = x[i] < 0 ? -gap : gap }
        }
        return x
    }

    static let kinds: [ActivationKind] = [
        .softplus(beta: 1), .softplus(beta: 10), .leakyReLU(slope: 0.2), .relu, .tanh, .sine(frequency: 1),
        .sine(frequency: 3), .sigmoid,
    ]

    @Test(arguments: kinds)
    func randomPoints(kind: ActivationKind) {
        let layer = kind.makeLayer(Double.self)
        let report = checkLayer(layer, input: Self.points(seed: 11, scale: 1.5), seed: 12)
        print("checkLayer \(#function) \(kind): \(report)")
        #expect(report.worst <= Self.tolerance, "\(kind): \(report)")
    }

    /// Saturating points: |βt| between 30 and 600 on both sides (softplus, sigmoid, tanh).
    @Test(arguments: [ActivationKind.softplus(beta: 10), .softplus(beta: 100), .sigmoid, .tanh])
    func saturatingPoints(kind: ActivationKind) {
        let scale: Double
        switch kind {
        case .softplus(let beta): scale = 1 / beta
        default: scale = 1
        }
        var x = Self.points(seed: 13, scale: 1)
        for i in 0..<x.count { x[i] = (x[i] < 0 ? -1 : 1) * scale * (30 + 150 * abs(x[i])) }
        let layer = kind.makeLayer(Double.self)
        let report = checkLayer(layer, input: x, seed: 14)
        print("checkLayer \(#function) \(kind): \(report)")
        #expect(report.worst <= Self.tolerance, "\(kind): \(report)")
        let y = layer.forward(x)
        #expect(y.isFinite)
    }

    /// Near-threshold points with a large β need a smaller step (FD truncation ∝ h²β³).
    @Test func softplusSteepAroundZero() {
        let layer = ActivationKind.softplus(beta: 100).makeLayer(Double.self)
        let report = checkLayer(layer, input: Self.points(seed: 15, scale: 0.02), seed: 16, h: 1e-7)
        print("checkLayer \(#function) \(report)")
        #expect(report.worst <= Self.tolerance, "\(report)")
    }

    @Test func stableFormulasAgainstDirectOnes() {
        let sp = Softplus<Double>(beta: 10)
        for t in stride(from: -2.0, through: 2.0, by: 0.125) {
            let direct = Double.log(1 + Double.exp(10 * t)) / 10
            let sig = 1 / (1 + Double.exp(-10 * t))
            #expect(abs(sp.value(t) - direct) <= 1e-14 * max(1, direct))
            let (d1, d2) = sp.derivatives(t)
            #expect(abs(d1 - sig) <= 1e-15)
            #expect(abs(d2 - 10 * sig * (1 - sig)) <= 1e-13)
        }
        // Far tails: no overflow, exact asymptotes.
        #expect(sp.value(1e3) == 1e3)
        #expect(sp.value(-1e3) == 0)
        #expect(sp.derivatives(-1e3).second == 0)
        #expect(Tanh<Double>().derivative(40) > 0)  // 4e^{-80}, not 1 − tanh² = 0
        #expect(abs(Tanh<Double>().derivative(40) / (4 * Double.exp(-80)) - 1) < 1e-12)
        #expect(abs(Sigmoid<Double>().derivatives(-50).first / Double.exp(-50) - 1) < 1e-12)
        #expect(abs(Sigmoid<Double>().derivatives(-50).second / Double.exp(-50) - 1) < 1e-12)
        #expect(abs(Tanh<Double>().derivatives(40).first / (4 * Double.exp(-80)) - 1) < 1e-12)
        #expect(abs(Tanh<Double>().derivatives(-40).second / (8 * Double.exp(-80)) - 1) < 1e-12)
        for t in stride(from: -3.0, through: 3.0, by: 0.25) {
            let th = Double.tanh(t), sg = 1 / (1 + Double.exp(-t))
            let (a1, a2) = Tanh<Double>().derivatives(t), (b1, b2) = Sigmoid<Double>().derivatives(t)
            #expect(abs(a1 - (1 - th * th)) < 1e-15 && abs(a2 + 2 * th * (1 - th * th)) < 1e-15)
            #expect(abs(b1 - sg * (1 - sg)) < 1e-15 && abs(b2 - sg * (1 - sg) * (1 - 2 * sg)) < 1e-15)
        }
        let fsp = Softplus<Float>(beta: 100)
        #expect(fsp.value(10).isFinite && fsp.value(-10) == 0)
    }

    @Test func descriptorsRoundTrip() throws {
        for kind in Self.kinds {
            #expect(try ActivationKind(descriptor: kind.descriptor) == kind)
            #expect(kind.makeLayer(Float.self).descriptor.kind == kind.descriptor.kind)
        }
        #expect(throws: NNError.self) { try ActivationKind(descriptor: LayerDescriptor(kind: "dense")) }
    }

    /// Negative control: a tanh whose s'' misses the factor 2 must fail exactly the second-order
    /// input check, and one with a wrong s' must fail the first-order checks.
    @Test func negativeControl() {
        let x = Self.points(seed: 17, scale: 1)
        let wrongSecond = checkLayer(Activation(WrongTanh(wrongFirst: false)), input: x, seed: 18)
        #expect(wrongSecond.secondOrderInput > 1e-3, "\(wrongSecond)")
        #expect(wrongSecond.inputGradient <= Self.tolerance && wrongSecond.tangent <= Self.tolerance)
        let wrongFirst = checkLayer(Activation(WrongTanh(wrongFirst: true)), input: x, seed: 18)
        print("negative control: wrong s'': \(wrongSecond); wrong s': \(wrongFirst)")
        // (ẋ̄ = ẏ̄ s' agrees with the layer's own — equally wrong — tangent pass, so only the
        // passes compared with differences of F itself can see a wrong s'.)
        #expect(wrongFirst.inputGradient > 1e-3 && wrongFirst.tangent > 1e-3 && wrongFirst.secondOrderInput > 1e-3,
                "\(wrongFirst)")
    }
}

/// tanh with a deliberately wrong derivative (negative control of the layer check).
struct WrongTanh: ActivationFunction {
    typealias Scalar = Double
    let wrongFirst: Bool
    var descriptor: LayerDescriptor { LayerDescriptor(kind: "wrongtanh") }
    static var cost: Int { 30 }
    func value(_ t: Double) -> Double { Double.tanh(t) }
    func derivative(_ t: Double) -> Double {
        let th = Double.tanh(t)
        return (1 - th * th) * (wrongFirst ? 1.01 : 1)
    }
    func derivatives(_ t: Double) -> (first: Double, second: Double) {
        let th = Double.tanh(t)
        return (derivative(t), wrongFirst ? -2 * th * (1 - th * th) : -th * (1 - th * th))
    }
}

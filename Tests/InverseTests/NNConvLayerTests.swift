import Imaging
import Testing
@testable import Inverse

/// Every nn-conv layer and option combination through the four-mode finite-difference check
/// (LayerGradientCheck.swift): tensor-relative error ≤ 1e-6 in every mode.
@Suite struct NNConvLayerTests {
    static let tolerance = 1e-6

    /// Fills every parameter of `layer` with seeded N(0, 1) values.
    static func randomise(_ layer: some Layer<Double>, seed: UInt64) {
        var rng = RandomSource(seed: seed)
        for p in layer.parameters { p.value = Tensor<Double>.gaussian(shape: p.value.shape, rng: &rng) }
    }

    static func input(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
        var rng = RandomSource(seed: seed)
        var x = Tensor<Double>.gaussian(shape: shape, rng: &rng)
        x.scale(by: scale)
        return x
    }

    static func expectPasses(_ report: LayerCheckReport, _ label: String) {
        #expect(report.worst <= tolerance, "\(label): \(report)")
    }

    struct Conv2DCase: CustomTestStringConvertible, Sendable {
        var mode: PaddingMode, stride: Int, padding: ConvPadding, bias: Bool, kernel: Int
        var testDescription: String { "\(mode) s\(stride) \(padding) k\(kernel) bias \(bias)" }
    }

    static let conv2DCases: [Conv2DCase] = PaddingMode.allCases.flatMap { mode in
        [1, 2].flatMap { s in
            [ConvPadding.same, .valid].flatMap { p in [true, false].map { Conv2DCase(mode: mode, stride: s, padding: p, bias: $0, kernel: 3) } }
        }
    } + [Conv2DCase(mode: .zero, stride: 2, padding: .valid, bias: true, kernel: 2),
         Conv2DCase(mode: .periodic, stride: 1, padding: .same, bias: true, kernel: 5),
         Conv2DCase(mode: .reflect, stride: 2, padding: .same, bias: false, kernel: 5)]

    @Test(arguments: conv2DCases)
    func conv2DAllModes(_ c: Conv2DCase) throws {
        let layer = try Conv2D<Double>(inChannels: 2, outChannels: 3, kernelSize: c.kernel, stride: c.stride,
                                       padding: c.padding, paddingMode: c.mode, bias: c.bias)
        Self.randomise(layer, seed: 11)
        forceBatchChunks(layer)   // one batch chunk per sample (the multi-chunk reverse pass)
        let x = Self.input([2, 2, 6, 7], seed: 12)
        Self.expectPasses(checkLayer(layer, input: x, seed: 13), c.testDescription)
    }

    struct Conv1DCase: CustomTestStringConvertible, Sendable {
        var mode: PaddingMode, stride: Int, padding: ConvPadding, kernel: Int
        var testDescription: String { "\(mode) s\(stride) \(padding) k\(kernel)" }
    }

    static let conv1DCases: [Conv1DCase] = PaddingMode.allCases.flatMap { mode in
        [1, 2].flatMap { s in [ConvPadding.same, .valid].flatMap { p in [3, 5].map { Conv1DCase(mode: mode, stride: s, padding: p, kernel: $0) } } }
    }

    @Test(arguments: conv1DCases)
    func conv1DAllModes(_ c: Conv1DCase) throws {
        let layer = try Conv1D<Double>(inChannels: 2, outChannels: 3, kernelSize: c.kernel, stride: c.stride,
                                       padding: c.padding, paddingMode: c.mode)
        Self.randomise(layer, seed: 21)
        Self.expectPasses(checkLayer(layer, input: Self.input([3, 2, 9], seed: 22), seed: 23), c.testDescription)
    }

    @Test func downsamplingLayers() throws {
        let layers: [(String, Downsample<Double>, [Int])] = try [
            ("avg pool 2×2", .averagePool(), [2, 3, 6, 8]),
            ("avg pool 3 stride 2 1-D", .averagePool(kernelSize: 3, stride: 2, dimensions: 1), [2, 3, 9]),
            ("binomial 3 same reflect", Downsample(filter: .binomial, kernelSize: 3, factor: 2, padding: .same, paddingMode: .reflect), [2, 2, 7, 6]),
            ("binomial 5 same periodic 1-D", Downsample(filter: .binomial, kernelSize: 5, factor: 2, padding: .same, paddingMode: .periodic, dimensions: 1), [2, 2, 10]),
            ("box 3 same zero", Downsample(filter: .box, kernelSize: 3, factor: 2, padding: .same, paddingMode: .zero), [1, 2, 5, 5]),
        ]
        for (label, layer, shape) in layers {
            Self.expectPasses(checkLayer(layer, input: Self.input(shape, seed: 31), seed: 32), label)
        }
    }

    @Test(arguments: [(true, true), (true, false), (false, true), (false, false)])
    func fourierFeatures(learned: Bool, includesInput: Bool) throws {
        let layer = try FourierFeatures<Double>(inputDimension: 3, frequencies: [1, 2, 4, 8, 16],
                                                includesInput: includesInput, learned: learned)
        // Perturb the frequencies so that ω_c ≠ ω_s (as after training).
        var rng = RandomSource(seed: 41)
        for p in layer.parameters {
            for i in 0..<p.value.count { p.value[i] += 0.3 * rng.gaussian() }
        }
        #expect(layer.cosFrequencies.isTrainable == learned && layer.sinFrequencies.isTrainable == learned)
        let label = "learned \(learned) input \(includesInput)"
        // Points in the unit cube (random) and far out, where x·ω is large (≈ 50 rad).
        Self.expectPasses(checkLayer(layer, input: Self.input([4, 3], seed: 42, scale: 0.5), seed: 43), label + " random")
        Self.expectPasses(checkLayer(layer, input: Self.input([4, 3], seed: 44, scale: 3), seed: 45), label + " large |xω|")
    }

    @Test func reshapeAndFlatten() throws {
        let x = Self.input([2, 3, 4, 5], seed: 51)
        let flat = Reshape<Double>.flatten()
        #expect(try flat.outputShape(for: x.shape) == [2, 60])
        Self.expectPasses(checkLayer(flat, input: x, seed: 52), "flatten")
        let r = try Reshape<Double>(sampleShape: [12, 5])
        #expect(r.forward(x).shape == [2, 12, 5])
        #expect(r.forward(x).storage == x.storage)
        Self.expectPasses(checkLayer(r, input: x, seed: 53), "reshape")
        #expect(throws: NNError.self) { try Reshape<Double>(sampleShape: [7, 7]).outputShape(for: x.shape) }
    }
}

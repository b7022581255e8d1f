import Imaging
import Testing
@testable import Inverse

/// Lowers the batch-chunk threshold of every chunked layer in `layer` (recursively), so that small
/// test batches run the multi-chunk path (one chunk per sample, up to ``BatchParallel/maximumChunks``).
func forceBatchChunks<S: NNScalar>(_ layer: any Layer<S>) {
    switch layer {
    case let d as Dense<S>: d.minimumChunkWork = 1
    case let c as Conv2D<S>: c.passes.engine.minimumChunkWork = 1
    case let c as Conv1D<S>: c.passes.engine.minimumChunkWork = 1
    case let f as FourierFeatures<S>: f.minimumChunkWork = 1
    case let s as Sequential<S>: for l in s.layers { forceBatchChunks(l) }
    case let r as Residual<S>: forceBatchChunks(r.body)
    default: break
    }
}

/// The batch-parallel path (``BatchParallel``): finite-difference checks with the batch split into
/// many chunks, and bit-identical results for 1 and 2 compute threads.
@Suite(.serialized) struct NNParallelTests {
    static let tolerance = 1e-6

    static func input(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
        var rng = RandomSource(seed: seed)
        var x = Tensor<Double>.gaussian(shape: shape, rng: &rng)
        x.scale(by: scale)
        return x
    }

    /// Fourier features + Dense/LeakyReLU + Dense (model (b) in small), every layer chunked.
    static func fourierMLP<S: NNScalar>(_: S.Type, seed: UInt64) throws -> Sequential<S> {
        var rng = RandomSource(seed: seed)
        let ff = try FourierFeatures<S>(inputDimension: 3, frequencies: [1, 2, 4])
        return Sequential<S>([ff, Dense<S>(inputCount: 21, outputCount: 12, rng: &rng), Activation(LeakyReLU<S>(slope: 0.1)),
                              Dense<S>(inputCount: 12, outputCount: 12, rng: &rng), Activation(Softplus<S>(beta: 2)),
                              Dense<S>(inputCount: 12, outputCount: 2, rng: &rng)])
    }

    /// Conv 2→4 (LeakyReLU) → Conv 4→1 (model (c) in small).
    static func convNet<S: NNScalar>(_: S.Type, seed: UInt64) throws -> Sequential<S> {
        let net = Sequential<S>([try Conv2D<S>(inChannels: 2, outChannels: 4, kernelSize: 3), Activation(LeakyReLU<S>(slope: 0.1)),
                                 try Conv2D<S>(inChannels: 4, outChannels: 1, kernelSize: 3, paddingMode: .reflect)])
        Initialization.initialize(net, seed: seed)
        return net
    }

    @Test func chunkedDenseAndSequentialPassFiniteDifferences() throws {
        for bias in [true, false] {
            var rng = RandomSource(seed: 71)
            let layer = Dense<Double>(inputCount: 5, outputCount: 4, bias: bias, rng: &rng)
            forceBatchChunks(layer)
            let report = checkLayer(layer, input: Self.input([7, 5], seed: 72), seed: 73)
            print("checkLayer chunked dense bias \(bias): \(report)")
            #expect(report.worst <= Self.tolerance, "dense bias \(bias): \(report)")
        }
        let net = try Self.fourierMLP(Double.self, seed: 74)
        forceBatchChunks(net)
        let report = checkLayer(net, input: Self.input([6, 3], seed: 75, scale: 0.5), seed: 76)
        print("checkLayer chunked Fourier MLP: \(report)")
        #expect(report.worst <= Self.tolerance, "\(report)")
    }

    @Test func chunkedConvolutionPassesFiniteDifferences() throws {
        let net = try Self.convNet(Double.self, seed: 77)
        forceBatchChunks(net)
        let report = checkLayer(net, input: Self.input([3, 2, 5, 6], seed: 78), seed: 79)
        print("checkLayer chunked conv net: \(report)")
        #expect(report.worst <= Self.tolerance, "\(report)")
    }

    /// For stride 1 and zero padding the reverse pass computes x̄ as a correlation of the padded ȳ
    /// with the flipped, transposed kernel; it matches the GEMM + col2im + padᵀ path.
    @Test func adjointCorrelationMatchesCol2im() throws {
        var rng = RandomSource(seed: 87)
        let layers: [(any Layer<Double>, CorrelationPasses<Double>, [Int])] = try [
            (3, ConvPadding.same), (3, .valid), (5, .same), (2, .valid),
        ].map { k, p in
            let l = try Conv2D<Double>(inChannels: 3, outChannels: 2, kernelSize: k, padding: p)
            return (l, l.passes, [2, 3, 7, 6])
        } + [try Conv1D<Double>(inChannels: 2, outChannels: 3, kernelSize: 3, paddingMode: .zero)].map { ($0, $0.passes, [3, 2, 11]) }
        for (layer, passes, shape) in layers {
            for p in layer.parameters { p.value = .gaussian(shape: p.value.shape, rng: &rng) }
            let x = Tensor<Double>.gaussian(shape: shape, rng: &rng)
            let y = layer.forward(x)
            let g = Tensor<Double>.gaussian(shape: y.shape, rng: &rng)
            passes.engine.usesAdjointCorrelation = true
            let a = layer.backward(g)
            passes.engine.usesAdjointCorrelation = false
            let b = layer.backward(g)
            let err = tensorRelativeError(a, b)
            print("adjoint correlation vs col2im, \(layer.descriptor.kind) \(shape): \(err)")
            #expect(err <= 1e-14, "\(shape)")
        }
    }

    /// Stride-1 3×3 layers with one input or one output channel run direct loops
    /// (``ConvKernels/correlate3x3``, ``ConvKernels/weightGradient3x3``); forward, x̄, W̄ and b̄
    /// match im2col + GEMM, for widths with and without a scalar tail and every padding mode.
    @Test func direct3x3MatchesIm2col() throws {
        var rng = RandomSource(seed: 95)
        for (c, o) in [(1, 3), (3, 1), (1, 1)] {
            for mode in PaddingMode.allCases {
                for (shape, padding) in [([2, c, 6, 8], ConvPadding.same), ([3, c, 7, 9], .same), ([2, c, 6, 7], .valid)] {
                    let layer = try Conv2D<Double>(inChannels: c, outChannels: o, kernelSize: 3, padding: padding, paddingMode: mode)
                    for p in layer.parameters { p.value = .gaussian(shape: p.value.shape, rng: &rng) }
                    let x = Tensor<Double>.gaussian(shape: shape, rng: &rng)
                    func run(direct: Bool) -> [Tensor<Double>] {
                        layer.passes.engine.usesDirect3x3 = direct
                        layer.zeroGradients()
                        let y = layer.forward(x)
                        var g = y
                        for i in 0..<g.count { g[i] = Double.sin(Double(i) * 0.7) }
                        return [y, layer.backward(g)] + layer.parameters.map { $0.gradient }
                    }
                    let a = run(direct: true), b = run(direct: false)
                    let err = zip(a, b).map { tensorRelativeError($0, $1) }.max()!
                    #expect(err <= 1e-14, "\(c)→\(o) \(mode) \(padding) \(shape): \(err)")
                }
            }
        }
    }

    /// The direct 3×3 paths under the finite-difference check (every derivative mode), with a
    /// scalar tail (width 7) and the batch split into chunks.
    @Test func direct3x3PassesFiniteDifferences() throws {
        let net = Sequential<Double>([try Conv2D<Double>(inChannels: 1, outChannels: 3, kernelSize: 3), Activation(Softplus<Double>(beta: 2)),
                                      try Conv2D<Double>(inChannels: 3, outChannels: 1, kernelSize: 3, paddingMode: .periodic)])
        Initialization.initialize(net, seed: 96)
        forceBatchChunks(net)
        let report = checkLayer(net, input: Self.input([3, 1, 5, 7], seed: 97), seed: 98)
        print("checkLayer direct 3×3 conv net: \(report)")
        #expect(report.worst <= Self.tolerance, "\(report)")
    }

    /// `computesInputGradient = false`: backward returns zeros for x̄ and the same parameter
    /// gradients; tangentBackward still computes x̄.
    @Test func skippedInputGradient() throws {
        var rng = RandomSource(seed: 93)
        let layer = try Conv2D<Double>(inChannels: 2, outChannels: 3, kernelSize: 3)
        for p in layer.parameters { p.value = .gaussian(shape: p.value.shape, rng: &rng) }
        let x = Tensor<Double>.gaussian(shape: [2, 2, 6, 5], rng: &rng)
        let y = layer.forward(x)
        let g = Tensor<Double>.gaussian(shape: y.shape, rng: &rng)
        layer.zeroGradients()
        let full = layer.backward(g)
        let grads = layer.parameters.map { $0.gradient }
        layer.computesInputGradient = false
        layer.zeroGradients()
        let skipped = layer.backward(g)
        #expect(skipped == Tensor<Double>(shape: x.shape))
        #expect(full.squaredNorm > 0)
        #expect(layer.parameters.map { $0.gradient } == grads)
        _ = layer.tangent(x)
        #expect(layer.tangentBackward(g, g).input.squaredNorm > 0)
    }

    /// Chunk counts depend on the batch and the work only.
    @Test func chunkCountRule() {
        #expect(BatchParallel.chunkCount(batch: 16_384, workPerSample: 2 * 64 * 64) == BatchParallel.maximumChunks)
        #expect(BatchParallel.chunkCount(batch: 500, workPerSample: 2 * 32 * 32) == 1)
        #expect(BatchParallel.chunkCount(batch: 1, workPerSample: 1 << 30) == 1)
        #expect(BatchParallel.chunkCount(batch: 5, workPerSample: 1, minimumChunkWork: 1) == 5)
        for c in [1, 3, 16] {
            let ranges = (0..<c).map { BatchParallel.samples($0, of: c, batch: 37) }
            #expect(ranges.first!.lowerBound == 0 && ranges.last!.upperBound == 37)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        }
    }

    /// All outputs and gradients (first- and second-order passes) of `net`, as raw scalars.
    static func allPasses<S: NNScalar>(_ net: some Layer<S>, _ x: Tensor<Double>, seed: UInt64) -> [[S]] {
        var rng = RandomSource(seed: seed)
        let xdot = Tensor<S>(Tensor<Double>.gaussian(shape: x.shape, rng: &rng))
        net.zeroGradients()
        let y = net.forward(Tensor<S>(x))
        let ybar = Tensor<S>(Tensor<Double>.gaussian(shape: y.shape, rng: &rng))
        let ydotbar = Tensor<S>(Tensor<Double>.gaussian(shape: y.shape, rng: &rng))
        let xbar = net.backward(ybar)
        let first = net.parameters.map { $0.gradient.storage }
        net.zeroGradients()
        _ = net.forward(Tensor<S>(x))
        let ydot = net.tangent(xdot)
        let (sx, sxd) = net.tangentBackward(ybar, ydotbar)
        let second = net.parameters.map { $0.gradient.storage }
        net.zeroGradients()
        return [y.storage, xbar.storage, ydot.storage, sx.storage, sxd.storage] + first + second
    }

    /// 1 and 2 compute threads give bit-identical outputs and gradients (Float and Double), both
    /// with forced small chunks and with the default chunking of a batch large enough to split.
    @Test func resultsDoNotDependOnThreadCount() throws {
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        func compare<S: NNScalar>(_ make: () throws -> Sequential<S>, input x: Tensor<Double>, forced: Bool, _ label: String) throws {
            let net = try make()
            if forced { forceBatchChunks(net) }
            ComputeThreads.set(1)
            let one = Self.allPasses(net, x, seed: 80)
            ComputeThreads.set(2)
            let two = Self.allPasses(net, x, seed: 80)
            #expect(one.count == two.count)
            for (i, (a, b)) in zip(one, two).enumerated() {
                #expect(a == b, "\(label) \(S.typeName): tensor \(i) differs between 1 and 2 threads")
            }
        }
        let small = Self.input([13, 3], seed: 81, scale: 0.5)
        try compare({ try Self.fourierMLP(Double.self, seed: 82) }, input: small, forced: true, "Fourier MLP forced chunks")
        try compare({ try Self.fourierMLP(Float.self, seed: 82) }, input: small, forced: true, "Fourier MLP forced chunks")
        // Default chunking: Dense 21→12 needs ≥ 2 chunks of ~2 000 samples.
        let large = Self.input([9_000, 3], seed: 83, scale: 0.5)
        try compare({ try Self.fourierMLP(Float.self, seed: 84) }, input: large, forced: false, "Fourier MLP batch 9 000")
        let images = Self.input([5, 2, 9, 8], seed: 85)
        try compare({ try Self.convNet(Double.self, seed: 86) }, input: images, forced: true, "conv net forced chunks")
        try compare({ try Self.convNet(Float.self, seed: 86) }, input: images, forced: true, "conv net forced chunks")
    }
}

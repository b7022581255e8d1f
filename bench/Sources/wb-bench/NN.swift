// Issue 6 benchmark modes (bench/nn.py runs them against PyTorch):
//   wb-bench nn --model lpn|mlp|conv --steps S --reps R --threads T
//       training steps per second (float32), best of R runs of S steps after one warm-up step;
//   wb-bench nn-gemm --reps R --threads T
//       GFLOP/s of wb's Dense/Conv2D forward+backward on the dominant shapes vs bare sgemm calls of
//       the same shapes.
import Imaging
import Inverse
#if canImport(Glibc)
import Glibc
#endif

/// One float32 training step of a benchmark model (forward, loss, backward passes, Adam step).
protocol BenchModel {
    func step()
}

/// Mean BCE with logits and its gradient w.r.t. the logits, into `gradient`.
func bceWithLogits(_ z: Tensor<Float>, _ t: Tensor<Float>, gradient: inout Tensor<Float>) -> Double {
    let n = Float(z.count)
    var loss = 0.0
    for i in 0..<z.count {
        let zi = z[i], ti = t[i]
        loss += Double(max(zi, 0) - zi * ti + log1pf(expf(-abs(zi))))
        gradient[i] = (1 / (1 + expf(-zi)) - ti) / n
    }
    return loss / Double(n)
}

/// (b) Fourier features (3-D, learned ω) + 7 × 64 LeakyReLU + linear output, BCE, batch 16 384.
final class FourierMLPBench: BenchModel {
    let model: Sequential<Float>
    let adam: Adam<Float>
    let x: Tensor<Float>, t: Tensor<Float>
    var g: Tensor<Float>

    init() throws {
        var rng = RandomSource(seed: 1)
        var layers: [any Layer<Float>] = [try FourierFeatures<Float>(inputDimension: 3)]
        var width = 33
        for _ in 0..<7 {
            layers.append(Dense<Float>(inputCount: width, outputCount: 64, rng: &rng))
            layers.append(Activation(LeakyReLU<Float>(slope: 0.01)))
            width = 64
        }
        layers.append(Dense<Float>(inputCount: 64, outputCount: 1, rng: &rng))
        let m = Sequential(layers)
        model = m
        adam = try Adam(parameters: m.parameters)
        let b = 16_384
        let xs = Tensor<Float>.uniform(shape: [b, 3], lower: -1, upper: 1, rng: &rng)
        var t = Tensor<Float>(shape: [b, 1])
        for i in 0..<b {
            let r = (xs[3 * i] * xs[3 * i] + xs[3 * i + 1] * xs[3 * i + 1] + xs[3 * i + 2] * xs[3 * i + 2]).squareRoot()
            t[i] = r > 0.7 ? 1 : 0
        }
        x = xs
        self.t = t
        g = Tensor(shape: [b, 1])
    }

    func step() {
        adam.zeroGradients()
        let z = model.forward(x)
        blackHole(bceWithLogits(z, t, gradient: &g))
        blackHole(model.backward(g))
        adam.step()
    }
}

/// (c) Conv 1→16→16→1, 3×3 "same", LeakyReLU, MSE, batch 16 × 32×32.
final class ConvNetBench: BenchModel {
    let model: Sequential<Float>
    let adam: Adam<Float>
    let x: Tensor<Float>, t: Tensor<Float>

    init() throws {
        var rng = RandomSource(seed: 2)
        let m = Sequential<Float>([
            try Conv2D<Float>(inChannels: 1, outChannels: 16, kernelSize: 3), Activation(LeakyReLU<Float>(slope: 0.01)),
            try Conv2D<Float>(inChannels: 16, outChannels: 16, kernelSize: 3), Activation(LeakyReLU<Float>(slope: 0.01)),
            try Conv2D<Float>(inChannels: 16, outChannels: 1, kernelSize: 3),
        ])
        Initialization.initialize(m, seed: 3)
        // The input images are data: like PyTorch (x without requires_grad) no gradient w.r.t. them.
        (m.layers[0] as! Conv2D<Float>).computesInputGradient = false
        model = m
        adam = try Adam(parameters: m.parameters)
        x = Tensor.gaussian(shape: [16, 1, 32, 32], rng: &rng)
        t = Tensor.gaussian(shape: [16, 1, 32, 32], rng: &rng)
    }

    func step() {
        adam.zeroGradients()
        var r = model.forward(x)
        r.add(t, scaledBy: -1)
        blackHole(r.squaredNorm / Double(r.count))
        r.scale(by: 2 / Float(r.count))
        blackHole(model.backward(r))
        adam.step()
    }
}

func nnBenchModel(_ name: String) throws -> BenchModel {
    switch name {
    case "lpn": return try LPNBench()
    case "mlp": return try FourierMLPBench()
    case "conv": return try ConvNetBench()
    default: fatalError("wb-bench nn: unknown --model \(name) (lpn, mlp, conv)")
    }
}

func runNNBench(threads: Int, reps: Int) throws {
    let name = argument("model", "mlp")
    let steps = Int(argument("steps", "10"))!
    if argument("layers", "0") == "1" { return try runNNLayerTimes(name, threads: threads, steps: steps, reps: reps) }
    let model = try nnBenchModel(name)
    let t = time(reps: reps) { for _ in 0..<steps { model.step() } }
    print("{\"mode\":\"nn\",\"model\":\"\(name)\",\"threads\":\(threads),\"steps\":\(steps),\"seconds\":\(t),\"steps_per_second\":\(Double(steps) / t)}")
}

/// `--layers 1`: milliseconds per forward and per backward pass of each layer of the conv or MLP
/// model (best of R runs of S passes), to see where a training step goes.
func runNNLayerTimes(_ name: String, threads: Int, steps: Int, reps: Int) throws {
    let seq: Sequential<Float>, input: Tensor<Float>
    switch try nnBenchModel(name) {
    case let m as ConvNetBench: seq = m.model; input = m.x
    case let m as FourierMLPBench: seq = m.model; input = m.x
    default: fatalError("wb-bench nn --layers 1: only the conv and mlp models")
    }
    var x = input
    var rng = RandomSource(seed: 9)
    for (i, layer) in seq.layers.enumerated() {
        let xi = x
        let y = layer.forward(xi)
        let g = Tensor<Float>.gaussian(shape: y.shape, rng: &rng)
        let tf = time(reps: reps) { for _ in 0..<steps { blackHole(layer.forward(xi)) } }
        let tb = time(reps: reps) { for _ in 0..<steps { blackHole(layer.backward(g)) } }
        print("{\"mode\":\"nn-layers\",\"model\":\"\(name)\",\"threads\":\(threads),\"layer\":\(i),\"type\":\"\(type(of: layer))\",\"forward_ms\":\(tf / Double(steps) * 1e3),\"backward_ms\":\(tb / Double(steps) * 1e3)}")
        x = y
    }
}

/// Bare sgemm of op(A) m×k times op(B) k×n into C (row-major), operands allocated once.
struct GemmCall {
    let transA: Bool, transB: Bool, m: Int, n: Int, k: Int
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

func runNNGemmBench(threads: Int, reps: Int) throws {
    var cases: [String] = []
    func measure(_ name: String, calls: [GemmCall], repeatCount: Int, layerFlops: Double, layer: () -> Void) {
        // Bare sgemm on buffers of the same shapes, `repeatCount` times each (e.g. once per sample).
        let aBuffers = calls.map { [Float](repeating: 0.5, count: $0.m * $0.k) }
        let bBuffers = calls.map { [Float](repeating: 0.25, count: $0.k * $0.n) }
        var cBuffers = calls.map { [Float](repeating: 0, count: $0.m * $0.n) }
        let gemmTime = time(reps: reps) {
            for _ in 0..<repeatCount {
                for (i, c) in calls.enumerated() {
                    aBuffers[i].withUnsafeBufferPointer { a in
                        bBuffers[i].withUnsafeBufferPointer { b in
                            cBuffers[i].withUnsafeMutableBufferPointer { cc in
                                Float.gemm(transposeA: c.transA, transposeB: c.transB, m: c.m, n: c.n, k: c.k, alpha: 1,
                                           a: a.baseAddress!, lda: c.transA ? c.m : c.k,
                                           b: b.baseAddress!, ldb: c.transB ? c.k : c.n,
                                           beta: 0, c: cc.baseAddress!, ldc: c.n)
                            }
                        }
                    }
                }
            }
        }
        let gemmFlops = calls.reduce(0) { $0 + $1.flops } * Double(repeatCount)
        let layerTime = time(reps: reps, layer)
        cases.append("{\"name\":\"\(name)\",\"layer_gflops\":\(layerFlops / layerTime / 1e9),\"gemm_gflops\":\(gemmFlops / gemmTime / 1e9)}")
    }

    // Dense 64→64 on 16 384 samples (model b): forward y = xWᵀ, backward x̄ = ȳW, W̄ += ȳᵀx.
    do {
        var rng = RandomSource(seed: 4)
        let b = 16_384
        let dense = Dense<Float>(inputCount: 64, outputCount: 64, rng: &rng)
        let x = Tensor<Float>.gaussian(shape: [b, 64], rng: &rng), g = Tensor<Float>.gaussian(shape: [b, 64], rng: &rng)
        let calls = [GemmCall(transA: false, transB: true, m: b, n: 64, k: 64),
                     GemmCall(transA: false, transB: false, m: b, n: 64, k: 64),
                     GemmCall(transA: true, transB: false, m: 64, n: 64, k: b)]
        measure("Dense 64→64 forward+backward, batch 16 384 (b)", calls: calls, repeatCount: 1,
                layerFlops: calls.reduce(0) { $0 + $1.flops }) {
            blackHole(dense.forward(x)); blackHole(dense.backward(g))
        }
    }
    // Dense 32→32 on 500 samples, the LPN second-order pass set (a): forward, tangent, tangentBackward
    // = 1 + 1 + 4 GEMMs of the shape (x̄ = ȳW, ẋ̄ = ẏ̄W, W̄ += ȳᵀx + ẏ̄ᵀẋ).
    do {
        var rng = RandomSource(seed: 5)
        let b = 500
        let dense = Dense<Float>(inputCount: 32, outputCount: 32, rng: &rng)
        let x = Tensor<Float>.gaussian(shape: [b, 32], rng: &rng), v = Tensor<Float>.gaussian(shape: [b, 32], rng: &rng)
        let fwd = GemmCall(transA: false, transB: true, m: b, n: 32, k: 32)
        let back = GemmCall(transA: false, transB: false, m: b, n: 32, k: 32)
        let wgrad = GemmCall(transA: true, transB: false, m: 32, n: 32, k: b)
        let calls = [fwd, fwd, back, back, wgrad, wgrad]
        measure("Dense 32→32 forward+tangent+tangentBackward, batch 500 (a)", calls: calls, repeatCount: 1,
                layerFlops: calls.reduce(0) { $0 + $1.flops }) {
            blackHole(dense.forward(x)); blackHole(dense.tangent(v)); blackHole(dense.tangentBackward(v, x))
        }
    }
    // Conv2D 16→16 3×3 on 16 × 32×32 (c): per sample forward W[16×144]·cols[144×1024], weight grad
    // ȳ[16×1024]·colsᵀ, input grad W̃[16×144]·cols(ȳ)[144×1024] (stride 1, zero padding: the adjoint
    // is a correlation with the flipped kernel, docs/nn-kit.md). The layer runs these per block of
    // output rows; the bare calls are whole-sample GEMMs.
    do {
        var rng = RandomSource(seed: 6)
        let conv = try Conv2D<Float>(inChannels: 16, outChannels: 16, kernelSize: 3)
        Initialization.initialize(conv, seed: 7)
        let x = Tensor<Float>.gaussian(shape: [16, 16, 32, 32], rng: &rng), g = Tensor<Float>.gaussian(shape: [16, 16, 32, 32], rng: &rng)
        let calls = [GemmCall(transA: false, transB: false, m: 16, n: 1024, k: 144),
                     GemmCall(transA: false, transB: true, m: 16, n: 144, k: 1024),
                     GemmCall(transA: false, transB: false, m: 16, n: 1024, k: 144)]
        measure("Conv2D 16→16 3×3 forward+backward, batch 16 × 32² (c)", calls: calls, repeatCount: 16,
                layerFlops: calls.reduce(0) { $0 + $1.flops } * 16) {
            blackHole(conv.forward(x)); blackHole(conv.backward(g))
        }
    }
    print("{\"mode\":\"nn-gemm\",\"threads\":\(threads),\"cases\":[\(cases.joined(separator: ","))]}")
}

/// (a) The 1-D LPN ICNN (learned-proximal-networks.md §1.2a, d = 1, H = 32, L = 3, β = 10) wired
/// from kit layers: z₁ = s(A₀x), z_{k+1} = s(W_k z_k + U_k x + c_k), ψ = wᵀz + uᵀx + c₀; loss
/// ‖∇ₓψ(y) − x‖²/B by forward, input-gradient backward, tangent along v, tangentBackward.
final class LPNBench: BenchModel {
    let a0: Dense<Float>, w: [Dense<Float>], u: [Dense<Float>], out: Dense<Float>, skip: Dense<Float>
    let s: [any Layer<Float>]
    let adam: Adam<Float>
    let y: Tensor<Float>, x: Tensor<Float>
    let ones: Tensor<Float>, zeros: Tensor<Float>

    init() throws {
        var rng = RandomSource(seed: 8)
        let h = 32, layers = 3, b = 500
        let a0 = Dense<Float>(inputCount: 1, outputCount: h, bias: false, rng: &rng)
        var w: [Dense<Float>] = [], u: [Dense<Float>] = []
        for _ in 0..<layers {
            w.append(Dense<Float>(inputCount: h, outputCount: h, bias: false, weightConstraint: .nonNegative, rng: &rng))
            u.append(Dense<Float>(inputCount: 1, outputCount: h, rng: &rng))
        }
        let out = Dense<Float>(inputCount: h, outputCount: 1, bias: false, weightConstraint: .nonNegative, rng: &rng)
        let skip = Dense<Float>(inputCount: 1, outputCount: 1, rng: &rng)
        var params: [Parameter<Float>] = a0.parameters
        for k in 0..<layers { params += w[k].parameters + u[k].parameters }
        params += out.parameters + skip.parameters
        for d in w + [out] {
            d.weight.value = Initialization.logNormal(shape: d.weight.value.shape, rng: &rng)
        }
        self.a0 = a0; self.w = w; self.u = u; self.out = out; self.skip = skip
        s = (0...layers).map { _ in ActivationKind.softplus(beta: 10).makeLayer(Float.self) }
        adam = try Adam(parameters: params)
        var xs = Tensor<Float>(shape: [b, 1]), ys = Tensor<Float>(shape: [b, 1])
        for i in 0..<b {
            let l = rng.laplace(scale: 1)
            xs[i] = Float(l); ys[i] = Float(l + rng.gaussian())
        }
        x = xs; y = ys
        ones = Tensor(shape: [b, 1], repeating: 1)
        zeros = Tensor(shape: [b, 1])
    }

    func step() {
        adam.zeroGradients()
        // ψ(y)
        var z = s[0].forward(a0.forward(y))
        for k in 0..<w.count {
            var a = w[k].forward(z)
            a.add(u[k].forward(y))
            z = s[k + 1].forward(a)
        }
        _ = out.forward(z); _ = skip.forward(y)
        // f = ∇ψ(y)
        var gz = out.backward(ones)
        var f = skip.backward(ones)
        for k in stride(from: w.count - 1, through: 0, by: -1) {
            let ga = s[k + 1].backward(gz)
            gz = w[k].backward(ga)
            f.add(u[k].backward(ga))
        }
        f.add(a0.backward(s[0].backward(gz)))
        adam.zeroGradients()   // the first backward accumulated ∇θψ: not part of this loss
        // v = ∂ℓ/∂f
        var v = f
        v.add(x, scaledBy: -1)
        blackHole(v.squaredNorm / Double(v.batchSize))
        v.scale(by: 2 / Float(v.batchSize))
        // tangent along v, then its reverse with ȳ = 0, ẏ̄ = 1
        var zd = s[0].tangent(a0.tangent(v))
        for k in 0..<w.count {
            var ad = w[k].tangent(zd)
            ad.add(u[k].tangent(v))
            zd = s[k + 1].tangent(ad)
        }
        _ = out.tangent(zd); _ = skip.tangent(v)
        var (zb, zdb) = out.tangentBackward(zeros, ones)
        _ = skip.tangentBackward(zeros, ones)
        for k in stride(from: w.count - 1, through: 0, by: -1) {
            let (ab, adb) = s[k + 1].tangentBackward(zb, zdb)
            (zb, zdb) = w[k].tangentBackward(ab, adb)
            _ = u[k].tangentBackward(ab, adb)
        }
        let (ab, adb) = s[0].tangentBackward(zb, zdb)
        _ = a0.tangentBackward(ab, adb)
        adam.step()
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Imaging
import Testing
@testable import Inverse

/// im2col + GEMM vs the direct loop for the benchmark-(c) shapes (16 → 16 channels, 3×3, 32×32,
/// batch 16), serial and split over the compute threads. A measurement, not a unit test: it runs
/// only with WB_NN_CONV_TIMING=1 and prints `[measure]` lines
/// (`WB_NN_CONV_TIMING=1 swift test -c release --filter NNConvTimingTests`).
@Suite(.enabled(if: getenv("WB_NN_CONV_TIMING") != nil)) struct NNConvTimingTests {
    static func seconds(reps: Int = 20, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<reps {
            let t0 = ContinuousClock.now
            body()
            let d = ContinuousClock.now - t0
            best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        return best
    }

    func measure<S: NNScalar>(_: S.Type, inChannels: Int) throws {
        var rng = RandomSource(seed: 1)
        let layer = try Conv2D<S>(inChannels: inChannels, outChannels: 16, kernelSize: 3)
        layer.weight.value = .gaussian(shape: layer.weight.value.shape, rng: &rng)
        let x = Tensor<S>.gaussian(shape: [16, inChannels, 32, 32], rng: &rng)
        let y = layer.forward(x)
        let g = Tensor<S>.gaussian(shape: y.shape, rng: &rng)
        let flops = 2.0 * 16 * Double(inChannels * 9) * 1024 * 16
        let label = "conv \(inChannels)→16 3×3 32×32 batch 16 \(S.typeName)"
        var out = Tensor<S>(shape: y.shape)
        for parallel in [false, true] {
            layer.passes.engine.parallel = parallel
            let tag = parallel ? "\(ComputeThreads.count) threads" : "serial"
            let tf = Self.seconds { _ = layer.forward(x) }
            let tb = Self.seconds { _ = layer.forward(x); layer.zeroGradients(); _ = layer.backward(g) }
            let td = Self.seconds {
                x.storage.withUnsafeBufferPointer { xp in
                    layer.weight.value.storage.withUnsafeBufferPointer { wp in
                        layer.bias!.value.storage.withUnsafeBufferPointer { bp in
                            out.storage.withUnsafeMutableBufferPointer { yp in
                                layer.passes.engine.forwardDirect(xp.baseAddress!, batch: 16, weight: wp.baseAddress!,
                                                                  bias: bp.baseAddress!, output: yp.baseAddress!)
                            }
                        }
                    }
                }
            }
            record("\(label) forward im2col+GEMM \(tag) [ms]", tf * 1e3)
            record("\(label) forward direct \(tag) [ms]", td * 1e3)
            record("\(label) forward+backward im2col+GEMM \(tag) [ms]", tb * 1e3)
            record("\(label) forward im2col+GEMM \(tag) [GFLOP/s]", flops / tf * 1e-9)
        }
        layer.passes.engine.parallel = true
        // The bare GEMM of the same shape (one per sample), for the rate comparison.
        let a = [S](repeating: 1, count: 16 * inChannels * 9), b = [S](repeating: 1, count: inChannels * 9 * 1024)
        var c = [S](repeating: 0, count: 16 * 1024)
        let tg = Self.seconds {
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                for _ in 0..<16 {
                    S.gemm(transposeA: false, transposeB: false, m: 16, n: 1024, k: inChannels * 9, alpha: 1,
                           a: ap.baseAddress!, lda: inChannels * 9, b: bp.baseAddress!, ldb: 1024, beta: 0, c: cp.baseAddress!, ldc: 1024)
                }
            }}}
        }
        record("\(label) bare GEMM 16×(16 × \(inChannels * 9) · \(inChannels * 9) × 1024) [GFLOP/s]", flops / tg * 1e-9)
    }

    @Test func benchmarkShapes() throws {
        try measure(Double.self, inChannels: 16)
        try measure(Float.self, inChannels: 16)
        try measure(Double.self, inChannels: 1)
        try measure(Float.self, inChannels: 1)
    }
}

import Testing
import ComplexModule
import Dispatch
import Synchronization
@testable import Imaging

#if canImport(Glibc)
import Glibc
#endif

/// Naive O(N²) multi-dimensional DFT: Σₙ x[n]·exp(sign·2πi⟨k, n/N⟩), no normalisation.
func naiveDFT(_ x: [Complex<Double>], dimensions: [Int], sign: Double) -> [Complex<Double>] {
    let d = dimensions + [Int](repeating: 1, count: 3 - dimensions.count)
    let count = d[0] * d[1] * d[2]
    var out = [Complex<Double>](repeating: .zero, count: count)
    // Twiddle tables per axis.
    let tables: [[Complex<Double>]] = d.map { n in
        (0..<n).map { t in
            let angle = sign * 2 * Double.pi * Double(t) / Double(n)
            return Complex(cos(angle), sin(angle))
        }
    }
    for k0 in 0..<d[0] { for k1 in 0..<d[1] { for k2 in 0..<d[2] {
        var accR = 0.0, accI = 0.0
        for n0 in 0..<d[0] { for n1 in 0..<d[1] { for n2 in 0..<d[2] {
            let w = tables[0][(k0 * n0) % d[0]] * tables[1][(k1 * n1) % d[1]] * tables[2][(k2 * n2) % d[2]]
            let v = x[(n0 * d[1] + n1) * d[2] + n2] * w
            accR += v.real; accI += v.imaginary
        }}}
        out[(k0 * d[1] + k1) * d[2] + k2] = Complex(accR, accI)
    }}}
    return out
}

/// ‖a − b‖ / max(‖b‖, tiny).
func relativeError(_ a: [Complex<Double>], _ b: [Complex<Double>]) -> Double {
    precondition(a.count == b.count)
    var num = 0.0, den = 0.0
    for i in a.indices { num += (a[i] - b[i]).lengthSquared; den += b[i].lengthSquared }
    return (num / Swift.max(den, .leastNormalMagnitude)).squareRoot()
}

func relativeError(_ a: Grid, _ b: Grid) -> Double {
    a.squaredDistance(to: b).squareRoot() / Swift.max(b.norm, .leastNormalMagnitude)
}

/// The half spectrum (last axis 0…n/2) of a full spectrum.
func halfOf(_ full: [Complex<Double>], dimensions: [Int]) -> [Complex<Double>] {
    let last = dimensions[dimensions.count - 1], half = last / 2 + 1
    let rows = full.count / last
    var out: [Complex<Double>] = []
    for r in 0..<rows { out += full[(r * last)..<(r * last + half)] }
    return out
}

let fftShapes: [[Int]] = [[1], [2], [3], [5], [7], [8], [16], [1, 1], [1, 9], [9, 1], [4, 6], [5, 3],
                          [7, 7], [16, 16], [3, 5, 7], [2, 3, 4], [1, 1, 5], [4, 1, 2], [8, 8, 8]]

@Suite(.serialized) struct FFTTests {   // serialized: one test flips the process-wide FFT planning mode
    @Test(arguments: fftShapes)
    func realFFTMatchesNaiveDFT(dimensions: [Int]) {
        let shape = Shape(dimensions)
        var rng = RandomSource(seed: UInt64(shape.count * 31 + dimensions.count))
        let x = rng.gaussianGrid(shape)
        let fft = RealFFT(shape: shape)
        #expect(fft.spectrumShape.dimensions.last == dimensions.last! / 2 + 1)
        let X = fft.forward(x)
        let reference = naiveDFT(x.storage.map { Complex($0, 0) }, dimensions: dimensions, sign: -1)
        let half = halfOf(reference, dimensions: dimensions)
        #expect(relativeError(X.storage, half) <= 1e-12, "r2c \(shape)")
        // c2r of the naive half spectrum must give x back (normalised inverse).
        let back = fft.inverse(ComplexGrid(shape: fft.spectrumShape, storage: half))
        #expect(relativeError(back, x) <= 1e-12, "c2r \(shape)")
        #expect(relativeError(fft.inverse(X), x) <= 1e-12, "round trip \(shape)")
        // The caller's spectrum is not destroyed by c2r.
        #expect(X.storage == fft.forward(x).storage)
    }

    @Test(arguments: fftShapes)
    func complexFFTMatchesNaiveDFT(dimensions: [Int]) {
        let shape = Shape(dimensions)
        var rng = RandomSource(seed: UInt64(shape.count * 17 + 5))
        let x = ComplexGrid(shape: shape, storage: (0..<shape.count).map { _ in Complex(rng.gaussian(), rng.gaussian()) })
        let fft = ComplexFFT(shape: shape)
        let X = fft.forward(x)
        #expect(relativeError(X.storage, naiveDFT(x.storage, dimensions: dimensions, sign: -1)) <= 1e-12, "c2c forward \(shape)")
        let inv = fft.inverse(x)
        let n = Double(shape.count)
        let expected = naiveDFT(x.storage, dimensions: dimensions, sign: 1).map { Complex($0.real / n, $0.imaginary / n) }
        #expect(relativeError(inv.storage, expected) <= 1e-12, "c2c inverse \(shape)")
        #expect(relativeError(fft.inverse(X).storage, x.storage) <= 1e-12, "c2c round trip \(shape)")
    }

    @Test func impulseAndConstant() {
        let fft = RealFFT(shape: Shape(4, 6))
        var delta = Grid(shape: Shape(4, 6)); delta[0, 0] = 1
        #expect(fft.forward(delta).storage.allSatisfy { $0 == Complex(1, 0) })
        let ones = Grid(shape: Shape(4, 6), repeating: 1)
        let X = fft.forward(ones)
        #expect(X.storage[0] == Complex(24, 0))
        #expect(X.storage.dropFirst().allSatisfy { $0.length < 1e-13 })
    }

    /// Planning from many threads at once (new shapes, so the planner really runs concurrently).
    @Test func concurrentPlanningFromManyThreads() async {
        let before = FFTPlanner.cachedPlanCount
        let errors = await withTaskGroup(of: Double.self) { group in
            for i in 0..<24 {
                group.addTask {
                    let dims = i % 3 == 0 ? [37 + i] : (i % 3 == 1 ? [11 + i, 13] : [3, 5 + i, 2])
                    let shape = Shape(dims)
                    var rng = RandomSource(seed: UInt64(i))
                    let x = rng.gaussianGrid(shape)
                    let fft = RealFFT(shape: shape)
                    let c = ComplexFFT(shape: shape)
                    let X = fft.forward(x)
                    let ref = halfOf(naiveDFT(x.storage.map { Complex($0, 0) }, dimensions: dims, sign: -1), dimensions: dims)
                    let cx = ComplexGrid(x)
                    return Swift.max(relativeError(X.storage, ref), relativeError(fft.inverse(X), x),
                                     relativeError(c.inverse(c.forward(cx)).storage, cx.storage))
                }
            }
            var worst = 0.0
            for await e in group { worst = Swift.max(worst, e) }
            return worst
        }
        #expect(errors <= 1e-12)
        #expect(FFTPlanner.cachedPlanCount > before)
    }

    /// Two and more instances of one shape executing the same cached plan concurrently.
    @Test func concurrentExecutionOfOneCachedPlan() {
        let shape = Shape(64, 48)
        var rng = RandomSource(seed: 99)
        let inputs = (0..<8).map { _ in rng.gaussianGrid(shape) }
        let references = inputs.map { RealFFT(shape: shape).forward($0) }
        let worst = Mutex<Double>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let fft = RealFFT(shape: shape)
            var X = ComplexGrid(shape: fft.spectrumShape)
            var back = Grid(shape: shape)
            var e = 0.0
            for _ in 0..<20 {
                fft.forward(inputs[i], into: &X)
                e = Swift.max(e, relativeError(X.storage, references[i].storage))
                fft.inverse(X, into: &back)
                e = Swift.max(e, relativeError(back, inputs[i]))
            }
            worst.withLock { $0 = Swift.max($0, e) }
        }
        #expect(worst.withLock { $0 } <= 1e-13)
    }

    /// Reuse is checked by plan identity: the process-wide plan count is not usable here, because
    /// other suites running in parallel (in the same test process) plan new shapes meanwhile.
    @Test func plansAreCachedAndReused() {
        let shape = Shape(10, 22)
        _ = RealFFT(shape: shape)
        let first = FFTPlanner.plan(.realToComplex, dimensions: shape.dimensions)
        for _ in 0..<5 {
            _ = RealFFT(shape: shape)
            #expect(FFTPlanner.plan(.realToComplex, dimensions: shape.dimensions) == first)
            #expect(FFTPlanner.plan(.complexToReal, dimensions: shape.dimensions) != first)
        }
    }

    @Test func measurePlanningGivesTheSameTransform() {
        let shape = Shape(12, 10)
        var rng = RandomSource(seed: 3)
        let x = rng.gaussianGrid(shape)
        let estimated = RealFFT(shape: shape).forward(x)
        FFTSettings.setPlanning(.measure)
        #expect(FFTSettings.planning == .measure)
        let measured = RealFFT(shape: shape).forward(x)
        FFTSettings.setPlanning(.estimate)
        #expect(FFTSettings.planning == .estimate)
        #expect(relativeError(measured.storage, estimated.storage) <= 1e-13)
    }
}

import ComplexModule
internal import CFFTW

/// Complex-to-complex discrete Fourier transform of rank 1, 2 or 3 (FFTW c2c).
///
/// Convention (as ``RealFFT``): the forward transform is **unnormalised**,
/// `X[k] = Σₙ x[n]·exp(−2πi⟨k, n/N⟩)`; the inverse uses `exp(+2πi…)` and carries the factor
/// `1/N`, so `inverse(forward(x)) == x` up to rounding. The orthonormal DFT is
/// `forward / √N`.
///
/// Plans are cached per shape for the process; an instance owns two SIMD-aligned buffers and
/// copies through them. Not `Sendable`: use one instance per thread.
public final class ComplexFFT {
    /// Shape of the signal and of its spectrum.
    public let shape: Shape
    let forwardPlan: OpaquePointer
    let backwardPlan: OpaquePointer
    let input: UnsafeMutablePointer<fftw_complex>
    let output: UnsafeMutablePointer<fftw_complex>
    let buffers: FFTBufferPool.Pair

    /// A transform for complex signals of `shape` (rank 1–3, every dimension ≥ 1).
    public init(shape: Shape) {
        precondition((1...3).contains(shape.rank), "ComplexFFT: rank must be 1...3, got \(shape)")
        precondition(shape.dimensions.allSatisfy { $0 >= 1 }, "ComplexFFT: empty dimension in \(shape)")
        self.shape = shape
        forwardPlan = FFTPlanner.plan(.complexForward, dimensions: shape.dimensions)
        backwardPlan = FFTPlanner.plan(.complexBackward, dimensions: shape.dimensions)
        buffers = FFTBufferPool.take(firstBytes: shape.count * 16, secondBytes: shape.count * 16)
        input = buffers.firstPointer.bindMemory(to: fftw_complex.self, capacity: shape.count)
        output = buffers.secondPointer.bindMemory(to: fftw_complex.self, capacity: shape.count)
    }

    deinit { FFTBufferPool.give(buffers) }

    /// X ← F x, unnormalised. Both grids have ``shape``.
    public func forward(_ x: ComplexGrid, into X: inout ComplexGrid) {
        transform(x, into: &X, plan: forwardPlan, scale: 1)
    }

    /// F x (unnormalised) as a new grid.
    public func forward(_ x: ComplexGrid) -> ComplexGrid {
        var X = ComplexGrid(shape: shape)
        forward(x, into: &X)
        return X
    }

    /// x ← F⁻¹ X = (1/N)·Σ_k X[k]·exp(+2πi⟨k, n/N⟩). Both grids have ``shape``.
    public func inverse(_ X: ComplexGrid, into x: inout ComplexGrid) {
        transform(X, into: &x, plan: backwardPlan, scale: 1 / Double(shape.count))
    }

    /// F⁻¹ X (normalised by 1/N) as a new grid.
    public func inverse(_ X: ComplexGrid) -> ComplexGrid {
        var x = ComplexGrid(shape: shape)
        inverse(X, into: &x)
        return x
    }

    private func transform(_ a: ComplexGrid, into b: inout ComplexGrid, plan: OpaquePointer, scale: Double) {
        precondition(a.shape == shape, "ComplexFFT: input \(a.shape), expected \(shape)")
        precondition(b.shape == shape, "ComplexFFT: output \(b.shape), expected \(shape)")
        let n = shape.count
        a.storage.withUnsafeBufferPointer { s in
            UnsafeMutableRawPointer(input).copyMemory(from: s.baseAddress!, byteCount: n * 16)
        }
        fftw_execute_dft(plan, input, output)
        let src = UnsafeRawPointer(output).assumingMemoryBound(to: Double.self)
        b.storage.withUnsafeMutableBufferPointer { d in
            let dst = UnsafeMutableRawPointer(d.baseAddress!).assumingMemoryBound(to: Double.self)
            for i in 0..<(2 &* n) { dst[i] = scale * src[i] }
        }
    }

    // MARK: Buffer-level access for operators

    /// The input buffer viewed as interleaved (re, im) doubles.
    var inputValues: UnsafeMutablePointer<Double> {
        UnsafeMutableRawPointer(input).assumingMemoryBound(to: Double.self)
    }

    /// The output buffer viewed as interleaved (re, im) doubles.
    var outputValues: UnsafeMutablePointer<Double> {
        UnsafeMutableRawPointer(output).assumingMemoryBound(to: Double.self)
    }

    /// Input buffer → output buffer, unnormalised forward (−) or backward (+) transform.
    func execute(forward: Bool) {
        fftw_execute_dft(forward ? forwardPlan : backwardPlan, input, output)
    }
}

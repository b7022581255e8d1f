import ComplexModule
internal import CFFTW

/// Real-to-complex discrete Fourier transform of rank 1, 2 or 3 (FFTW r2c/c2r).
///
/// Convention (fixed for all of wb): the forward transform is **unnormalised**,
/// `X[k] = Σₙ x[n]·exp(−2πi⟨k, n/N⟩)`, and the inverse carries the factor `1/N`
/// (N = number of real samples), so `inverse(forward(x)) == x` up to rounding.
/// Only the non-redundant half spectrum is stored: ``spectrumShape`` equals ``shape`` with
/// the last dimension `n` replaced by `n/2 + 1`; the other half follows from Hermitian
/// symmetry `X[−k] = conj(X[k])`.
///
/// Planning happens once per shape in the process (see ``FFTSettings``); an instance only
/// owns two SIMD-aligned buffers (recycled through a small pool) and copies the caller's data
/// through them, so creating one for a shape that was planned before is cheap. An instance must not be used from two
/// threads at once (it is deliberately not `Sendable`); two instances of the same shape may run
/// concurrently.
public final class RealFFT {
    /// Shape of the real signal.
    public let shape: Shape
    /// Shape of the half spectrum: `shape` with its last dimension n replaced by n/2 + 1.
    public let spectrumShape: Shape
    let forwardPlan: OpaquePointer
    let inversePlan: OpaquePointer
    let realBuffer: UnsafeMutablePointer<Double>
    let spectrumBuffer: UnsafeMutablePointer<fftw_complex>
    let buffers: FFTBufferPool.Pair

    /// The half-spectrum shape of real signals of `shape`: the last dimension n becomes n/2 + 1.
    public static func spectrumShape(of shape: Shape) -> Shape {
        var half = shape.dimensions
        half[half.count - 1] = half[half.count - 1] / 2 + 1
        return Shape(half)
    }

    /// A transform for real signals of `shape` (rank 1–3, every dimension ≥ 1).
    public init(shape: Shape) {
        precondition((1...3).contains(shape.rank), "RealFFT: rank must be 1...3, got \(shape)")
        precondition(shape.dimensions.allSatisfy { $0 >= 1 }, "RealFFT: empty dimension in \(shape)")
        self.shape = shape
        spectrumShape = Self.spectrumShape(of: shape)
        forwardPlan = FFTPlanner.plan(.realToComplex, dimensions: shape.dimensions)
        inversePlan = FFTPlanner.plan(.complexToReal, dimensions: shape.dimensions)
        buffers = FFTBufferPool.take(firstBytes: shape.count * 8, secondBytes: spectrumShape.count * 16)
        realBuffer = buffers.firstPointer.bindMemory(to: Double.self, capacity: shape.count)
        spectrumBuffer = buffers.secondPointer.bindMemory(to: fftw_complex.self, capacity: spectrumShape.count)
    }

    deinit { FFTBufferPool.give(buffers) }

    /// X ← F x, unnormalised. `x.shape == shape`, `X.shape == spectrumShape`.
    public func forward(_ x: Grid, into X: inout ComplexGrid) {
        precondition(X.shape == spectrumShape, "RealFFT.forward: output \(X.shape), expected \(spectrumShape)")
        loadSignal(x)
        executeForward()
        X.storage.withUnsafeMutableBufferPointer { d in
            UnsafeMutableRawPointer(d.baseAddress!).copyMemory(from: spectrumBuffer,
                                                               byteCount: spectrumShape.count * 16)
        }
    }

    /// The half spectrum F x (unnormalised) as a new grid.
    public func forward(_ x: Grid) -> ComplexGrid {
        var X = ComplexGrid(shape: spectrumShape)
        forward(x, into: &X)
        return X
    }

    /// x ← F⁻¹ X, normalised by 1/N so that `inverse(forward(x)) == x`.
    ///
    /// `X` is a half spectrum of shape ``spectrumShape``; it is treated as Hermitian (the parts
    /// that must be real for a real signal, e.g. the imaginary part at DC, are ignored, as FFTW
    /// does). The caller's `X` is not modified (FFTW's c2r overwrites only the owned buffer).
    public func inverse(_ X: ComplexGrid, into x: inout Grid) {
        precondition(X.shape == spectrumShape, "RealFFT.inverse: input \(X.shape), expected \(spectrumShape)")
        X.storage.withUnsafeBufferPointer { s in
            UnsafeMutableRawPointer(spectrumBuffer).copyMemory(from: s.baseAddress!,
                                                               byteCount: spectrumShape.count * 16)
        }
        executeInverse()
        storeSignal(into: &x, scale: 1 / Double(shape.count))
    }

    /// F⁻¹ X (normalised by 1/N) as a new grid.
    public func inverse(_ X: ComplexGrid) -> Grid {
        var x = Grid(shape: shape)
        inverse(X, into: &x)
        return x
    }

    // MARK: Buffer-level access for operators (no intermediate grids)

    /// Copies `x` into the owned real buffer.
    func loadSignal(_ x: Grid) {
        precondition(x.count == shape.count, "RealFFT: input \(x.shape), expected \(shape)")
        let dst = UnsafeSendablePointer(realBuffer)
        x.storage.withUnsafeBufferPointer { s in
            let src = UnsafeSendableReadPointer(s.baseAddress!)
            parallelFor(count: s.count, workPerItem: 1) { r in
                (dst.base + r.lowerBound).update(from: src.base + r.lowerBound, count: r.count)
            }
        }
    }

    /// Real buffer → spectrum buffer (unnormalised).
    func executeForward() { fftw_execute_dft_r2c(forwardPlan, realBuffer, spectrumBuffer) }

    /// Spectrum buffer → real buffer (unnormalised; destroys the spectrum buffer).
    func executeInverse() { fftw_execute_dft_c2r(inversePlan, spectrumBuffer, realBuffer) }

    /// y ← scale · real buffer.
    func storeSignal(into y: inout Grid, scale: Double) {
        precondition(y.count == shape.count, "RealFFT: output \(y.shape), expected \(shape)")
        let src = UnsafeSendableReadPointer(UnsafePointer(realBuffer)), n = shape.count
        y.storage.withUnsafeMutableBufferPointer { d in
            let dst = UnsafeSendablePointer(d.baseAddress!)
            parallelFor(count: n, workPerItem: 1) { r in
                let o = dst.base, i = src.base
                for k in r { o[k] = scale * i[k] }
            }
        }
    }

    /// The spectrum buffer viewed as `Complex<Double>` (same layout as `fftw_complex`).
    var spectrum: UnsafeMutablePointer<Complex<Double>> {
        UnsafeMutableRawPointer(spectrumBuffer).assumingMemoryBound(to: Complex<Double>.self)
    }

    /// y ← F⁻¹(H ⊙ F x), or with conj(H) when `conjugate`; `transfer` is a half spectrum.
    ///
    /// Circular convolution with the real kernel whose DFT is H (correlation when conjugated).
    func filter(_ x: Grid, transfer: [Complex<Double>], conjugate: Bool, into y: inout Grid) {
        precondition(transfer.count == spectrumShape.count, "RealFFT.filter: transfer function size mismatch")
        loadSignal(x)
        executeForward()
        let s = UnsafeMutableRawPointer(spectrumBuffer).assumingMemoryBound(to: Double.self)
        let m = spectrumShape.count
        let sp = UnsafeSendablePointer(s)
        transfer.withUnsafeBufferPointer { hb in
            let hp = UnsafeSendableReadPointer(UnsafeRawPointer(hb.baseAddress!).assumingMemoryBound(to: Double.self))
            let sign = conjugate ? -1.0 : 1.0
            parallelFor(count: m, workPerItem: 6) { r in
                let s = sp.base, h = hp.base
                for k in r {
                    let i = k &* 2
                    let hr = h[i], hi = sign * h[i &+ 1]
                    let sr = s[i], si = s[i &+ 1]
                    s[i] = hr * sr - hi * si
                    s[i &+ 1] = hr * si + hi * sr
                }
            }
        }
        executeInverse()
        storeSignal(into: &y, scale: 1 / Double(shape.count))
    }
}

import ComplexModule

/// Circular convolution x ↦ k ⊛ x on rank-1…3 grids, computed with FFTs: domain = range = `shape`.
///
/// Centre convention: the kernel's centre is the element at index `kₐ div 2` along each axis,
/// i.e. `y[i] = Σₘ k[m]·x[(i − m + c) mod n]` with `cₐ = kₐ div 2`. This is exactly
/// `scipy.ndimage.convolve(x, k, mode='wrap', origin=0)` for odd *and* even kernel sizes
/// (verified against scipy 1.17 output in the tests). The adjoint is the circular
/// correlation with the same kernel (conjugate transfer function).
///
/// The transfer function (half spectrum, see ``RealFFT``) is computed once in `init`; each call
/// creates a ``RealFFT`` whose plan comes from the process-wide cache and whose two buffers
/// come from a small free list (no planning, no allocation in steady state), so the operator
/// holds only `Sendable` data and can be applied concurrently from many threads.
public struct FourierConvolution: LinearOperator {
    /// The signal shape (domain and range).
    public let shape: Shape
    /// H = F(k embedded with its centre at index 0), half spectrum of shape `RealFFT.spectrumShape`.
    let transfer: [Complex<Double>]
    let label: String

    /// Convolution with `kernel` (same rank as `shape`, each size ≤ the signal's) on grids of `shape`.
    public init(kernel: Grid, shape: Shape) {
        precondition(kernel.rank == shape.rank, "FourierConvolution: kernel rank \(kernel.rank) ≠ signal rank \(shape.rank)")
        precondition((0..<shape.rank).allSatisfy { kernel.shape[$0] <= shape[$0] && kernel.shape[$0] >= 1 },
                     "FourierConvolution: kernel \(kernel.shape) must be non-empty and fit in the signal \(shape)")
        self.init(foldingKernel: kernel, shape: shape,
                  label: "fourierConvolution\(shape.rank)d(\(shape), kernel \(kernel.shape))")
    }

    /// Convolution with an arbitrary-size kernel: taps outside the signal are folded (wrapped)
    /// onto it, which is the exact circular convolution with the periodically extended signal.
    init(foldingKernel kernel: Grid, shape: Shape, label: String) {
        precondition((1...3).contains(shape.rank), "FourierConvolution: rank must be 1...3, got \(shape)")
        precondition(kernel.rank == shape.rank, "FourierConvolution: kernel rank \(kernel.rank) ≠ signal rank \(shape.rank)")
        self.shape = shape
        self.label = label
        let n = shape.dimensions + [1, 1]
        let k = kernel.shape.dimensions + [1, 1]
        let c = k.map { $0 / 2 }
        var embedded = Grid(shape: shape)
        kernel.storage.withUnsafeBufferPointer { kb in
            embedded.storage.withUnsafeMutableBufferPointer { eb in
                var flat = 0
                for m0 in 0..<k[0] {
                    let p0 = ((m0 - c[0]) % n[0] + n[0]) % n[0]
                    for m1 in 0..<k[1] {
                        let p1 = ((m1 - c[1]) % n[1] + n[1]) % n[1]
                        for m2 in 0..<k[2] {
                            let p2 = ((m2 - c[2]) % n[2] + n[2]) % n[2]
                            eb[(p0 * n[1] + p1) * n[2] + p2] += kb[flat]
                            flat += 1
                        }
                    }
                }
            }
        }
        transfer = RealFFT(shape: shape).forward(embedded).storage
    }

    /// Circular convolution given by its transfer function: a half spectrum (shape
    /// `RealFFT(shape:).spectrumShape`) of a real kernel, applied as `y = F⁻¹(H ⊙ F x)`.
    ///
    /// H is treated as Hermitian: its parts that must be real for a real kernel (e.g. the
    /// imaginary part at DC) are ignored.
    public init(transferFunction: ComplexGrid, shape: Shape) {
        precondition((1...3).contains(shape.rank), "FourierConvolution: rank must be 1...3, got \(shape)")
        let half = RealFFT.spectrumShape(of: shape)
        precondition(transferFunction.shape == half,
                     "FourierConvolution: transfer function \(transferFunction.shape), expected half spectrum \(half)")
        self.shape = shape
        self.transfer = transferFunction.storage
        self.label = "fourierConvolution\(shape.rank)d(\(shape), transfer function)"
    }

    /// The transfer function (half spectrum of the centred kernel, unnormalised DFT).
    public var transferFunction: ComplexGrid {
        ComplexGrid(shape: RealFFT.spectrumShape(of: shape), storage: transfer)
    }

    /// The signal shape.
    public var domain: Shape { shape }
    /// The signal shape.
    public var range: Shape { shape }

    /// y ← k ⊛ x (circular).
    public func apply(_ x: Grid, into y: inout Grid) {
        RealFFT(shape: shape).filter(x, transfer: transfer, conjugate: false, into: &y)
    }

    /// x ← k ⋆ y (circular correlation, the adjoint).
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        RealFFT(shape: shape).filter(y, transfer: transfer, conjugate: true, into: &x)
    }

    /// x ← (a·I + b·KᵀK)⁻¹ r, the solution of the shifted normal equations (a I + b KᵀK) x = r,
    /// computed exactly in the Fourier domain as x = F⁻¹(F r / (a + b|H|²)) (K is circulant).
    /// This is the proximal map of the least-squares term: prox_{τ·½‖K·−y‖²}(v) solves
    /// (I + τKᵀK) x = v + τKᵀy. Requires a ≥ 0, b ≥ 0 and a + b|H|² > 0 at every frequency.
    /// No allocation in steady state (plans and buffers come from the process-wide cache).
    public func solveNormalEquations(_ r: Grid, identityWeight a: Double, normalWeight b: Double, into x: inout Grid) {
        precondition(a >= 0 && b >= 0 && a.isFinite && b.isFinite,
                     "FourierConvolution.solveNormalEquations: weights must be finite and ≥ 0, got \(a), \(b)")
        let fft = RealFFT(shape: shape)
        fft.loadSignal(r)
        fft.executeForward()
        let s = UnsafeMutableRawPointer(fft.spectrum).assumingMemoryBound(to: Double.self)
        let sp = UnsafeSendablePointer(s)
        transfer.withUnsafeBufferPointer { hb in
            let hp = UnsafeSendableReadPointer(UnsafeRawPointer(hb.baseAddress!).assumingMemoryBound(to: Double.self))
            parallelFor(count: hb.count, workPerItem: 6) { range in
                let s = sp.base, h = hp.base
                for k in range {
                    let i = k &* 2
                    let factor = 1 / (a + b * (h[i] * h[i] + h[i &+ 1] * h[i &+ 1]))
                    s[i] *= factor
                    s[i &+ 1] *= factor
                }
            }
        }
        fft.executeInverse()
        fft.storeSignal(into: &x, scale: 1 / Double(shape.count))
    }

    /// min and max of |H|² over all frequencies (the extreme eigenvalues of KᵀK).
    public var squaredTransferRange: ClosedRange<Double> {
        var lo = Double.infinity, hi = 0.0
        for h in transfer {
            let m = h.real * h.real + h.imaginary * h.imaginary
            lo = Swift.min(lo, m)
            hi = Swift.max(hi, m)
        }
        return lo...hi
    }

    /// "fourierConvolution2d(64×64, kernel 5×5)".
    public var name: String { label }
}

/// Undersampled orthonormal Fourier transform (Cartesian MRI-style forward model):
/// domain = `mask.shape` (a real image, rank 1–3) → range = `mask.shape + [2]`.
///
/// `y = M ⊙ F x` with the **orthonormal** DFT `F = DFT/√N` (unnormalised FFT scaled by 1/√N)
/// over the full complex spectrum in FFTW order (frequency 0 at index 0), and `M` a real weight
/// per frequency (0/1 for a sampling pattern). The complex result is stored interleaved
/// (real, imaginary) in a trailing dimension of 2, the ``ComplexGrid/interleaved`` layout; the
/// inner product of that real grid is Re⟨u, v⟩ on the complex space. The adjoint is
/// `x = Re(Fᴴ(M ⊙ y))`. With a mask of ones, AᵀA = I (an isometry, ‖Ax‖ = ‖x‖).
public struct FourierSampling: LinearOperator {
    /// Weight per frequency, FFTW order (index 0 = zero frequency).
    public let mask: Grid

    /// The sampling operator for real images of `mask.shape` (rank 1–3, non-empty).
    public init(mask: Grid) {
        precondition((1...3).contains(mask.rank), "FourierSampling: mask rank must be 1...3, got \(mask.shape)")
        precondition(mask.count > 0, "FourierSampling: empty mask")
        self.mask = mask
    }

    /// `mask.shape`.
    public var domain: Shape { mask.shape }
    /// `mask.shape + [2]` (interleaved real, imaginary).
    public var range: Shape { Shape(mask.shape.dimensions + [2]) }

    /// y ← M ⊙ (F x)/√N, interleaved.
    public func apply(_ x: Grid, into y: inout Grid) {
        precondition(x.count == mask.count, "FourierSampling: input \(x.shape), expected \(mask.shape)")
        precondition(y.count == 2 * mask.count, "FourierSampling: output \(y.shape), expected \(range)")
        let fft = ComplexFFT(shape: mask.shape)
        let n = mask.count
        let scale = 1 / Double(n).squareRoot()
        let input = fft.inputValues, output = fft.outputValues
        x.storage.withUnsafeBufferPointer { xb in
            for k in 0..<n {
                input[2 &* k] = xb[k]
                input[2 &* k &+ 1] = 0
            }
        }
        fft.execute(forward: true)
        mask.storage.withUnsafeBufferPointer { mb in
            y.storage.withUnsafeMutableBufferPointer { yb in
                for k in 0..<n {
                    let w = mb[k] * scale
                    yb[2 &* k] = w * output[2 &* k]
                    yb[2 &* k &+ 1] = w * output[2 &* k &+ 1]
                }
            }
        }
    }

    /// x ← Re(Fᴴ(M ⊙ y)) with Fᴴ = unnormalised inverse DFT / √N.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        precondition(y.count == 2 * mask.count, "FourierSampling adjoint: input \(y.shape), expected \(range)")
        precondition(x.count == mask.count, "FourierSampling adjoint: output \(x.shape), expected \(mask.shape)")
        let fft = ComplexFFT(shape: mask.shape)
        let n = mask.count
        let scale = 1 / Double(n).squareRoot()
        let input = fft.inputValues, output = fft.outputValues
        mask.storage.withUnsafeBufferPointer { mb in
            y.storage.withUnsafeBufferPointer { yb in
                for k in 0..<n {
                    let w = mb[k] * scale
                    input[2 &* k] = w * yb[2 &* k]
                    input[2 &* k &+ 1] = w * yb[2 &* k &+ 1]
                }
            }
        }
        fft.execute(forward: false)
        x.storage.withUnsafeMutableBufferPointer { xb in
            for k in 0..<n { xb[k] = output[2 &* k] }
        }
    }

    /// "fourierSampling2d(64×64, 25%)" (percentage of non-zero mask entries).
    public var name: String {
        let kept = mask.storage.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let percent = (1000 * kept / mask.count + 5) / 10
        return "fourierSampling\(mask.rank)d(\(mask.shape), \(percent)%)"
    }

    /// A seeded random Cartesian sampling mask of 0/1 weights in FFTW order.
    ///
    /// The mask keeps whole *lines* along the last axis (the "readout" direction); lines are
    /// indexed by the other axes (for rank 1 a line is a single frequency). Lines are ranked by
    /// their normalised frequency radius `√Σₐ (fₐ/nₐ)²` (fₐ the signed frequency of the index,
    /// ties by index); the `centerFraction` lowest-frequency lines are always kept (variable
    /// density: a fully sampled centre), then further lines are drawn uniformly at random without
    /// replacement until `round(fraction · lines)` are kept (at least the centre, at most all).
    ///
    /// - Parameters:
    ///   - shape: image shape, rank 1–3.
    ///   - fraction: fraction of lines to keep, in [0, 1].
    ///   - centerFraction: fraction of lines in the fully sampled centre, in [0, 1].
    ///   - seed: seed of the ``RandomSource`` choosing the other lines.
    public static func randomMask(shape: Shape, fraction: Double, centerFraction: Double, seed: UInt64) -> Grid {
        precondition((1...3).contains(shape.rank) && shape.count > 0, "FourierSampling.randomMask: shape \(shape) must be non-empty, rank 1...3")
        precondition((0...1).contains(fraction) && (0...1).contains(centerFraction),
                     "FourierSampling.randomMask: fractions must be in [0, 1]")
        let lineDims = shape.rank == 1 ? [shape[0]] : Array(shape.dimensions.dropLast())
        let lineLength = shape.rank == 1 ? 1 : shape[shape.rank - 1]
        let lines = lineDims.reduce(1, *)
        func radius(_ line: Int) -> Double {
            var rest = line, r2 = 0.0
            for a in stride(from: lineDims.count - 1, through: 0, by: -1) {
                let n = lineDims[a], i = rest % n
                rest /= n
                let f = Double(i <= n / 2 ? i : i - n) / Double(n)
                r2 += f * f
            }
            return r2
        }
        let order = (0..<lines).sorted { a, b in
            let ra = radius(a), rb = radius(b)
            return ra != rb ? ra < rb : a < b
        }
        let centre = Swift.min(lines, Int((centerFraction * Double(lines)).rounded()))
        let total = Swift.max(centre, Swift.min(lines, Int((fraction * Double(lines)).rounded())))
        var rest = Array(order[centre...])
        var rng = RandomSource(seed: seed)
        // Partial Fisher–Yates: the first (total − centre) entries become a uniform random subset.
        for i in 0..<(total - centre) {
            let j = i + Int(rng.next() % UInt64(rest.count - i))
            rest.swapAt(i, j)
        }
        var mask = Grid(shape: shape)
        for line in order[..<centre] + rest[..<(total - centre)] {
            for t in 0..<lineLength { mask.storage[line * lineLength + t] = 1 }
        }
        return mask
    }
}

import ComplexModule

/// Distribution of the multipliers of a ``RandomConvolution``.
public enum RandomSpectrum: String, Sendable, CaseIterable {
    /// Independent random signs ±1 per independent frequency.
    case rademacher
    /// Independent complex Gaussians with E|s|² = 1 (real N(0, 1) where s must be real).
    case gaussian
}

/// Random circular convolution x ↦ F⁻¹ diag(s) F x on real signals of rank 1, 2 (or 3):
/// domain = range = `shape`.
///
/// F is the DFT; since F⁻¹ diag(s) F is the same for the unnormalised and the orthonormal
/// DFT, the operator is *normal* with singular values |sₖ|, so ‖A‖ = max|sₖ| (exactly 1 for
/// Rademacher). s is Hermitian-symmetric, `s[−k] = conj(s[k])`, so real inputs give real
/// outputs: one value is drawn per pair of conjugate frequencies, and the self-conjugate
/// frequencies (DC, Nyquist and their combinations) get a real value.
/// - ``RandomSpectrum/rademacher``: s = ±1 with equal probability (A is orthogonal).
/// - ``RandomSpectrum/gaussian``: s = (g₁ + i g₂)/√2, real s = g at self-conjugate frequencies.
///
/// Draws come from `RandomSource(seed:)` in half-spectrum order, so a seed fixes the operator.
/// The adjoint multiplies by conj(s). Each call uses the cached FFTW plans (no planning).
public struct RandomConvolution: LinearOperator {
    /// The signal shape.
    public let shape: Shape
    /// The multiplier distribution.
    public let spectrum: RandomSpectrum
    /// The seed the multipliers were drawn with.
    public let seed: UInt64
    /// s on the half spectrum (`RealFFT.spectrumShape`).
    let multipliers: [Complex<Double>]

    /// A random convolution on real signals of `shape` (rank 1–3, non-empty).
    public init(shape: Shape, spectrum: RandomSpectrum, seed: UInt64) {
        precondition((1...3).contains(shape.rank) && shape.count > 0,
                     "RandomConvolution: shape \(shape) must be non-empty, rank 1...3")
        self.shape = shape
        self.spectrum = spectrum
        self.seed = seed
        let dims = shape.dimensions
        let last = dims[dims.count - 1], halfLast = last / 2 + 1
        let outer = Array(dims.dropLast())              // axes with full frequency range
        let outerCount = outer.reduce(1, *)
        var s = [Complex<Double>](repeating: .zero, count: outerCount * halfLast)
        var assigned = [Bool](repeating: false, count: s.count)
        var rng = RandomSource(seed: seed)
        // Flat index of −(outer multi-index) for the outer axes.
        func negatedOuter(_ o: Int) -> Int {
            var rest = o, result = 0, mult = 1
            for a in stride(from: outer.count - 1, through: 0, by: -1) {
                let n = outer[a], i = rest % n
                rest /= n
                result += ((n - i) % n) * mult
                mult *= n
            }
            return result
        }
        for o in 0..<outerCount {
            for k in 0..<halfLast {
                let index = o * halfLast + k
                if assigned[index] { continue }
                let selfConjugateColumn = k == 0 || 2 * k == last
                let partner = selfConjugateColumn ? negatedOuter(o) * halfLast + k : -1
                if partner == index {
                    s[index] = Complex(spectrum == .rademacher ? RandomConvolution.sign(&rng) : rng.gaussian(), 0)
                } else {
                    let value: Complex<Double>
                    switch spectrum {
                    case .rademacher: value = Complex(RandomConvolution.sign(&rng), 0)
                    case .gaussian:
                        let re = rng.gaussian(), im = rng.gaussian()
                        let r = (0.5).squareRoot()
                        value = Complex(re * r, im * r)
                    }
                    s[index] = value
                    if partner >= 0 {
                        s[partner] = value.conjugate
                        assigned[partner] = true
                    }
                }
                assigned[index] = true
            }
        }
        multipliers = s
    }

    static func sign(_ rng: inout RandomSource) -> Double { rng.next() & 1 == 0 ? 1 : -1 }

    /// The multipliers s on the half spectrum (shape `RealFFT(shape:).spectrumShape`).
    public var multiplierSpectrum: ComplexGrid {
        ComplexGrid(shape: RealFFT.spectrumShape(of: shape), storage: multipliers)
    }

    /// The signal shape.
    public var domain: Shape { shape }
    /// The signal shape.
    public var range: Shape { shape }

    /// y ← F⁻¹ diag(s) F x.
    public func apply(_ x: Grid, into y: inout Grid) {
        RealFFT(shape: shape).filter(x, transfer: multipliers, conjugate: false, into: &y)
    }

    /// x ← F⁻¹ diag(conj s) F y.
    public func applyAdjoint(_ y: Grid, into x: inout Grid) {
        RealFFT(shape: shape).filter(y, transfer: multipliers, conjugate: true, into: &x)
    }

    /// "randomConvolution1d(1024, rademacher)".
    public var name: String { "randomConvolution\(shape.rank)d(\(shape), \(spectrum.rawValue))" }
}

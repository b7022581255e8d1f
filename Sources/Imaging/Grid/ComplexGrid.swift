import ComplexModule
import RealModule

/// Complex counterpart of ``Grid`` for spectra: same shape rules, `Complex<Double>` elements.
///
/// `Complex<Double>` is two adjacent `Double`s, so the storage can be handed to FFTW as
/// `fftw_complex` without copying, and it matches the HDF5 compound `{r, i}` layout.
public struct ComplexGrid: Sendable, Equatable {
    /// The shape; `shape.count == storage.count`.
    public private(set) var shape: Shape
    /// Elements in row-major order.
    public var storage: [Complex<Double>]

    /// A grid filled with `value`.
        public init(shape: Shape, repeating value: Complex<Double> = .zero) {
        self.shape = shape
        self.storage = [Complex<Double>](repeating: value, count: shape.count)
    }

    /// A grid over existing storage.
        public init(shape: Shape, storage: [Complex<Double>]) {
        precondition(storage.count == shape.count,
                     "ComplexGrid: storage has \(storage.count) elements, shape \(shape) needs \(shape.count)")
        self.shape = shape
        self.storage = storage
    }

    /// The real grid promoted to complex.
    public init(_ real: Grid) {
        shape = real.shape
        storage = real.storage.map { Complex($0, 0) }
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }

    /// Real parts.
    public var real: Grid { Grid(shape: shape, storage: storage.map(\.real)) }
    /// Imaginary parts.
    public var imaginary: Grid { Grid(shape: shape, storage: storage.map(\.imaginary)) }
    /// Moduli |z|.
    public var magnitude: Grid { Grid(shape: shape, storage: storage.map(\.length)) }

    /// Σ conj(selfᵢ)·otherᵢ.
    public func dot(_ other: ComplexGrid) -> Complex<Double> {
        precondition(other.count == count)
        var re = 0.0, im = 0.0
        for i in 0..<count {
            let a = storage[i], b = other.storage[i]
            re += a.real * b.real + a.imaginary * b.imaginary
            im += a.real * b.imaginary - a.imaginary * b.real
        }
        return Complex(re, im)
    }

    /// Σ |selfᵢ|².
    public var squaredNorm: Double {
        storage.reduce(0) { $0 + $1.lengthSquared }
    }

    /// The same elements as a real grid of shape `shape + [2]` (interleaved real, imaginary).
    /// Requires rank ≤ 3.
    public var interleaved: Grid {
        precondition(shape.rank <= 3, "ComplexGrid.interleaved needs rank ≤ 3")
        var out = [Double](repeating: 0, count: 2 * count)
        for i in 0..<count { out[2 * i] = storage[i].real; out[2 * i + 1] = storage[i].imaginary }
        return Grid(shape: Shape(shape.dimensions + [2]), storage: out)
    }

    /// Inverse of ``interleaved``: a real grid whose last dimension is 2.
    public init(interleaved g: Grid) {
        precondition(g.rank >= 2 && g.shape[g.rank - 1] == 2, "ComplexGrid(interleaved:) needs a last dimension of 2")
        let s = Shape(Array(g.shape.dimensions.dropLast()))
        var st = [Complex<Double>](repeating: .zero, count: s.count)
        for i in 0..<s.count { st[i] = Complex(g.storage[2 * i], g.storage[2 * i + 1]) }
        self.init(shape: s, storage: st)
    }
}

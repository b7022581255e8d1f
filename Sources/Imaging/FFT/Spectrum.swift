import ComplexModule
#if canImport(Glibc)
import Glibc
#endif

/// Spectra for viewing.
public enum Spectrum {
    /// log(1 + |F x|) of a rank 1–3 grid with the unnormalised forward DFT; with `centered`,
    /// the zero frequency is moved to index (n div 2) on each axis (numpy's `fftshift`).
    public static func logMagnitude(_ x: Grid, centered: Bool = true) -> Grid {
        precondition((1...3).contains(x.rank), "Spectrum.logMagnitude: rank must be 1–3, got \(x.rank)")
        let fft = ComplexFFT(shape: x.shape)
        var spectrum = ComplexGrid(shape: x.shape)
        fft.forward(ComplexGrid(x), into: &spectrum)
        var out = Grid(shape: x.shape)
        let dims = x.shape.dimensions + Array(repeating: 1, count: 3 - x.rank)
        let (n0, n1, n2) = (dims[0], dims[1], dims[2])
        for i in 0..<n0 {
            let si = centered ? (i + n0 / 2) % n0 : i
            for j in 0..<n1 {
                let sj = centered ? (j + n1 / 2) % n1 : j
                for k in 0..<n2 {
                    let sk = centered ? (k + n2 / 2) % n2 : k
                    out.storage[(si * n1 + sj) * n2 + sk] = log1p(spectrum.storage[(i * n1 + j) * n2 + k].length)
                }
            }
        }
        return out
    }
}

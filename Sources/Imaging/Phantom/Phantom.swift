#if canImport(Glibc)
import Glibc
#endif

/// Synthetic test images.
public enum Phantom {
    /// One ellipse of a phantom: intensity added inside, semi-axes, centre, rotation in degrees.
    struct Ellipse {
        let intensity, a, b, x0, y0, phi: Double
    }

    /// The modified Shepp–Logan ellipses (Toft's higher contrast; Matlab
    /// `phantom('Modified Shepp-Logan')`, scikit-image `shepp_logan_phantom`), on [−1, 1]²:
    ///
    /// | A | a | b | x₀ | y₀ | φ (°) |
    /// |---:|---:|---:|---:|---:|---:|
    /// |  1.0 | 0.69   | 0.92   |  0     |  0      |   0 |
    /// | −0.8 | 0.6624 | 0.8740 |  0     | −0.0184 |   0 |
    /// | −0.2 | 0.1100 | 0.3100 |  0.22  |  0      | −18 |
    /// | −0.2 | 0.1600 | 0.4100 | −0.22  |  0      |  18 |
    /// |  0.1 | 0.2100 | 0.2500 |  0     |  0.35   |   0 |
    /// |  0.1 | 0.0460 | 0.0460 |  0     |  0.1    |   0 |
    /// |  0.1 | 0.0460 | 0.0460 |  0     | −0.1    |   0 |
    /// |  0.1 | 0.0460 | 0.0230 | −0.08  | −0.605  |   0 |
    /// |  0.1 | 0.0230 | 0.0230 |  0     | −0.606  |   0 |
    /// |  0.1 | 0.0230 | 0.0460 |  0.06  | −0.605  |   0 |
    static let modifiedSheppLogan: [Ellipse] = [
        Ellipse(intensity: 1.0, a: 0.69, b: 0.92, x0: 0, y0: 0, phi: 0),
        Ellipse(intensity: -0.8, a: 0.6624, b: 0.8740, x0: 0, y0: -0.0184, phi: 0),
        Ellipse(intensity: -0.2, a: 0.1100, b: 0.3100, x0: 0.22, y0: 0, phi: -18),
        Ellipse(intensity: -0.2, a: 0.1600, b: 0.4100, x0: -0.22, y0: 0, phi: 18),
        Ellipse(intensity: 0.1, a: 0.2100, b: 0.2500, x0: 0, y0: 0.35, phi: 0),
        Ellipse(intensity: 0.1, a: 0.0460, b: 0.0460, x0: 0, y0: 0.1, phi: 0),
        Ellipse(intensity: 0.1, a: 0.0460, b: 0.0460, x0: 0, y0: -0.1, phi: 0),
        Ellipse(intensity: 0.1, a: 0.0460, b: 0.0230, x0: -0.08, y0: -0.605, phi: 0),
        Ellipse(intensity: 0.1, a: 0.0230, b: 0.0230, x0: 0, y0: -0.606, phi: 0),
        Ellipse(intensity: 0.1, a: 0.0230, b: 0.0460, x0: 0.06, y0: -0.605, phi: 0),
    ]

    /// The modified Shepp–Logan head phantom of shape `(size, size)` with values in [0, 1].
    ///
    /// Pixel centres sample [−1, 1]² as Matlab's `phantom` does: column `c` is at
    /// `x = (c − (n−1)/2)/((n−1)/2)`, row `r` at `y = ((n−1)/2 − r)/((n−1)/2)` (row 0 is the top,
    /// y points up). A pixel takes the sum of the intensities `A` of all ellipses with
    /// `((x'cos φ + y'sin φ)/a)² + ((y'cos φ − x'sin φ)/b)² ≤ 1`, `x' = x − x₀`, `y' = y − y₀`,
    /// clamped to [0, 1] against rounding (background 0, skull 1, brain 0.2, ventricles 0).
    /// The ellipse table is documented on `modifiedSheppLogan` in the source: A, a, b, x₀, y₀, φ =
    /// (1, .69, .92, 0, 0, 0), (−.8, .6624, .874, 0, −.0184, 0), (−.2, .11, .31, .22, 0, −18),
    /// (−.2, .16, .41, −.22, 0, 18), (.1, .21, .25, 0, .35, 0), (.1, .046, .046, 0, .1, 0),
    /// (.1, .046, .046, 0, −.1, 0), (.1, .046, .023, −.08, −.605, 0), (.1, .023, .023, 0, −.606, 0),
    /// (.1, .023, .046, .06, −.605, 0).
    public static func sheppLogan(size: Int) -> Grid {
        precondition(size >= 1, "Phantom.sheppLogan: size must be ≥ 1")
        var g = Grid.image(height: size, width: size)
        let half = Double(size - 1) / 2
        let scale = half > 0 ? 1 / half : 0
        g.storage.withUnsafeMutableBufferPointer { p in
            for e in modifiedSheppLogan {
                let phi = e.phi * Double.pi / 180
                let c = cos(phi), s = sin(phi)
                let ia2 = 1 / (e.a * e.a), ib2 = 1 / (e.b * e.b)
                for r in 0..<size {
                    let y = (half - Double(r)) * scale - e.y0
                    let row = r * size
                    for col in 0..<size {
                        let x = (Double(col) - half) * scale - e.x0
                        let u = x * c + y * s, v = y * c - x * s
                        if u * u * ia2 + v * v * ib2 <= 1 { p[row + col] += e.intensity }
                    }
                }
            }
            for i in 0..<p.count { p[i] = Swift.min(1, Swift.max(0, p[i])) }
        }
        return g
    }

    /// A seeded piecewise-constant image of shape `(height, width)` with values in [0, 1).
    ///
    /// Algorithm (``RandomSource`` seeded with `seed`, draws in this order): the background
    /// value `u`; then for each of `regions` shapes: kind (`u < ½` → axis-aligned rectangle,
    /// otherwise a rotated ellipse), centre `(cy, cx) = (u·height, u·width)`, half-extents
    /// `(hy, hx) = ((0.05 + 0.25u)·height, (0.05 + 0.25u)·width)`, angle `θ = π·u` (drawn for both
    /// kinds, used by ellipses), value `u`. Shapes are painted in order, later ones on top, so
    /// the image has at most `regions + 1` distinct values.
    public static func piecewiseConstant(height: Int, width: Int, regions: Int = 12, seed: UInt64) -> Grid {
        precondition(height >= 1 && width >= 1, "Phantom.piecewiseConstant: empty image")
        precondition(regions >= 0, "Phantom.piecewiseConstant: regions must be ≥ 0")
        var rng = RandomSource(seed: seed)
        var g = Grid.image(height: height, width: width, repeating: rng.uniform())
        let h = Double(height), w = Double(width)
        g.storage.withUnsafeMutableBufferPointer { p in
            for _ in 0..<regions {
                let isRectangle = rng.uniform() < 0.5
                let cy = rng.uniform() * h, cx = rng.uniform() * w
                let hy = (0.05 + 0.25 * rng.uniform()) * h, hx = (0.05 + 0.25 * rng.uniform()) * w
                let theta = Double.pi * rng.uniform()
                let value = rng.uniform()
                let c = cos(theta), s = sin(theta)
                for r in 0..<height {
                    let dy = Double(r) + 0.5 - cy
                    let row = r * width
                    for col in 0..<width {
                        let dx = Double(col) + 0.5 - cx
                        let inside: Bool
                        if isRectangle {
                            inside = abs(dy) <= hy && abs(dx) <= hx
                        } else {
                            let u = dx * c + dy * s, v = dy * c - dx * s
                            inside = (u / hx) * (u / hx) + (v / hy) * (v / hy) <= 1
                        }
                        if inside { p[row + col] = value }
                    }
                }
            }
        }
        return g
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Image-quality metrics comparing an estimate `x` with a `reference`, defined as in
/// scikit-image (`skimage.metrics`) and checked against it (see `MetricsTests`).
///
/// Both grids must have the same shape (a precondition).
public enum Metrics {
    /// Mean squared error `Σ(x − ref)²/n`.
    public static func mse(_ x: Grid, reference: Grid) -> Double {
        precondition(x.shape == reference.shape, "Metrics.mse: shapes \(x.shape) and \(reference.shape) differ")
        guard x.count > 0 else { return 0 }
        return x.squaredDistance(to: reference) / Double(x.count)
    }

    /// Peak signal-to-noise ratio in dB, `10·log10(dataRange²/mse)`; `+∞` when the grids are equal.
    public static func psnr(_ x: Grid, reference: Grid, dataRange: Double) -> Double {
        let e = mse(x, reference: reference)
        if e == 0 { return .infinity }
        return 10 * log10(dataRange * dataRange / e)
    }

    /// Normalised root-mean-square error with scikit-image's default "euclidean"
    /// normalisation: `‖ref − x‖/‖ref‖` (∞ if the reference is zero and x is not, 0 if both are).
    public static func nrmse(_ x: Grid, reference: Grid) -> Double {
        precondition(x.shape == reference.shape, "Metrics.nrmse: shapes \(x.shape) and \(reference.shape) differ")
        let num = x.squaredDistance(to: reference).squareRoot()
        let den = reference.norm
        if den == 0 { return num == 0 ? 0 : .infinity }
        return num / den
    }

    /// Mean structural similarity, identical to scikit-image's
    /// `structural_similarity(ref, x, data_range=dataRange, gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False)` for grids of any rank (the filter runs over all axes):
    ///
    /// - local statistics with a normalised Gaussian window, σ = 1.5, truncated at 3.5σ
    ///   (radius 5, 11 taps), applied separably along every axis with scipy.ndimage's `reflect`
    ///   boundary (`d c b a | a b c d`);
    /// - `vx = E[x²] − μx²`, `vy`, `vxy` likewise (population covariance);
    /// - `S = (2μxμy + C1)(2vxy + C2) / ((μx² + μy² + C1)(vx + vy + C2))` with
    ///   `C1 = (0.01·R)²`, `C2 = (0.03·R)²`;
    /// - the mean of `S` after cropping 5 elements from both ends of every axis.
    ///
    /// Every dimension must be at least 11 (scikit-image raises for smaller images).
    public static func ssim(_ x: Grid, reference: Grid, dataRange: Double) -> Double {
        precondition(x.shape == reference.shape, "Metrics.ssim: shapes \(x.shape) and \(reference.shape) differ")
        let dims = x.shape.dimensions
        precondition(dims.allSatisfy { $0 >= 11 }, "Metrics.ssim: every dimension must be ≥ 11, got \(x.shape)")
        let n = x.count
        let weights = gaussianWeights(sigma: 1.5, radius: 5)

        var xx = x, yy = reference, xy = x
        xx.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i] = p[i] * p[i] }
        }
        yy.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i] = p[i] * p[i] }
        }
        reference.storage.withUnsafeBufferPointer { r in
            xy.storage.withUnsafeMutableBufferPointer { p in
                for i in 0..<n { p[i] = p[i] * r[i] }
            }
        }
        let ux = gaussianFilter(x, weights: weights)
        let uy = gaussianFilter(reference, weights: weights)
        let uxx = gaussianFilter(xx, weights: weights)
        let uyy = gaussianFilter(yy, weights: weights)
        let uxy = gaussianFilter(xy, weights: weights)

        let c1 = (0.01 * dataRange) * (0.01 * dataRange)
        let c2 = (0.03 * dataRange) * (0.03 * dataRange)
        var s = [Double](repeating: 0, count: n)
        ux.storage.withUnsafeBufferPointer { ux in
        uy.storage.withUnsafeBufferPointer { uy in
        uxx.storage.withUnsafeBufferPointer { uxx in
        uyy.storage.withUnsafeBufferPointer { uyy in
        uxy.storage.withUnsafeBufferPointer { uxy in
        s.withUnsafeMutableBufferPointer { s in
            for i in 0..<n {
                let mx = ux[i], my = uy[i]
                let vx = uxx[i] - mx * mx
                let vy = uyy[i] - my * my
                let vxy = uxy[i] - mx * my
                let a1 = 2 * mx * my + c1, a2 = 2 * vxy + c2
                let b1 = mx * mx + my * my + c1, b2 = vx + vy + c2
                s[i] = (a1 * a2) / (b1 * b2)
            }
        }}}}}}

        // Mean over the interior (5 elements cropped from both ends of every axis).
        let pad = 5
        let strides = x.shape.strides
        var total = 0.0, counted = 0
        var index = [Int](repeating: pad, count: dims.count)
        let last = dims.count - 1
        s.withUnsafeBufferPointer { s in
            outer: while true {
                var base = 0
                for a in 0..<last { base += index[a] * strides[a] }
                for j in pad..<(dims[last] - pad) { total += s[base + j] }
                counted += dims[last] - 2 * pad
                var a = last - 1
                while a >= 0 {
                    index[a] += 1
                    if index[a] < dims[a] - pad { break }
                    index[a] = pad
                    a -= 1
                }
                if a < 0 { break outer }
            }
        }
        return counted == 0 ? .nan : total / Double(counted)
    }

    /// scipy's `_gaussian_kernel1d`: `exp(−x²/(2σ²))` for `x = −r…r`, normalised to sum 1.
    static func gaussianWeights(sigma: Double, radius: Int) -> [Double] {
        let w = (-radius...radius).map { exp(-0.5 / (sigma * sigma) * Double($0 * $0)) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    /// Separable correlation with `weights` along every axis (axis 0 first, as scipy), `reflect`
    /// boundary.
    static func gaussianFilter(_ g: Grid, weights: [Double]) -> Grid {
        var src = g
        var dst = Grid(shape: g.shape)
        let dims = g.shape.dimensions
        for axis in 0..<dims.count {
            let outer = dims[..<axis].reduce(1, *)
            let inner = dims[(axis + 1)...].reduce(1, *)
            filterAxis(src, into: &dst, outer: outer, length: dims[axis], inner: inner, weights: weights)
            swap(&src, &dst)
        }
        return src
    }

    /// scipy.ndimage `reflect` index for `i` in a line of `n` (`d c b a | a b c d`).
    @inline(__always)
    static func reflect(_ i: Int, _ n: Int) -> Int {
        var i = i
        while i < 0 || i >= n {
            if i < 0 { i = -i - 1 }
            if i >= n { i = 2 * n - i - 1 }
        }
        return i
    }

    /// One axis of the separable filter: lines of `length` with element stride `inner`, `outer`
    /// of them. For `inner > 1` the inner loop runs over the unit-stride `inner` block; for the
    /// last axis each line is padded once and the taps run over unit-stride pixels.
    static func filterAxis(_ src: Grid, into dst: inout Grid, outer: Int, length n: Int, inner: Int,
                           weights: [Double]) {
        let r = weights.count / 2
        let taps = weights.count
        src.storage.withUnsafeBufferPointer { sb in
        dst.storage.withUnsafeMutableBufferPointer { db in
        weights.withUnsafeBufferPointer { wb in
            guard let s = sb.baseAddress, let d = db.baseAddress, let w = wb.baseAddress else { return }
            if inner == 1 {
                var line = [Double](repeating: 0, count: n + 2 * r)
                line.withUnsafeMutableBufferPointer { lb in
                    let l = lb.baseAddress!
                    for o in 0..<outer {
                        let sRow = s + o &* n, dRow = d + o &* n
                        for j in 0..<(n + 2 * r) { l[j] = sRow[reflect(j - r, n)] }
                        for j in 0..<n { dRow[j] = 0 }
                        for k in 0..<taps {
                            let wk = w[k], lk = l + k
                            for j in 0..<n { dRow[j] += wk * lk[j] }
                        }
                    }
                }
            } else {
                for o in 0..<outer {
                    let sBlock = s + o &* n &* inner, dBlock = d + o &* n &* inner
                    for i in 0..<n {
                        let dRow = dBlock + i &* inner
                        for j in 0..<inner { dRow[j] = 0 }
                        for k in 0..<taps {
                            let wk = w[k]
                            let sRow = sBlock + reflect(i + k - r, n) &* inner
                            for j in 0..<inner { dRow[j] += wk * sRow[j] }
                        }
                    }
                }
            }
        }}}
    }
}

/// How a direct ("same"-size) convolution extends an image beyond its border.
public enum ConvolutionBoundary: String, Sendable, CaseIterable {
    /// Mirror without repeating the edge pixel: x[−1] = x[1], x[n] = x[n − 2] (PyTorch and
    /// NumPy "reflect"; the MAID field-of-experts code's `padding_mode="reflect"`).
    case reflect
    /// Wrap around: x[−1] = x[n − 1], x[n] = x[0] (circular convolution, as with FFTs).
    case periodic

    /// The source index in 0..<n of the extended index t.
    func sourceIndex(_ t: Int, count n: Int) -> Int {
        precondition(n >= 1)
        switch self {
        case .periodic:
            return ((t % n) + n) % n
        case .reflect:
            if n == 1 { return 0 }
            var u = t
            while u < 0 || u >= n {
                if u < 0 { u = -u }
                if u >= n { u = 2 * (n - 1) - u }
            }
            return u
        }
    }
}

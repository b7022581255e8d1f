import Testing
@testable import Inverse

/// The direct convolution behind the field of experts: adjoint, convention and boundary.
@Suite struct ConvolutionTests {
    /// Reference: (c ∗ x)[i, j] = Σ_{a,b} c[a, b]·x̃[i − a + kh/2, j − b + kw/2] with x̃ by index mapping.
    static func naive(_ c: Grid, _ x: Grid, _ boundary: ConvolutionBoundary) -> Grid {
        let h = x.shape[0], w = x.shape[1], kh = c.shape[0], kw = c.shape[1]
        var out = Grid(shape: x.shape)
        func map(_ t: Int, _ n: Int) -> Int {
            switch boundary {
            case .periodic: return ((t % n) + n) % n
            case .reflect:
                var u = t
                while u < 0 || u >= n { if u < 0 { u = -u }; if u >= n { u = 2 * (n - 1) - u } }
                return u
            }
        }
        for i in 0..<h { for j in 0..<w {
            var s = 0.0
            for a in 0..<kh { for b in 0..<kw {
                s += c[a, b] * x[map(i - a + kh / 2, h), map(j - b + kw / 2, w)]
            } }
            out[i, j] = s
        } }
        return out
    }

    static let shapes: [(Int, Int, Int, Int)] = [(12, 10, 5, 5), (7, 9, 3, 5), (8, 8, 7, 7), (4, 17, 3, 3), (9, 3, 1, 5)]

    @Test(arguments: 0..<5)
    func adjointAndConvention(index: Int) {
        let (h, w, kh, kw) = Self.shapes[index]
        for boundary in ConvolutionBoundary.allCases {
            let kernel = randomGrid(Shape(kh, kw), seed: UInt64(50 + index))
            let op = DirectConvolution2D(kernel: kernel, height: h, width: w, boundary: boundary)
            let result = adjointTest(op, trials: 3, seed: UInt64(index))
            #expect(result.mismatch < 1e-13, "\(result)")
            #expect(result.linearityError < 1e-13, "\(result)")
            let x = randomGrid(Shape(h, w), seed: UInt64(60 + index))
            #expect(relativeError(op(x), Self.naive(kernel, x, boundary)) < 1e-14, "\(op.name)")
        }
    }

    @Test func centredDeltaKernelIsIdentityAndShiftDirection() {
        var delta = Grid(shape: Shape(3, 3)); delta[1, 1] = 1
        let x = randomGrid(Shape(6, 7), seed: 3)
        #expect(DirectConvolution2D(kernel: delta, height: 6, width: 7)(x) == x)
        // c[a, b] = δ(a = 0, b = 1): (c ∗ x)[i, j] = x̃[i + 1, j] (a shift up, reflect at the bottom).
        var shift = Grid(shape: Shape(3, 3)); shift[0, 1] = 1
        let y = DirectConvolution2D(kernel: shift, height: 6, width: 7, boundary: .reflect)(x)
        #expect(y[0, 2] == x[1, 2])
        #expect(y[5, 2] == x[4, 2])   // x̃[6] = x[4] under reflect
        let z = DirectConvolution2D(kernel: shift, height: 6, width: 7, boundary: .periodic)(x)
        #expect(z[5, 2] == x[0, 2])
    }

    @Test func operatorNormBounds() {
        let kernel = randomGrid(Shape(5, 5), seed: 77)
        let l1 = kernel.storage.map(abs).reduce(0, +)
        for boundary in ConvolutionBoundary.allCases {
            let op = DirectConvolution2D(kernel: kernel, height: 16, width: 16, boundary: boundary)
            let n = operatorNorm(op, iterations: 300)
            #expect(n <= (boundary == .reflect ? 2 : 1) * l1, "\(boundary): ‖C‖ ≈ \(n), ‖c‖₁ = \(l1)")
        }
    }
}

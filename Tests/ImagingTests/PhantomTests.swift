import Testing
@testable import Imaging

@Suite struct PhantomTests {
    @Test func sheppLoganKnownValues() {
        let n = 257   // odd: pixel (128, 128) is the exact centre, pixel pitch 1/128
        let p = Phantom.sheppLogan(size: n)
        #expect(p.shape == Shape(n, n))
        #expect(p.storage.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(p.max == 1 && p.min == 0)
        #expect(abs(p[128, 128] - 0.2) < 1e-12, "centre: skull 1 − brain 0.8")
        #expect(p[0, 0] == 0 && p[0, 256] == 0 && p[256, 0] == 0 && p[256, 256] == 0, "corners are outside")
        #expect(p[128, 0] == 0 && p[128, 256] == 0, "x = ±1 is outside the skull (a = 0.69)")
        #expect(p[128, 41] == 1, "x = −0.68: skull rim (0.6624 < |x| ≤ 0.69)")
        #expect(abs(p[116, 128] - 0.3) < 1e-12, "y = 0.094: small ellipse (0, 0.1) on brain")
        #expect(abs(p[128, 100]) < 1e-12, "x = −0.219: left ventricle (brain − 0.2)")
        #expect(abs(p[128, 156]) < 1e-12, "x = 0.219: right ventricle (brain − 0.2)")
        #expect(abs(p[205, 128] - 0.3) < 1e-12, "y = −0.602: small ellipse (0, −0.606)")
        // Rows above the ventricles and ellipse 5 (y > 0.6) hold only the two outer ellipses: symmetric.
        for r in [20, 40] {
            for c in 0..<n { #expect(p[r, c] == p[r, n - 1 - c]) }
        }
    }

    @Test func sheppLoganSmallSizes() {
        #expect(Phantom.sheppLogan(size: 1).shape == Shape(1, 1))
        let p = Phantom.sheppLogan(size: 64)
        #expect(p.storage.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(Set(p.storage.map { ($0 * 10).rounded() }).isSubset(of: [0, 1, 2, 3, 4, 10]))
    }

    @Test func piecewiseConstantIsSeeded() {
        let a = Phantom.piecewiseConstant(height: 64, width: 80, regions: 12, seed: 5)
        let b = Phantom.piecewiseConstant(height: 64, width: 80, regions: 12, seed: 5)
        let c = Phantom.piecewiseConstant(height: 64, width: 80, regions: 12, seed: 6)
        #expect(a.shape == Shape(64, 80))
        #expect(a == b)
        #expect(a != c)
        for g in [a, c] {
            #expect(g.storage.allSatisfy { $0 >= 0 && $0 < 1 })
            let distinct = Set(g.storage).count
            #expect(distinct >= 2 && distinct <= 13, "\(distinct) values for 12 regions")
        }
        let flat = Phantom.piecewiseConstant(height: 8, width: 8, regions: 0, seed: 1)
        #expect(Set(flat.storage).count == 1)
        for regions in [1, 3, 30] {
            let g = Phantom.piecewiseConstant(height: 40, width: 40, regions: regions, seed: 9)
            #expect(Set(g.storage).count <= regions + 1)
        }
    }
}

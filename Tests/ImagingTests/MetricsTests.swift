import Foundation
import Testing
@testable import Imaging

/// The inputs of make_ssim_reference.py, rebuilt bit for bit.
func hashGrid(_ shape: Shape, salt: Int) -> Grid {
    Grid(shape: shape) { k in
        Double((UInt64(k) &* 2_654_435_761 &+ UInt64(salt) &* 40503) % 4_294_967_296) / 4_294_967_296
    }
}

@Suite struct MetricsTests {
    struct Case {
        let name: String, shape: Shape, image: String?
        let s1: Int, s2: Int, a: Double, b: Double, c: Double, range: Double
        let ssim: Double, psnr: Double, nrmse: Double
    }

    static let cases: [Case] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("ssim_reference.json")))
        let json = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (json["cases"] as! [[String: Any]]).map { d in
            Case(name: d["name"] as! String, shape: Shape((d["shape"] as! [NSNumber]).map { $0.intValue }),
                 image: d["image"] as? String, s1: d["s1"] as! Int, s2: d["s2"] as! Int,
                 a: (d["a"] as! NSNumber).doubleValue, b: (d["b"] as! NSNumber).doubleValue,
                 c: (d["c"] as! NSNumber).doubleValue, range: (d["R"] as! NSNumber).doubleValue,
                 ssim: (d["ssim"] as! NSNumber).doubleValue, psnr: (d["psnr"] as! NSNumber).doubleValue,
                 nrmse: (d["nrmse"] as! NSNumber).doubleValue)
        }
    }()

    @Test func agreesWithScikitImage() throws {
        #expect(Self.cases.count == 4)
        for t in Self.cases {
            let ref = t.image == "camera" ? try PNG.read(TestFiles.camera()) : hashGrid(t.shape, salt: t.s1)
            #expect(ref.shape == t.shape)
            let h = hashGrid(t.shape, salt: t.s2)
            var x = ref
            for i in 0..<x.count { x.storage[i] = t.a * ref.storage[i] + t.b + t.c * (h.storage[i] - 0.5) }
            let ssim = Metrics.ssim(x, reference: ref, dataRange: t.range)
            let psnr = Metrics.psnr(x, reference: ref, dataRange: t.range)
            let nrmse = Metrics.nrmse(x, reference: ref)
            print("[MetricsTests] \(t.name): |Δssim| = \(abs(ssim - t.ssim)), |Δpsnr| = \(abs(psnr - t.psnr)), |Δnrmse| = \(abs(nrmse - t.nrmse))")
            #expect(abs(ssim - t.ssim) <= 1e-10, "\(t.name): ssim \(ssim) vs skimage \(t.ssim)")
            #expect(abs(psnr - t.psnr) <= 1e-10, "\(t.name): psnr \(psnr) vs skimage \(t.psnr)")
            #expect(abs(nrmse - t.nrmse) <= 1e-10, "\(t.name): nrmse \(nrmse) vs skimage \(t.nrmse)")
        }
    }

    @Test func elementaryValues() {
        let ref = Grid(shape: Shape(2, 2), storage: [1, 2, 3, 4])
        let x = Grid(shape: Shape(2, 2), storage: [1, 2, 3, 6])
        #expect(Metrics.mse(x, reference: ref) == 1)
        #expect(Metrics.psnr(x, reference: ref, dataRange: 10) == 20)
        #expect(abs(Metrics.nrmse(x, reference: ref) - 2 / 30.0.squareRoot()) < 1e-15)
        #expect(Metrics.psnr(ref, reference: ref, dataRange: 1) == .infinity)
        #expect(Metrics.mse(ref, reference: ref) == 0)
    }

    @Test func ssimProperties() {
        let ref = hashGrid(Shape(20, 30), salt: 9)
        #expect(abs(Metrics.ssim(ref, reference: ref, dataRange: 1) - 1) < 1e-12)
        var x = ref
        for i in 0..<x.count { x.storage[i] = 1 - x.storage[i] }
        let s = Metrics.ssim(x, reference: ref, dataRange: 1)
        #expect(s < 0, "an inverted image is anti-correlated")
        #expect(abs(Metrics.ssim(ref, reference: x, dataRange: 1) - s) < 1e-14, "symmetric")
    }
}

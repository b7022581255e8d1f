import Foundation
import Testing
@testable import Imaging

/// Paths of test inputs, located relative to this source file.
enum TestFiles {
    static func fixture(_ name: String, file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }
    static func camera(file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent()
            .appendingPathComponent("../../data/images/camera.png").standardizedFileURL.path
    }
    /// A fresh temporary folder for outputs.
    static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("wb-png-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}

/// One fixture as recorded by make_png_fixtures.py.
struct PNGFixture {
    let width: Int, height: Int, bitDepth: Int, colorType: Int
    let samples: [Int]
    var channels: Int { samples.count / (width * height) }
    var maxLevel: Double { bitDepth == 16 ? 65535 : 255 }

    static let all: [String: PNGFixture] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("png_fixtures.json")))
        let json = try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        return json.mapValues { d in
            PNGFixture(width: d["width"] as! Int, height: d["height"] as! Int,
                       bitDepth: d["bit_depth"] as! Int, colorType: d["color_type"] as! Int,
                       samples: (d["samples"] as! [NSNumber]).map { $0.intValue })
        }
    }()

    /// Stored sample `c` of pixel `p`.
    func sample(_ p: Int, _ c: Int) -> Int { samples[p * channels + c] }
}

@Suite struct PNGTests {
    static let exactFixtures = ["gray8.png", "gray16.png", "rgb8.png", "rgb16.png", "ga8.png", "rgba8.png",
                                "palette8.png", "palette_trns8.png", "gray16_gama.png", "gray8_gama1.png"]

    @Test(arguments: exactFixtures)
    func fixtureValuesReadExactly(name: String) throws {
        let f = try #require(PNGFixture.all[name])
        let path = TestFiles.fixture(name)
        let rgba = try PNG.read(path, channels: .rgba)
        let rgb = try PNG.read(path, channels: .rgb)
        let gray = try PNG.read(path, channels: .gray)
        #expect(rgba.shape == Shape(f.height, f.width, 4))
        #expect(rgb.shape == Shape(f.height, f.width, 3))
        #expect(gray.shape == Shape(f.height, f.width))
        let colour = f.channels >= 3, alpha = f.channels == 2 || f.channels == 4
        var mismatches = 0
        for p in 0..<(f.width * f.height) {
            let r = f.sample(p, 0), g = colour ? f.sample(p, 1) : r, b = colour ? f.sample(p, 2) : r
            let a = alpha ? Double(f.sample(p, f.channels - 1)) / f.maxLevel : 1.0
            let expected = [Double(r) / f.maxLevel, Double(g) / f.maxLevel, Double(b) / f.maxLevel, a]
            for c in 0..<4 where rgba.storage[p * 4 + c] != expected[c] { mismatches += 1 }
            for c in 0..<3 where rgb.storage[p * 3 + c] != expected[c] { mismatches += 1 }
            let y = colour ? (0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)) / f.maxLevel
                           : Double(r) / f.maxLevel
            if gray.storage[p] != y { mismatches += 1 }
        }
        #expect(mismatches == 0, "\(name): \(mismatches) samples differ from what the script wrote")
    }

    /// 16-bit files with alpha come back premultiplied from libpng; wb divides alpha out.
    @Test(arguments: ["ga16.png", "rgba16.png"])
    func sixteenBitAlphaIsUnpremultiplied(name: String) throws {
        let f = try #require(PNGFixture.all[name])
        let rgba = try PNG.read(TestFiles.fixture(name), channels: .rgba)
        let gray = try PNG.read(TestFiles.fixture(name), channels: .gray)
        var opaque = 0, partial = 0, transparent = 0
        for p in 0..<(f.width * f.height) {
            let a = f.sample(p, f.channels - 1)
            #expect(rgba.storage[p * 4 + 3] == Double(a) / 65535, "alpha is exact")
            for c in 0..<3 {
                let stored = f.sample(p, f.channels >= 3 ? c : 0)
                let got = rgba.storage[p * 4 + c] * 65535
                if a == 65535 {
                    #expect(got == Double(stored)); opaque += 1
                } else if a == 0 {
                    #expect(got == 0); transparent += 1
                } else {
                    // premultiplied rounding, divided out: within 65535/(2a) + ½ levels
                    #expect(abs(got - Double(stored)) <= 65535 / (2 * Double(a)) + 0.5)
                    partial += 1
                }
            }
            if f.channels == 2 { #expect(gray.storage[p] == rgba.storage[p * 4]) }
        }
        #expect(opaque > 0 && partial > 0 && transparent > 0)
    }

    /// Without the chunk stripping libpng would convert: gamma 1/2.2 on 16-bit → linear,
    /// gamma 1.0 on 8-bit → sRGB. These files must read as stored (checked in the exact test)
    /// and equal their chunk-free twins' values.
    @Test func colourSpaceChunksAreIgnored() throws {
        let f = try #require(PNGFixture.all["gray16_gama.png"])
        let g = try PNG.read(TestFiles.fixture("gray16_gama.png"))
        #expect(g.storage.map { Int(($0 * 65535).rounded()) } == f.samples)
        #expect(g.storage == f.samples.map { Double($0) / 65535 })
    }

    @Test func headers() throws {
        let expected: [(String, Int, Int, Int, String, Int)] = [
            ("gray8.png", 5, 4, 8, "gray", 1), ("gray16.png", 5, 4, 16, "gray", 1),
            ("rgb8.png", 4, 3, 8, "rgb", 3), ("rgb16.png", 4, 3, 16, "rgb", 3),
            ("ga8.png", 5, 2, 8, "gray+alpha", 2), ("ga16.png", 5, 2, 16, "gray+alpha", 2),
            ("rgba8.png", 5, 2, 8, "rgba", 4), ("rgba16.png", 5, 2, 16, "rgba", 4),
            ("palette8.png", 4, 3, 8, "palette", 3), ("palette_trns8.png", 4, 3, 8, "palette", 4),
        ]
        for (name, w, h, depth, type, channels) in expected {
            let header = try PNG.header(TestFiles.fixture(name))
            #expect(header == PNGHeader(width: w, height: h, bitDepth: depth, colorType: type, channels: channels),
                    "\(name)")
        }
    }

    @Test func cameraImage() throws {
        let path = TestFiles.camera()
        #expect(try PNG.header(path) == PNGHeader(width: 512, height: 512, bitDepth: 8, colorType: "gray", channels: 1))
        let g = try PNG.read(path)
        #expect(g.shape == Shape(512, 512))
        // Values pinned with Pillow: sum of the 8-bit samples, and three pixels.
        #expect(Int((g.sum * 255).rounded()) == 33_832_495)
        #expect(g[0, 0] == 200.0 / 255 && g[100, 200] == 54.0 / 255 && g[511, 511] == 149.0 / 255)
    }

    @Test(arguments: [8, 16])
    func roundTripIsExact(bitDepth: Int) throws {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let levels = bitDepth == 16 ? 65535 : 255
        var rng = RandomSource(seed: 11)
        for (shape, channels) in [(Shape(7, 9), PNGChannels.gray), (Shape(6, 5, 3), .rgb), (Shape(4, 8, 4), .rgba)] {
            var g = Grid(shape: shape)
            for i in 0..<g.count { g.storage[i] = Double(Int(rng.next() % UInt64(levels + 1))) / Double(levels) }
            g.storage[0] = 0; g.storage[1] = 1
            if channels == .rgba { for p in 0..<(g.count / 4) { g.storage[p * 4 + 3] = 1 } }  // opaque
            let path = dir + "/rt-\(channels.rawValue).png"
            let report = try PNG.write(g, to: path, bitDepth: bitDepth)
            #expect(report.clippedLow == 0 && report.clippedHigh == 0)
            let header = try PNG.header(path)
            #expect(header.bitDepth == bitDepth)
            #expect(header.colorType == ["gray": "gray", "rgb": "rgb", "rgba": "rgba"][channels.rawValue])
            let back = try PNG.read(path, channels: channels)
            #expect(back == g, "\(shape) at \(bitDepth) bits")
        }
    }

    /// Alpha and colour of partly transparent pixels: 8-bit is exact, 16-bit within rounding.
    @Test(arguments: [8, 16])
    func transparentRoundTrip(bitDepth: Int) throws {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let levels = Double(bitDepth == 16 ? 65535 : 255)
        var g = Grid(shape: Shape(3, 4, 4))
        var rng = RandomSource(seed: 5)
        for p in 0..<12 {
            for c in 0..<3 { g.storage[p * 4 + c] = (rng.uniform() * levels).rounded() / levels }
            g.storage[p * 4 + 3] = (Double(p + 1) * levels / 12).rounded() / levels   // last pixel opaque
        }
        try PNG.write(g, to: dir + "/a.png", bitDepth: bitDepth)
        let back = try PNG.read(dir + "/a.png", channels: .rgba)
        for p in 0..<12 {
            let a = g.storage[p * 4 + 3] * levels
            #expect(back.storage[p * 4 + 3] == g.storage[p * 4 + 3])
            for c in 0..<3 {
                let err = abs(back.storage[p * 4 + c] - g.storage[p * 4 + c]) * levels
                if bitDepth == 8 || a == levels { #expect(err == 0) } else { #expect(err <= 65535 / a + 1) }
            }
        }
    }

    @Test func clippingIsCounted() throws {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let g = Grid(shape: Shape(2, 3), storage: [-0.5, 0, 0.5, 1, 1.5, 2])
        let report = try PNG.write(g, to: dir + "/c.png")
        #expect(report.clippedLow == 1 && report.clippedHigh == 2)
        let back = try PNG.read(dir + "/c.png")
        #expect(back.storage == [0, 0, 128.0 / 255, 1, 1, 1])   // 127.5 rounds half away from zero
    }

    @Test func displayRangeMapsLinearly() throws {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let g = Grid(shape: Shape(1, 6), storage: [-2, -1, 0, 1, 3, 4])
        let report = try PNG.write(g, to: dir + "/d.png", bitDepth: 16, displayRange: -1...3)
        #expect(report.clippedLow == 1 && report.clippedHigh == 1)
        let back = try PNG.read(dir + "/d.png")
        let expected = [0, 0, 16384, 32768, 65535, 65535].map { Double($0) / 65535 }  // (v+1)·65535/4 rounded
        #expect(back.storage == expected)
    }

    @Test func writeErrorsLeaveNoFile() throws {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.png"
        let nan = Grid(shape: Shape(2, 2), storage: [0, .nan, 0.5, 1])
        #expect { try PNG.write(nan, to: path) } throws: { e in
            if case ImagingError.invalidData(let source, _) = e { return source == path }
            return false
        }
        #expect { try PNG.write(Grid(shape: Shape(2, 2)), to: path, bitDepth: 12) } throws: { e in
            if case ImagingError.invalidParameter(let name, _) = e { return name == "bitDepth" }
            return false
        }
        #expect(throws: ImagingError.self) { try PNG.write(Grid(shape: Shape(2, 2)), to: path, displayRange: 1...1) }
        #expect(throws: ImagingError.self) { try PNG.write(Grid(shape: Shape(4)), to: path) }
        #expect(throws: ImagingError.self) { try PNG.write(Grid(shape: Shape(2, 2, 2)), to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: ImagingError.self) { try PNG.write(Grid(shape: Shape(2, 2)), to: dir + "/missing/x.png") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func readErrorsNameTheFile() throws {
        let missing = TestFiles.fixture("does_not_exist.png")
        #expect(throws: ImagingError.fileNotFound(path: missing)) { try PNG.read(missing) }
        #expect(throws: ImagingError.fileNotFound(path: missing)) { try PNG.header(missing) }
        for name in ["not_a_png.png", "truncated.png"] {
            let path = TestFiles.fixture(name)
            #expect { try PNG.read(path) } throws: { e in
                if case ImagingError.png(let p, let reason) = e { return p == path && !reason.isEmpty }
                return false
            }
        }
        #expect { try PNG.header(TestFiles.fixture("not_a_png.png")) } throws: { e in
            if case ImagingError.png(let p, _) = e { return p == TestFiles.fixture("not_a_png.png") }
            return false
        }
    }
}

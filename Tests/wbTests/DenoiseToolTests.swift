import Foundation
import Testing
import Imaging

/// End-to-end tests of the solver tools (denoise tv, denoise foe, foe-model, deblur tv) on 32×32 data.
@Suite(.serialized) struct DenoiseToolTests {
    /// Writes the clean test image and a seeded noisy copy (σ = 0.1) as in.h5:/image and clean.h5:/image.
    func prepare(_ dir: TempDir, noisy: Grid? = nil) throws -> (clean: Grid, noisy: Grid) {
        let clean = testImage()
        let y = try noisy ?? Noise.add(.gaussian(sigma: 0.1), to: clean, seed: 5)
        for (name, g) in [("clean.h5", clean), ("in.h5", y)] {
            let f = try HDF5File(dir.file(name), mode: .create)
            try f.write(g, to: "/image")
            f.close()
        }
        return (clean, y)
    }

    func psnr(_ g: Grid, _ clean: Grid) -> Double { Metrics.psnr(g, reference: clean, dataRange: 1) }

    @Test func denoiseTVImprovesPSNRAndStoresConvergence() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, noisy) = try prepare(dir)
        let r = try CLI.run(["denoise", "tv", "--lambda", "0.08", "--tolerance", "1e-5", "in.h5", "out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("converged=true"), "\(r.stdout)")
        #expect(r.stdout.contains("relative_gap="))
        #expect(!r.stderr.contains("warning"))
        let f = try HDF5File(dir.file("out.h5"))
        defer { f.close() }
        let x = try f.readGrid(f.defaultSignalPath())
        #expect(psnr(x, clean) > psnr(noisy, clean) + 3)
        for column in ["iteration", "objective", "gap", "relative_gap", "seconds"] {
            #expect(f.isDataset("/entry/process/convergence/\(column)"), "missing \(column)")
        }
        let gaps = try f.readGrid("/entry/process/convergence/relative_gap")
        #expect(gaps.storage.last! <= 1e-5)
    }

    @Test func denoiseTVMethodsAgree() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try prepare(dir)
        for (method, out) in [("primal-dual", "a.h5"), ("dual-fista", "b.h5")] {
            let r = try CLI.run(["denoise", "tv", "--lambda", "0.1", "--anisotropic", "--tolerance", "1e-7",
                                 "--max-iterations", "20000", "--method", method, "in.h5", out], in: dir.path)
            #expect(r.code == 0, "\(r.stderr)")
        }
        let a = try HDF5File(dir.file("a.h5")), b = try HDF5File(dir.file("b.h5"))
        defer { a.close(); b.close() }
        let xa = try a.readGrid(a.defaultSignalPath()), xb = try b.readGrid(b.defaultSignalPath())
        #expect(xa.squaredDistance(to: xb).squareRoot() / xa.norm < 1e-3)
    }

    @Test func denoiseTVColourPNG() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let gray = testImage()
        var colour = Grid(shape: Shape(32, 32, 3))
        for i in 0..<32 { for j in 0..<32 { for c in 0..<3 { colour[i, j, c] = gray[i, j] * (0.6 + 0.2 * Double(c)) } } }
        let noisy = try Noise.add(.gaussian(sigma: 0.1), to: colour, seed: 2)
        let f = try HDF5File(dir.file("rgb.h5"), mode: .create)
        try f.write(noisy, to: "/image")
        f.close()
        for channels in ["separate", "vectorial"] {
            let r = try CLI.run(["denoise", "tv", "--lambda", "0.08", "--channels", channels, "rgb.h5", "\(channels).h5"], in: dir.path)
            #expect(r.code == 0, "\(r.stderr)")
            let o = try HDF5File(dir.file("\(channels).h5"))
            let x = try o.readGrid(o.defaultSignalPath())
            o.close()
            #expect(x.shape == Shape(32, 32, 3))
            #expect(psnr(x, colour) > psnr(noisy, colour) + 3, "\(channels)")
        }
        // A colour PNG read with --rgb keeps its three channels.
        try PNG.write(colour, to: dir.file("rgb.png"), bitDepth: 16)
        let r = try CLI.run(["denoise", "tv", "--lambda", "0.05", "--rgb", "rgb.png", "rgb-out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let o = try HDF5File(dir.file("rgb-out.h5"))
        defer { o.close() }
        #expect(try o.readGrid(o.defaultSignalPath()).shape == Shape(32, 32, 3))
    }

    @Test func denoiseTVWarnsWhenCapIsHit() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try prepare(dir)
        let r = try CLI.run(["denoise", "tv", "--lambda", "0.1", "--max-iterations", "2", "in.h5", "out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: denoise tv did not converge in 2 iterations: relative primal–dual gap"), "\(r.stderr)")
        #expect(r.stdout.contains("converged=false") && r.stdout.contains("iterations=2"), "\(r.stdout)")
        #expect(FileManager.default.fileExists(atPath: dir.file("out.h5")))
    }

    @Test func denoiseTVInVolume() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let clean = Grid(shape: Shape(8, 16, 16)) { $0 % 256 < 128 ? 0.2 : 0.8 }
        let noisy = try Noise.add(.gaussian(sigma: 0.1), to: clean, seed: 4)
        let f = try HDF5File(dir.file("vol.h5"), mode: .create)
        try f.write(noisy, to: "/volume")
        f.close()
        let r = try CLI.run(["denoise", "tv", "--lambda", "0.1", "vol.h5", "out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let o = try HDF5File(dir.file("out.h5"))
        defer { o.close() }
        let x = try o.readGrid(o.defaultSignalPath())
        #expect(x.shape == clean.shape)
        #expect(psnr(x, clean) > psnr(noisy, clean) + 3)
    }

    @Test func foeModelAndDenoising() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, noisy) = try prepare(dir)
        let m = try CLI.run(["foe-model", "--filters", "dct", "--count", "8", "--size", "3", "--weight", "0.05",
                             "--smoothing", "0.02", "foe.h5"], in: dir.path)
        #expect(m.code == 0, "\(m.stderr)")
        let model = try FieldOfExpertsModelFile.read(dir.file("foe.h5"))
        #expect(model.filters.shape == Shape(8, 3, 3) && model.weights == Array(repeating: 0.05, count: 8))
        #expect(model.boundary == "reflect")
        let r = try CLI.run(["denoise", "foe", "--model", "foe.h5", "in.h5", "out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("converged=true"), "\(r.stdout)")
        let f = try HDF5File(dir.file("out.h5"))
        defer { f.close() }
        #expect(psnr(try f.readGrid(f.defaultSignalPath()), clean) > psnr(noisy, clean) + 2)
        #expect(f.isDataset("/entry/process/convergence/residual"))
        #expect(f.isDataset("/entry/process/convergence/objective"))
    }

    @Test func foeModelRoundTripsRandomFilters() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let r = try CLI.run(["foe-model", "--filters", "random", "--count", "5", "--size", "5", "--seed", "9",
                             "--boundary", "periodic", "--weight", "0.1", "--smoothing", "0.3", "m.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let m = try FieldOfExpertsModelFile.read(dir.file("m.h5"))
        #expect(m.filters.shape == Shape(5, 5, 5) && m.boundary == "periodic" && m.smoothings == Array(repeating: 0.3, count: 5))
        for k in 0..<5 {
            let f = m.filters.slice(k)
            #expect(abs(f.storage.reduce(0, +)) < 1e-12)
            #expect(abs(f.norm - 1) < 1e-12)
        }
    }

    @Test func pipelineWithDenoiseTVStep() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, _) = try prepare(dir)
        let yaml = """
        name: tv
        seed: 3
        steps:
          - {id: clean, tool: convert, inputs: ["clean.h5:/image"]}
          - {id: noisy, tool: noise, inputs: [clean], params: {sigma: 0.1}}
          - {id: denoised, tool: denoise-tv, inputs: [noisy], params: {lambda: 0.08, max_iterations: 300}}
          - {id: aniso, tool: denoise-tv, inputs: [noisy], params: {lambda: 0.08, anisotropic: true, max_iterations: 300}}
          - {id: score, tool: metrics, inputs: [denoised, clean]}
          - {id: before, tool: metrics, inputs: [noisy, clean]}
        outputs: {file: out.h5, default: denoised}
        """
        try yaml.write(toFile: dir.file("p.yaml"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "p.yaml"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let f = try HDF5File(dir.file("out.h5"))
        defer { f.close() }
        let x = try f.readGrid("/entry/denoised/data"), y = try f.readGrid("/entry/noisy/data")
        #expect(psnr(x, clean) > psnr(y, clean) + 3)
        #expect(f.isDataset("/entry/process/convergence/relative_gap"))
        // Each solver step keeps its own history; `convergence` is the default step's.
        let own = try f.readGrid("/entry/process/convergence_denoised/relative_gap")
        #expect(try f.readGrid("/entry/process/convergence/relative_gap") == own)
        #expect(f.isDataset("/entry/process/convergence_aniso/relative_gap"))
        #expect(try f.attribute("wb_tool", of: "/entry/denoised")?.stringValue == "denoise-tv")
    }

    @Test func deblurTVImprovesPSNR() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let clean = testImage()
        var y = GaussianBlur(shape: clean.shape, sigma: 1)(clean)
        y = try Noise.add(.gaussian(sigma: 0.01), to: y, seed: 8)
        _ = try prepare(dir, noisy: y)
        let r = try CLI.run(["deblur", "tv", "--sigma", "1", "--lambda", "0.002", "--max-iterations", "3000", "in.h5", "out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("converged=true") && r.stdout.contains("relative_gap="), "\(r.stdout)")
        let f = try HDF5File(dir.file("out.h5"))
        defer { f.close() }
        #expect(psnr(try f.readGrid(f.defaultSignalPath()), clean) > psnr(y, clean) + 2)
        #expect(f.isDataset("/entry/process/convergence/gap"))
        #expect(f.isDataset("/entry/process/convergence/residual"))
    }

    @Test func deblurTVWithKernelFileMatchesGaussian() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let clean = testImage()
        let y = try Noise.add(.gaussian(sigma: 0.01), to: GaussianBlur(shape: clean.shape, sigma: 1)(clean), seed: 8)
        _ = try prepare(dir, noisy: y)
        // The sampled 1-D Gaussian (σ = 1, 9 taps) as an explicit 9×9 kernel.
        let k1 = GaussianBlur.kernel1D(sigma: 1)
        let kernel = Grid(shape: Shape(9, 9)) { k1[$0 / 9] * k1[$0 % 9] }
        let kf = try HDF5File(dir.file("psf.h5"), mode: .create)
        try kf.write(kernel, to: "/psf")
        kf.close()
        let a = try CLI.run(["deblur", "tv", "--kernel", "psf.h5:/psf", "--lambda", "0.002", "in.h5", "a.h5"], in: dir.path)
        let b = try CLI.run(["deblur", "tv", "--sigma", "1", "--lambda", "0.002", "in.h5", "b.h5"], in: dir.path)
        #expect(a.code == 0 && b.code == 0, "\(a.stderr) \(b.stderr)")
        let fa = try HDF5File(dir.file("a.h5")), fb = try HDF5File(dir.file("b.h5"))
        defer { fa.close(); fb.close() }
        let xa = try fa.readGrid(fa.defaultSignalPath()), xb = try fb.readGrid(fb.defaultSignalPath())
        #expect(xa.squaredDistance(to: xb).squareRoot() < 1e-9 * xb.norm)
    }
}

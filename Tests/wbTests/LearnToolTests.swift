import Foundation
import Testing
import Imaging
import Inverse

/// `wb learn tv|foe` end to end on tiny data, the model files they write, `denoise tv --model`,
/// the learn → denoise pipeline, and bad inputs.
@Suite(.serialized) struct LearnToolTests {
    /// Three 32×32 clean images and seeded noisy copies (σ = 0.1) as (3, 32, 32) stacks.
    func stacks() throws -> (clean: Grid, noisy: Grid) {
        var frames: [Grid] = []
        for k in 0..<3 {
            var g = Grid.image(height: 32, width: 32)
            for i in 0..<32 { for j in 0..<32 {
                let edge = (i + 3 * k) > 14 && j > 8 + 4 * k ? 0.35 : 0.0
                g[i, j] = 0.25 + edge + 0.3 * sin(Double(i + 5 * k) / 6) * cos(Double(j) / 9)
            } }
            frames.append(g)
        }
        let clean = Grid.stack(frames)
        return (clean, try Noise.add(.gaussian(sigma: 0.1), to: clean, seed: 3))
    }

    func write(_ g: Grid, _ path: String, dataset: String = "/image") throws {
        let f = try HDF5File(path, mode: .create)
        try f.write(g, to: dataset)
        f.close()
    }

    func json(_ stdout: String) throws -> [String: Any] {
        let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }

    func rms(_ a: Grid, _ b: Grid) -> Double { (a.squaredDistance(to: b) / Double(a.count)).squareRoot() }

    @Test func learnTVFromHDF5StacksWritesAModelThatDenoiseTVReads() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, noisy) = try stacks()
        try write(clean, dir.file("clean.h5"), dataset: "/clean")
        try write(noisy, dir.file("noisy.h5"), dataset: "/noisy")
        try write(noisy.slice(0), dir.file("y0.h5"))
        let r = try CLI.run(["learn", "tv", "--json", "--quiet", "--noisy", "noisy.h5:/noisy", "--max-outer", "25",
                             "clean.h5:/clean", "tv.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try json(r.stdout)
        let lambda = try #require(s["lambda"] as? Double)
        #expect(lambda > 0.02 && lambda < 1, "λ = \(lambda) did not move from 0.01 towards a useful weight")
        let psnr = try #require(s["training_psnr"] as? Double), psnrNoisy = try #require(s["training_psnr_noisy"] as? Double)
        #expect(psnr > psnrNoisy + 2, "training PSNR \(psnr) vs noisy \(psnrNoisy)")
        #expect((s["lower_level_iterations"] as? Int ?? 0) > 0 && (s["cg_iterations"] as? Int ?? 0) > 0)
        #expect(s["stop_reason"] is String)

        let model = try TVModelFile.read(dir.file("tv.h5"))
        #expect(abs(model.weight / lambda - 1) < 1e-12 && model.isotropic && model.smoothing == 0.05)
        let f = try HDF5File(dir.file("tv.h5"))
        for c in ["loss", "loss_upper", "loss_lower", "epsilon", "delta", "step", "lower_level_iterations", "cg_iterations", "seconds", "lambda", "theta"] {
            #expect(f.isDataset("/entry/process/convergence/\(c)"), "missing convergence/\(c)")
        }
        let theta = try f.readGrid("/entry/process/convergence/theta")
        #expect(theta.rank == 2 && theta.shape[1] == 1)
        #expect((try NeXus.readProvenance(from: f)?.inputs ?? []).contains { $0.hasSuffix("noisy.h5") })
        let example = try f.readGrid(f.defaultSignalPath())
        f.close()
        #expect(try String(contentsOfFile: dir.file("tv_loss.svg"), encoding: .utf8).contains("<svg"))

        // denoise tv --model solves the learned (smoothed) model: the learn output's first image.
        let d = try CLI.run(["denoise", "tv", "--model", "tv.h5", "y0.h5", "x0.h5"], in: dir.path)
        #expect(d.code == 0, "\(d.stderr)")
        let o = try HDF5File(dir.file("x0.h5"))
        let x0 = try o.readGrid(o.defaultSignalPath())
        #expect((try NeXus.readProvenance(from: o)?.inputs ?? []).contains { $0.hasSuffix("tv.h5") })
        o.close()
        #expect(rms(x0, example) < 3e-4, "denoise tv --model differs from learn's reconstruction: RMS \(rms(x0, example))")
        #expect(Metrics.psnr(x0, reference: clean.slice(0), dataRange: 1) > Metrics.psnr(noisy.slice(0), reference: clean.slice(0), dataRange: 1) + 2)
    }

    @Test func learnFoEFromAPNGFolderWritesAVersion1ModelThatDenoiseFoEReads() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, _) = try stacks()
        try FileManager.default.createDirectory(atPath: dir.file("train"), withIntermediateDirectories: true)
        for k in 0..<2 { try PNG.write(clean.slice(k), to: dir.file("train/im\(k).png"), bitDepth: 16) }
        try PNG.write(clean.slice(2), to: dir.file("val.png"), bitDepth: 16)
        let r = try CLI.run(["learn", "foe", "--json", "--quiet", "--sigma", "0.1", "--seed", "4", "--crop-size", "24",
                             "--crops-per-image", "2", "--filters", "4", "--filter-size", "3", "--max-outer", "6",
                             "--validation", "val.png", "train", "foe.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try json(r.stdout)
        #expect(s["training_images"] as? Int == 4)
        #expect(s["validation_images"] as? Int == 2)
        let v = try #require(s["validation_psnr"] as? Double), vn = try #require(s["validation_psnr_noisy"] as? Double)
        #expect(v > vn + 1, "validation PSNR \(v) vs noisy \(vn)")

        let model = try FieldOfExpertsModelFile.read(dir.file("foe.h5"))
        #expect(model.filterCount == 4 && model.filters.shape == Shape(4, 3, 3) && model.boundary == "reflect")
        let f = try HDF5File(dir.file("foe.h5"))
        #expect(try f.attributes(of: "/model")["version"]?.intValue == 1)
        #expect(f.isDataset("/entry/filters/data"))
        #expect(try f.readGrid("/entry/process/convergence/theta").shape[1] == 4 * 9 + 8)
        let inputs = (try NeXus.readProvenance(from: f)?.inputs ?? [])
        #expect(inputs.contains { $0.hasSuffix("train/im0.png") } && inputs.contains { $0.hasSuffix("val.png") })
        let example = try f.readGrid(f.defaultSignalPath())
        f.close()
        let panel = try PNG.read(dir.file("foe_filters.png"))
        #expect(panel.shape[0] >= 2 * 63 && panel.shape[1] >= 2 * 63, "filter panel \(panel.shape)")
        #expect(FileManager.default.fileExists(atPath: dir.file("foe_loss.svg")))

        // The same crop and noise as learn's first training pair, denoised by denoise foe.
        let again = try CLI.run(["learn", "foe", "--quiet", "--sigma", "0.1", "--seed", "4", "--crop-size", "24",
                                 "--crops-per-image", "2", "--filters", "4", "--filter-size", "3", "--max-outer", "6",
                                 "--validation", "val.png", "train", "foe2.h5"], in: dir.path)
        #expect(again.code == 0)
        let g = try HDF5File(dir.file("foe2.h5"))
        #expect(try g.readGrid(g.defaultSignalPath()) == example, "same seed, different result")
        g.close()
    }

    @Test func denoiseTVWithAHandMadeSmoothedModel() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, noisy) = try stacks()
        try write(noisy.slice(1), dir.file("y.h5"))
        try TVModelFile(weight: 0.08, smoothing: 0.02, isotropic: true).write(to: dir.file("tv.h5"))
        let r = try CLI.run(["denoise", "tv", "--model", "tv.h5", "--tolerance", "1e-6", "y.h5", "x.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("smoothing=0.02") && r.stdout.contains("converged=true"), "\(r.stdout)")
        let o = try HDF5File(dir.file("x.h5"))
        let x = try o.readGrid(o.defaultSignalPath())
        o.close()
        let reference = try SmoothDenoising.solve(noisy: noisy.slice(1), regularizer: SmoothedTV(shape: Shape(32, 32), weight: 0.08, smoothing: 0.02, isotropic: true),
                                                  distanceTolerance: 1e-8, maxIterations: 20000).0
        #expect(rms(x, reference) < 2e-6)
        #expect(Metrics.psnr(x, reference: clean.slice(1), dataRange: 1) > Metrics.psnr(noisy.slice(1), reference: clean.slice(1), dataRange: 1) + 3)
        // --nonsmooth: the learned λ in exact TV, identical to --lambda.
        for (args, out) in [(["--model", "tv.h5", "--nonsmooth"], "a.h5"), (["--lambda", "0.08"], "b.h5")] {
            let q = try CLI.run(["denoise", "tv"] + args + ["y.h5", out], in: dir.path)
            #expect(q.code == 0, "\(q.stderr)")
        }
        let a = try HDF5File(dir.file("a.h5")), b = try HDF5File(dir.file("b.h5"))
        #expect(try a.readGrid(a.defaultSignalPath()) == b.readGrid(b.defaultSignalPath()))
        a.close(); b.close()
        // Wrong model kind, conflicting options.
        try FieldOfExpertsModelFile(filters: FieldOfExperts.dctFilters(size: 3, count: 2), weights: [0.1, 0.1], smoothings: [0.1, 0.1])
            .write(to: dir.file("foe.h5"))
        let wrong = try CLI.run(["denoise", "tv", "--model", "foe.h5", "y.h5", "w.h5"], in: dir.path)
        #expect(wrong.code == 1 && wrong.stderr.contains("not a smoothed-TV model"), "\(wrong.stderr)")
        let wrong2 = try CLI.run(["denoise", "foe", "--model", "tv.h5", "y.h5", "w.h5"], in: dir.path)
        #expect(wrong2.code == 1 && wrong2.stderr.contains("not a field-of-experts model"), "\(wrong2.stderr)")
        let both = try CLI.run(["denoise", "tv", "--model", "tv.h5", "--lambda", "0.1", "y.h5", "w.h5"], in: dir.path)
        #expect(both.code == 2 && both.stderr.contains("exclude"), "\(both.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("w.h5")))
    }

    @Test func pipelinePassesTheLearnedModelToDenoise() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, noisy) = try stacks()
        try write(clean, dir.file("clean.h5"), dataset: "/clean")
        try write(noisy.slice(2), dir.file("y.h5"))
        try write(clean.slice(2), dir.file("x.h5"))
        let yaml = """
        name: learn-test
        seed: 5
        steps:
          - {id: images, tool: convert, inputs: ["clean.h5:/clean"]}
          - {id: learn, tool: learn-tv, inputs: [images], params: {sigma: 0.1, max_outer: 15}}
          - {id: denoised, tool: denoise-tv, inputs: ["y.h5"], params: {model: learn}}
          - {id: score, tool: metrics, inputs: [denoised, "x.h5"]}
        outputs: {file: out.h5, default: denoised}
        """
        try yaml.write(toFile: dir.file("p.yaml"), atomically: true, encoding: .utf8)
        let dry = try CLI.run(["run", "--dry-run", "p.yaml"], in: dir.path)
        #expect(dry.code == 0 && dry.stdout.contains("--model out.h5:/entry/learn/model"), "\(dry.stdout)\(dry.stderr)")
        let r = try CLI.run(["run", "--quiet", "--json", "p.yaml"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let out = try HDF5File(dir.file("out.h5"))
        #expect(try out.attributes(of: "/entry/learn/model")["model"]?.stringValue == "smoothed-tv")
        #expect(out.isDataset("/entry/process/convergence_learn/theta"))
        let x = try out.readGrid("/entry/denoised/data")
        out.close()
        #expect(FileManager.default.fileExists(atPath: dir.file("out_learn_loss.svg")))
        // The stored model denoises the same way afterwards, standalone.
        let d = try CLI.run(["denoise", "tv", "--model", "out.h5:/entry/learn/model", "y.h5", "again.h5"], in: dir.path)
        #expect(d.code == 0, "\(d.stderr)")
        let a = try HDF5File(dir.file("again.h5"))
        #expect(try a.readGrid(a.defaultSignalPath()) == x)
        a.close()
        // A model option naming a step without a model is refused before anything runs.
        let bad = yaml.replacingOccurrences(of: "{model: learn}", with: "{model: images}")
        try bad.write(toFile: dir.file("bad.yaml"), atomically: true, encoding: .utf8)
        let b = try CLI.run(["run", "--force", "bad.yaml"], in: dir.path)
        #expect(b.code != 0 && b.stderr.contains("produces no model"), "\(b.stderr)")
    }

    @Test func shippedLearnDenoisePipelineValidates() throws {
        let r = try CLI.run(["run", "--dry-run", "data/pipelines/learn-denoise.yaml"], in: repositoryRoot)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("learn-tv") && r.stdout.contains("learn-foe"))
    }

    /// Bad training data and options: clear message, non-zero exit, no output.
    @Test(arguments: [
        (["--noisy", "small.h5:/noisy", "clean.h5:/clean"], Int32(1), ["shapes differ", "clean.h5:/clean[0]"]),
        (["--noisy", "noisy2.h5:/noisy", "clean.h5:/clean"], Int32(1), ["3 clean but 2 noisy"]),
        (["--sigma", "0.1", "nan.h5:/clean"], Int32(1), ["nan.h5", "NaN"]),
        (["--sigma", "0.1", "nofolder/"], Int32(1), ["nofolder/", "no such"]),
        (["--sigma", "0.1", "empty"], Int32(1), ["empty", "no .png files"]),
        (["--sigma", "0.1", "--step-shrink", "1.5", "clean.h5:/clean"], Int32(2), ["--step-shrink"]),
        (["--sigma", "0.1", "--armijo", "0.01", "clean.h5:/clean"], Int32(2), ["--armijo"]),
        (["--sigma", "0.1", "--epsilon", "-1", "clean.h5:/clean"], Int32(2), ["--epsilon"]),
        (["--sigma", "0.1", "--memory", "0", "clean.h5:/clean"], Int32(2), ["--memory"]),
        (["--sigma", "0.1", "--direction", "newton", "clean.h5:/clean"], Int32(2), ["--direction", "lbfgs"]),
        (["--sigma", "-0.1", "clean.h5:/clean"], Int32(2), ["--sigma"]),
        (["clean.h5:/clean"], Int32(2), ["--noisy", "--sigma"]),
        (["--sigma", "0.1", "--crop-size", "40", "clean.h5:/clean"], Int32(1), ["smaller than --crop-size 40"]),
        (["--sigma", "0.1", "--crops-per-image", "3", "clean.h5:/clean"], Int32(2), ["--crop-size"]),
    ])
    func badInputs(_ args: [String], _ code: Int32, _ message: [String]) throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (clean, noisy) = try stacks()
        try write(clean, dir.file("clean.h5"), dataset: "/clean")
        try write(Grid(shape: Shape(3, 30, 30)), dir.file("small.h5"), dataset: "/noisy")
        try write(Grid.stack([noisy.slice(0), noisy.slice(1)]), dir.file("noisy2.h5"), dataset: "/noisy")
        var bad = clean
        bad.storage[100] = .nan
        try write(bad, dir.file("nan.h5"), dataset: "/clean")
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        for tool in ["tv", "foe"] {
            let before = dir.listing()
            let r = try CLI.run(["learn", tool, "--max-outer", "2"] + args + ["model.h5"], in: dir.path)
            #expect(r.code == code, "learn \(tool) \(args): exit \(r.code), stderr: \(r.stderr)")
            for m in message { #expect(r.stderr.contains(m), "learn \(tool) \(args): stderr lacks '\(m)': \(r.stderr)") }
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("HDF5-DIAG"))
            #expect(dir.listing() == before, "learn \(tool) \(args) left files behind")
        }
    }
}

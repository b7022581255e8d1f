import Foundation
import Testing
@testable import wb
import Imaging

@Suite(.serialized) struct PipelineTests {
    @Test func endToEndOn32x32() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let f = try HDF5File(dir.file("clean.h5"), mode: .create)
        try f.write(testImage(), to: "/image")
        f.close()
        let yaml = """
        name: e2e
        seed: 11
        steps:
          - {id: clean, tool: convert, inputs: ["clean.h5:/image"]}
          - {id: blurred, tool: blur, inputs: [clean], params: {sigma: 1.0}}
          - {id: noisy, tool: noise, inputs: [blurred], params: {sigma: 0.05}}
          - {id: score, tool: metrics, inputs: [noisy, clean]}
          - {id: spectrum, tool: fft, inputs: [noisy]}
        outputs: {file: out/e2e.h5, png: [noisy], default: noisy}
        """
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        try yaml.write(toFile: dir.file("p.yaml"), atomically: true, encoding: .utf8)
        let dry = try CLI.run(["run", "--dry-run", "p.yaml"], in: dir.path)
        #expect(dry.code == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("blurred: wb blur --sigma 1.0"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("out/e2e.h5")))

        let r = try CLI.run(["run", "--json", "p.yaml"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"score.psnr\""))
        let out = try HDF5File(dir.file("out/e2e.h5"))
        defer { out.close() }
        #expect(try out.defaultSignalPath() == "/entry/noisy/data")
        for id in ["clean", "blurred", "noisy", "spectrum"] { #expect(out.isDataset("/entry/\(id)/data")) }
        let noisy = try out.readGrid("/entry/noisy/data")
        let clean = testImage()
        let psnr = Metrics.psnr(noisy, reference: clean, dataRange: 1)
        #expect(psnr > 20 && psnr < 30, "PSNR \(psnr)")
        let params = try out.readString("/entry/process/parameters")
        #expect(params.contains("\"sigma\":0.05"))
        #expect(FileManager.default.fileExists(atPath: dir.file("out/e2e_noisy.png")))

        // Same seed → same result; the seed of a step does not depend on other steps.
        let r2 = try CLI.run(["run", "--force", "--quiet", "p.yaml"], in: dir.path)
        #expect(r2.code == 0, "\(r2.stderr)")
        let again = try HDF5File(dir.file("out/e2e.h5"))
        #expect(try again.readGrid("/entry/noisy/data") == noisy)
        again.close()
    }

    @Test func stepSeedsAreDerivedFromIdNotOrder() throws {
        let a = try PipelineSpec(yaml: "seed: 3\nsteps:\n  - {id: p, tool: phantom, params: {kind: piecewise, size: 16}}\noutputs: {file: x.h5}\n", file: "a.yaml")
        let b = try PipelineSpec(yaml: "seed: 3\nsteps:\n  - {id: q, tool: phantom, params: {size: 8}}\n  - {id: p, tool: phantom, params: {kind: piecewise, size: 16}}\noutputs: {file: x.h5}\n", file: "b.yaml")
        #expect(a.steps[0].seed == b.steps[1].seed)
        #expect(b.steps[0].seed != b.steps[1].seed)
    }

    @Test func standaloneToolsWriteNeXusWithProvenance() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let r = try CLI.run(["phantom", "--size", "32", "sl.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let n = try CLI.run(["noise", "--seed", "5", "--sigma", "0.1", "sl.h5", "noisy.h5"], in: dir.path)
        #expect(n.code == 0, "\(n.stderr)")
        let f = try HDF5File(dir.file("noisy.h5"))
        defer { f.close() }
        #expect(try f.attribute("NX_class", of: "/") == .string("NXroot"))
        #expect(try f.readString("/entry/process/program") == "wb")
        #expect(try f.readString("/entry/process/command_line").contains("noise"))
        let png = try CLI.run(["convert", "noisy.h5", "noisy.png", "--bit-depth", "16"], in: dir.path)
        #expect(png.code == 0, "\(png.stderr)")
        #expect(try PNG.header(dir.file("noisy.png")).bitDepth == 16)
        let m = try CLI.run(["metrics", "--json", "noisy.h5", "sl.h5"], in: dir.path)
        #expect(m.code == 0 && m.stdout.contains("\"psnr\""), "\(m.stderr)")
        let info = try CLI.run(["info", "noisy.h5"], in: dir.path)
        #expect(info.code == 0 && info.stdout.contains("default plot: /entry/noisy/data"), "\(info.stdout)\(info.stderr)")
    }

    @Test func checkAdjointPassesForEveryOperator() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let r = try CLI.run(["check", "adjoint", "--size", "17x12", "--depth", "5"], in: dir.path)
        #expect(r.code == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stdout.contains(" NO"))
    }

    @Test func parameterSnapshotIncludesDefaults() throws {
        let cmd = try NoiseCommand.parse(["--sigma", "0.2", "a.h5", "b.h5"])
        let json = ParameterSnapshot.json(of: cmd, toolName: "noise", inputs: ["a.h5"])
        #expect(json.contains("\"sigma\":0.2"))
        #expect(json.contains("\"model\":\"gaussian\""))
        #expect(json.contains("\"seed\":0"))
    }
}

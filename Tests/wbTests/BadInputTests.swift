import Foundation
import Testing
import Imaging

/// Each bad input must give exit code ≠ 0, a message naming the file/step/option and the
/// problem, and leave no output (not even a temporary file) behind.
@Suite(.serialized) struct BadInputTests {
    /// Runs `wb args` in a temp folder prepared by `setup`, then checks the failure.
    func expectFailure(_ args: [String], code: Int32 = 1, message: [String], output: String? = nil,
                       setup: (TempDir) throws -> Void = { _ in }) throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try setup(dir)
        let before = dir.listing()
        let r = try CLI.run(args, in: dir.path)
        #expect(r.code == code, "exit code \(r.code), stderr: \(r.stderr)")
        for m in message {
            #expect(r.stderr.contains(m), "stderr lacks '\(m)': \(r.stderr)")
        }
        #expect(!r.stderr.contains("HDF5-DIAG"), "HDF5 error stack leaked: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"), "crashed: \(r.stderr)")
        let after = dir.listing()
        #expect(after == before, "files changed: \(before) → \(after)")
        if let output { #expect(!FileManager.default.fileExists(atPath: dir.file(output)) || before.contains(output)) }
    }

    func writeImage(_ dir: TempDir, _ name: String = "in.h5", _ g: Grid = testImage()) throws {
        let f = try HDF5File(dir.file(name), mode: .create)
        try f.write(g, to: "/image")
        f.close()
    }

    @Test func missingFile() throws {
        try expectFailure(["noise", "nothere.png", "out.h5"], message: ["nothere.png", "no such file"], output: "out.h5")
    }

    @Test func notAPNG() throws {
        try expectFailure(["noise", "fake.png", "out.h5"], message: ["fake.png"], output: "out.h5") { d in
            try "this is text, not a PNG".write(toFile: d.file("fake.png"), atomically: true, encoding: .utf8)
        }
    }

    @Test func truncatedPNG() throws {
        try expectFailure(["noise", "cut.png", "out.h5"], message: ["cut.png"], output: "out.h5") { d in
            _ = try PNG.write(testImage(64, 64), to: d.file("full.png"))
            let data = try Data(contentsOf: URL(fileURLWithPath: d.file("full.png")))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: d.file("cut.png")))
        }
    }

    @Test func truncatedHDF5() throws {
        try expectFailure(["noise", "cut.h5", "out.h5"], message: ["cut.h5"], output: "out.h5") { d in
            try writeImage(d, "full.h5", testImage(64, 64))
            let data = try Data(contentsOf: URL(fileURLWithPath: d.file("full.h5")))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: d.file("cut.h5")))
        }
    }

    @Test func missingDataset() throws {
        try expectFailure(["noise", "in.h5:/nothing/here", "out.h5"], message: ["in.h5", "/nothing/here"], output: "out.h5") { d in
            try writeImage(d)
        }
    }

    @Test func wrongRank() throws {
        try expectFailure(["blur", "in.h5:/image", "out.h5"], message: ["in.h5", "rank 4"], output: "out.h5") { d in
            try writeImage(d, "in.h5", Grid(shape: Shape(2, 2, 8, 8), repeating: 0.5))
        }
    }

    @Test func nanInData() throws {
        try expectFailure(["noise", "in.h5:/image", "out.h5"], message: ["in.h5", "NaN"], output: "out.h5") { d in
            var g = testImage()
            g[3, 4] = .nan
            try writeImage(d, "in.h5", g)
        }
    }

    @Test func outputEqualsInput() throws {
        try expectFailure(["noise", "--force", "in.h5", "in.h5"], message: ["in.h5", "input"]) { d in
            try writeImage(d)
        }
    }

    @Test func existingOutputWithoutForce() throws {
        try expectFailure(["noise", "in.h5", "out.h5"], message: ["out.h5", "--force"]) { d in
            try writeImage(d)
            try writeImage(d, "out.h5")
        }
    }

    @Test func unwritableFolder() throws {
        try expectFailure(["noise", "in.h5", "no/such/folder/out.h5"], message: ["no/such/folder", "does not exist"]) { d in
            try writeImage(d)
        }
        // A regular file where a folder should be.
        try expectFailure(["noise", "in.h5", "in.h5/out.h5"], message: ["in.h5/out.h5"]) { d in
            try writeImage(d)
        }
    }

    @Test func unknownOutputFormat() throws {
        try expectFailure(["noise", "in.h5", "out.tiff"], message: ["out.tiff", "format"]) { d in try writeImage(d) }
    }

    @Test func badOptionValue() throws {
        try expectFailure(["noise", "--sigma=-1", "in.h5", "out.h5"], code: 2, message: ["--sigma"], output: "out.h5") { d in try writeImage(d) }
    }

    // Pipelines.
    func pipeline(_ yaml: String, _ extra: [String] = [], message: [String], code: Int32 = 1) throws {
        try expectFailure(["run"] + extra + ["p.yaml"], code: code, message: message, output: "out.h5") { d in
            try writeImage(d)
            try yaml.write(toFile: d.file("p.yaml"), atomically: true, encoding: .utf8)
        }
    }

    @Test func emptyYAML() throws {
        try pipeline("", message: ["p.yaml", "empty"])
    }

    @Test func unknownTool() throws {
        try pipeline("""
        steps:
          - {id: a, tool: sharpen, inputs: [in.h5]}
        outputs: {file: out.h5}
        """, message: ["p.yaml", "'a'", "unknown tool 'sharpen'"])
    }

    @Test func cycle() throws {
        try pipeline("""
        steps:
          - {id: a, tool: noise, inputs: [b]}
          - {id: b, tool: blur, inputs: [a]}
        outputs: {file: out.h5}
        """, message: ["p.yaml", "cycle", "'a'", "'b'"])
    }

    @Test func unknownParameter() throws {
        try pipeline("""
        steps:
          - {id: a, tool: noise, inputs: [in.h5], params: {sigmaa: 0.1}}
        outputs: {file: out.h5}
        """, message: ["p.yaml", "step 'a'", "sigmaa"])
    }

    @Test func illTypedParameter() throws {
        try pipeline("""
        steps:
          - {id: a, tool: noise, inputs: [in.h5], params: {sigma: lots}}
        outputs: {file: out.h5}
        """, message: ["p.yaml", "step 'a'", "lots", "--sigma"])
    }

    @Test func missingPipelineInput() throws {
        try pipeline("""
        steps:
          - {id: a, tool: noise, inputs: [absent.png]}
        outputs: {file: out.h5}
        """, message: ["p.yaml", "step 'a'", "absent.png", "does not exist"])
    }

    @Test func pipelineOutputIsInput() throws {
        try pipeline("""
        steps:
          - {id: a, tool: noise, inputs: [in.h5]}
        outputs: {file: in.h5}
        """, ["--force"], message: ["p.yaml", "in.h5", "input"])
    }

    @Test func failingStepLeavesNoOutput() throws {
        // The NaN is only met when the step runs: the run fails and writes nothing.
        try expectFailure(["run", "p.yaml"], message: ["step 'a'", "NaN"], output: "out.h5") { d in
            var g = testImage(); g[0, 0] = .infinity
            try writeImage(d, "in.h5", g)
            try "steps:\n  - {id: a, tool: noise, inputs: [in.h5]}\noutputs: {file: out.h5}\n"
                .write(toFile: d.file("p.yaml"), atomically: true, encoding: .utf8)
        }
    }

    @Test func unknownCommand() throws {
        try expectFailure(["sharpen", "a.png", "b.png"], code: 2, message: ["sharpen"])
    }
}

/// Bad input to the solver tools: a clear message and no output file.
@Suite(.serialized) struct SolverToolBadInputTests {
    let base = BadInputTests()

    @Test func nonPositiveLambda() throws {
        for lambda in ["0", "-0.5", "nan"] {
            try base.expectFailure(["denoise", "tv", "--lambda=\(lambda)", "in.h5", "out.h5"], code: 2,
                                   message: ["--lambda must be a finite number > 0"], output: "out.h5") { try base.writeImage($0) }
        }
    }

    @Test func wrongRankForTV() throws {
        try base.expectFailure(["denoise", "tv", "--lambda", "0.1", "in.h5", "out.h5"],
                               message: ["in.h5", "rank 1"], output: "out.h5") { d in
            try base.writeImage(d, "in.h5", Grid(shape: Shape(32), repeating: 0.5))
        }
    }

    @Test func channelsNeedColourData() throws {
        try base.expectFailure(["denoise", "tv", "--lambda", "0.1", "--channels", "vectorial", "in.h5", "out.h5"],
                               message: ["--channels needs (y, x, c) colour data"], output: "out.h5") { try base.writeImage($0) }
    }

    @Test func missingModelFile() throws {
        try base.expectFailure(["denoise", "foe", "--model", "nomodel.h5", "in.h5", "out.h5"],
                               message: ["nomodel.h5", "no such file"], output: "out.h5") { try base.writeImage($0) }
    }

    @Test func modelWithoutSmoothings() throws {
        try base.expectFailure(["denoise", "foe", "--model", "m.h5", "in.h5", "out.h5"],
                               message: ["m.h5", "/model/smoothings is missing"], output: "out.h5") { d in
            try base.writeImage(d)
            let f = try HDF5File(d.file("m.h5"), mode: .create)
            try f.createGroup("/model", attributes: ["model": .string("field-of-experts"), "version": .int(1)])
            try f.write(Grid(shape: Shape(2, 3, 3), repeating: 0.1), to: "/model/filters")
            try f.write(Grid(shape: Shape(2), repeating: 0.1), to: "/model/weights")
            f.close()
        }
    }

    @Test func notAModelFile() throws {
        try base.expectFailure(["denoise", "foe", "--model", "in.h5", "in.h5", "out.h5"],
                               message: ["in.h5", "no /model group"], output: "out.h5") { try base.writeImage($0) }
    }

    @Test func foeWarnsWhenCapIsHit() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try base.writeImage(dir)
        #expect(try CLI.run(["foe-model", "m.h5"], in: dir.path).code == 0)
        let r = try CLI.run(["denoise", "foe", "--model", "m.h5", "--max-iterations", "2", "in.h5", "out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: denoise foe did not converge in 2 iterations: residual"), "\(r.stderr)")
        #expect(r.stdout.contains("converged=false"))
    }

    @Test func mismatchedKernelRank() throws {
        try base.expectFailure(["deblur", "tv", "--lambda", "0.1", "--kernel", "k.h5", "in.h5", "out.h5"],
                               message: ["--kernel k.h5", "rank 3", "rank 2"], output: "out.h5") { d in
            try base.writeImage(d)
            try base.writeImage(d, "k.h5", Grid(shape: Shape(3, 3, 3), repeating: 1.0 / 27))
        }
    }

    @Test func kernelLargerThanImage() throws {
        try base.expectFailure(["deblur", "tv", "--lambda", "0.1", "--kernel", "k.h5", "in.h5", "out.h5"],
                               message: ["--kernel k.h5", "larger than the image"], output: "out.h5") { d in
            try base.writeImage(d)
            try base.writeImage(d, "k.h5", Grid(shape: Shape(33, 3), repeating: 0.01))
        }
    }

    @Test func deblurNonPositiveLambda() throws {
        try base.expectFailure(["deblur", "tv", "--lambda", "0", "in.h5", "out.h5"], code: 2,
                               message: ["--lambda must be a finite number > 0"], output: "out.h5") { try base.writeImage($0) }
    }

    @Test func deblurWarnsWhenCapIsHit() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try base.writeImage(dir)
        let r = try CLI.run(["deblur", "tv", "--lambda", "0.01", "--max-iterations", "2", "in.h5", "out.h5"], in: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: deblur tv did not converge in 2 iterations"), "\(r.stderr)")
        #expect(r.stdout.contains("converged=false"))
    }

    @Test func nanInputToEachSolverTool() throws {
        for args in [["denoise", "tv", "--lambda", "0.1"], ["deblur", "tv", "--lambda", "0.1"], ["denoise", "foe", "--model", "m.h5"]] {
            try base.expectFailure(args + ["in.h5", "out.h5"], message: ["in.h5", "NaN"], output: "out.h5") { d in
                var g = testImage()
                g[5, 6] = .nan
                try base.writeImage(d, "in.h5", g)
                let model = try FieldOfExpertsModelFile(filters: Grid(shape: Shape(1, 3, 3), repeating: 0.1), weights: [0.1], smoothings: [0.1])
                try model.write(to: d.file("m.h5"))
            }
        }
    }
}

import Foundation
import Testing
@testable import Imaging

@Suite("NeXus layout, references and SHA-256") final class NeXusTests {
    let folder: String
    init() throws { folder = try HDF5TestSupport.temporaryFolder() }
    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func sampleDocument(inputs: [String]) -> NeXusDocument {
        var denoised = NXData(name: "denoised", signal: Grid(shape: Shape(4, 5)) { Double($0) / 20 },
                              interpretation: "image", longName: "TV-denoised intensity", units: "a.u.")
        denoised.axisValues["x"] = Grid(shape: Shape(5), storage: [0, 0.5, 1, 1.5, 2])
        denoised.extraDatasets["gains_true"] = Grid(shape: Shape(3), storage: [1, 2, 3])
        denoised.attributes["title"] = .string("demo")
        let stack = NXData(name: "stack", signal: Grid(shape: Shape(2, 3, 4), repeating: 1),
                           interpretation: "image", precision: .float32)
        let history = ConvergenceHistory(columns: [("iteration", [0, 1, 2]), ("objective", [3, 2, 1.5]),
                                                   ("relative_change", [1, 0.3, 0.1])])
        return NeXusDocument(results: [stack, denoised], defaultResult: "denoised",
                             provenance: Provenance(commandLine: "wb denoise-tv in.h5 out.h5",
                                                    parameters: #"{"lambda":0.08}"#, seed: UInt64.max - 1,
                                                    inputs: inputs, date: "2026-12-01T00:00:00Z"),
                             convergence: history, summary: ["psnr": .double(31.5), "iterations": .int(3)])
    }

    @Test func writesTheDocumentedLayout() throws {
        let input = folder + "/input.bin"
        try Data("abc".utf8).write(to: URL(fileURLWithPath: input))
        let path = folder + "/out.nxs"
        try NeXus.write(sampleDocument(inputs: [input]), to: path)
        let f = try HDF5File(path)
        let root = try f.attributes(of: "/")
        #expect(root["NX_class"] == .string("NXroot") && root["default"] == .string("entry"))
        #expect(root["creator"] == .string("wb \(imagingVersion)"))
        #expect(root["file_time"] == .string("2026-12-01T00:00:00Z"))
        #expect(try f.attributes(of: "/entry") == ["NX_class": .string("NXentry"), "default": .string("denoised")])
        let group = try f.attributes(of: "/entry/denoised")
        #expect(group["NX_class"] == .string("NXdata") && group["signal"] == .string("data"))
        #expect(group["axes"] == .strings(["y", "x"]) && group["title"] == .string("demo"))
        #expect(group["x_indices"] == .int(1))
        #expect(try f.attributes(of: "/entry/denoised/data") == [
            "interpretation": .string("image"), "long_name": .string("TV-denoised intensity"), "units": .string("a.u.")])
        #expect(try f.readGrid("/entry/denoised/x").storage == [0, 0.5, 1, 1.5, 2])
        #expect(try f.readGrid("/entry/denoised/y").storage == [0, 1, 2, 3])
        #expect(try f.readGrid("/entry/denoised/gains_true").storage == [1, 2, 3])
        #expect(try f.attribute("axes", of: "/entry/stack") == .strings(["n", "y", "x"]))
        let stackInfo = try f.datasetInfo("/entry/stack/data")
        #expect(stackInfo.typeDescription == "float32" && stackInfo.chunks == [1, 3, 4])
        #expect(stackInfo.filters == ["shuffle", "gzip(4)"])
        #expect(try f.datasetInfo("/entry/denoised/data").chunks == [4, 5])
        // Process group.
        #expect(try f.attribute("NX_class", of: "/entry/process") == .string("NXprocess"))
        #expect(try f.readString("/entry/process/program") == "wb")
        #expect(try f.readString("/entry/process/parameters") == #"{"lambda":0.08}"#)
        #expect(try f.datasetInfo("/entry/process/seed").typeDescription == "uint64")
        #expect(try f.datasetInfo("/entry/process/command_line").shape == [])  // scalar string
        #expect(try f.readStrings("/entry/process/input_files") == [input])
        #expect(try f.readStrings("/entry/process/input_sha256")
                == ["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"])
        let provenance = try #require(try NeXus.readProvenance(from: f))
        #expect(provenance == sampleDocument(inputs: [input]).provenance)
        // Convergence and summary.
        let conv = try f.attributes(of: "/entry/process/convergence")
        #expect(conv["signal"] == .string("objective") && conv["axes"] == .strings(["iteration"]))
        #expect(conv["auxiliary_signals"] == .strings(["relative_change"]))
        #expect(try f.readGrid("/entry/process/convergence/objective").storage == [3, 2, 1.5])
        #expect(try f.attributes(of: "/entry/process/summary")
                == ["NX_class": .string("NXcollection"), "psnr": .double(31.5), "iterations": .int(3)])
        // The default chain resolves to the main result.
        #expect(try f.defaultSignalPath() == "/entry/denoised/data")
        #expect(try HDF5File.readGrid(DatasetReference(parsing: path)) == sampleDocument(inputs: []).results[1].signal)
    }

    @Test func seedAndInputsMayBeAbsent() throws {
        var doc = sampleDocument(inputs: [])
        doc.provenance.seed = nil
        doc.convergence = nil
        let path = folder + "/noseed.h5"
        try NeXus.write(doc, to: path)
        let f = try HDF5File(path)
        #expect(!f.exists("/entry/process/seed"))
        #expect(try f.readStrings("/entry/process/input_files").isEmpty)
        #expect(!f.exists("/entry/process/convergence"))
        #expect(try NeXus.readProvenance(from: f)?.seed == nil)
    }

    @Test func h5dumpReadsTheFile() throws {
        let path = folder + "/dump.nxs"
        try NeXus.write(sampleDocument(inputs: []), to: path)
        guard let result = try HDF5TestSupport.run("h5dump", ["-H", path]) else {
            print("h5dump not installed (apt-get install hdf5-tools): skipping the h5dump check")
            return
        }
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ATTRIBUTE \"NX_class\"") && result.output.contains("GROUP \"process\""))
        // -H shows attribute names only; -A adds their values, -p the storage properties.
        let detailed = try #require(try HDF5TestSupport.run("h5dump", ["-A", "-p", path]))
        #expect(detailed.status == 0)
        for nxClass in ["NXroot", "NXentry", "NXdata", "NXprocess", "NXcollection"] {
            #expect(detailed.output.contains("\"\(nxClass)\""), "h5dump output lacks \(nxClass)")
        }
        #expect(detailed.output.contains("H5T_CSET_UTF8") && detailed.output.contains("H5T_VARIABLE"))
        #expect(detailed.output.contains("DEFLATE") && detailed.output.contains("SHUFFLE"))
        let full = try #require(try HDF5TestSupport.run("h5dump", [path]))
        #expect(full.status == 0)
    }

    @Test func invalidDocumentsAreRejectedBeforeWriting() throws {
        let path = folder + "/bad.h5"
        var doc = sampleDocument(inputs: [])
        doc.defaultResult = "nope"
        #expect(throws: ImagingError.self) { try NeXus.write(doc, to: path) }
        doc = sampleDocument(inputs: [])
        doc.results[0].axes = ["y", "x"]  // rank 3 signal
        #expect(throws: ImagingError.self) { try NeXus.write(doc, to: path) }
        doc = sampleDocument(inputs: [folder + "/missing-input.png"])
        #expect(throws: ImagingError.fileNotFound(path: folder + "/missing-input.png")) { try NeXus.write(doc, to: path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func atomicWriteToMissingFolderLeavesNothing() throws {
        let missing = folder + "/not-there"
        let error = #expect(throws: ImagingError.self) {
            try NeXus.write(sampleDocument(inputs: []), to: missing + "/out.h5")
        }
        #expect(error?.description.contains("not-there") == true)
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        // And a successful write leaves exactly the output, no temporary file.
        try NeXus.write(sampleDocument(inputs: []), to: folder + "/ok.h5")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["ok.h5"])
    }

    // MARK: Default-plot resolution

    @Test func followsNestedDefaultChainsAndNXdataWithoutDefault() throws {
        let path = folder + "/chain.h5"
        do {
            let f = try HDF5File(path, mode: .create)
            try f.setAttribute("default", .string("entry"), on: "/")
            try f.createGroup("/entry", attributes: ["NX_class": .string("NXentry"), "default": .string("sub")])
            try f.createGroup("/entry/sub", attributes: ["NX_class": .string("NXsubentry"), "default": .string("plot")])
            try f.createGroup("/entry/sub/plot", attributes: ["NX_class": .string("NXdata"), "signal": .string("counts")])
            try f.write(Grid(shape: Shape(3), storage: [1, 2, 3]), to: "/entry/sub/plot/counts")
            try f.write(Grid(shape: Shape(3), storage: [4, 5, 6]), to: "/entry/sub/plot/other")
            // A second entry without @default whose only NXdata carries an old-style @signal=1.
            try f.createGroup("/second", attributes: ["NX_class": .string("NXentry")])
            try f.createGroup("/second/d", attributes: ["NX_class": .string("NXdata")])
            try f.write(Grid(shape: Shape(2), storage: [1, 2]), to: "/second/d/axis")
            try f.write(Grid(shape: Shape(2), storage: [7, 8]), to: "/second/d/y", attributes: ["signal": .int(1)])
        }
        let f = try HDF5File(path)
        #expect(try f.defaultSignalPath() == "/entry/sub/plot/counts")
        #expect(try f.resolveDefault(group: "/second", depth: 0) == "/second/d/y")
    }

    @Test func fallsBackToTheOnlyNumericDataset() throws {
        let one = folder + "/one.h5"
        do {
            let f = try HDF5File(one, mode: .create)
            try f.write(Grid(shape: Shape(2, 2), repeating: 3), to: "/some/where/image")
            try f.writeString("not numeric", to: "/some/note")
        }
        #expect(try HDF5File(one).defaultSignalPath() == "/some/where/image")
        let two = folder + "/two.h5"
        do {
            let f = try HDF5File(two, mode: .create)
            try f.write(Grid(shape: Shape(2), repeating: 3), to: "/a")
            try f.write(Grid(shape: Shape(2), repeating: 3), to: "/b/c")
        }
        let error = #expect(throws: ImagingError.self) { try HDF5File(two).defaultSignalPath() }
        #expect(error?.description.contains("/a") == true && error?.description.contains("/b/c") == true)
        #expect(error?.description.contains(two) == true)
        let none = folder + "/none.h5"
        do { try HDF5File(none, mode: .create).createGroup("/empty") }
        #expect(throws: ImagingError.invalidData(source: none, reason: "no numeric dataset in the file")) {
            try HDF5File(none).defaultSignalPath()
        }
    }

    // MARK: DatasetReference

    @Test func parsesDatasetReferences() {
        #expect(DatasetReference(parsing: "a.h5:/x/y") == DatasetReference(file: "a.h5", dataset: "/x/y"))
        #expect(DatasetReference(parsing: "a.h5") == DatasetReference(file: "a.h5", dataset: nil))
        #expect(DatasetReference(parsing: "dir/a.NXS:x//y/") == DatasetReference(file: "dir/a.NXS", dataset: "/x/y"))
        #expect(DatasetReference(parsing: "run:3/a.h5:/d") == DatasetReference(file: "run:3/a.h5", dataset: "/d"))
        #expect(DatasetReference(parsing: "data.bin:/d") == DatasetReference(file: "data.bin", dataset: "/d"))
        #expect(DatasetReference(parsing: "a.h5:") == DatasetReference(file: "a.h5", dataset: nil))
        #expect(DatasetReference(parsing: "a.h5:/x").description == "a.h5:/x")
        #expect(DatasetReference(parsing: "a.h5").description == "a.h5")
        for good in ["a.h5", "b.HDF5", "c.nxs", "d.Nx5", "e.he5", "/p.q/r.h5"] { #expect(DatasetReference.isHDF5Path(good), "\(good)") }
        for bad in ["a.png", "h5", "a.h5.png", "dir.h5/file", "a"] { #expect(!DatasetReference.isHDF5Path(bad), "\(bad)") }
    }

    // MARK: SHA-256

    @Test func sha256KnownVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Lengths around the padding boundary differ from each other.
        let digests = (54...66).map { SHA256.hex([UInt8](repeating: 7, count: $0)) }
        #expect(Set(digests).count == digests.count)
    }

    @Test func sha256OfFileMatchesSha256sum() throws {
        let path = folder + "/blob.bin"
        var rng = RandomSource(seed: 11)
        let bytes = (0..<(3 << 20) + 17).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let ours = try SHA256.hex(ofFile: path)
        #expect(ours == SHA256.hex(bytes))
        #expect(throws: ImagingError.fileNotFound(path: folder + "/nope")) { try SHA256.hex(ofFile: folder + "/nope") }
        guard let result = try HDF5TestSupport.run("sha256sum", [path, HDF5TestSupport.fixture("chopper.nxs")]) else {
            print("sha256sum not installed: skipping the comparison with coreutils")
            return
        }
        let lines = result.output.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(lines == [ours, try SHA256.hex(ofFile: HDF5TestSupport.fixture("chopper.nxs"))])
    }
}

import Foundation
import Testing
@testable import Imaging

@Suite("HDF5 file layer") final class HDF5Tests {
    let folder: String
    init() throws { folder = try HDF5TestSupport.temporaryFolder() }
    deinit { try? FileManager.default.removeItem(atPath: folder) }

    // MARK: Numeric round trips

    @Test func everyIntegerAndFloatTypeReadsAsDouble() throws {
        let path = folder + "/types.h5"
        let shape = [2, 3]
        do {
            let f = try HDF5File(path, mode: .create)
            try f.writeRaw([Int8]([-128, -1, 0, 1, 2, 127]), shape: shape, as: .int8, to: "/i8")
            try f.writeRaw([Int16]([-32768, -2, 0, 3, 300, 32767]), shape: shape, as: .int16, to: "/i16")
            try f.writeRaw([Int32]([Int32.min, -5, 0, 7, 70000, Int32.max]), shape: shape, as: .int32, to: "/i32")
            try f.writeRaw([Int32]([-9, -5, 0, 7, 70000, 123456789]), shape: shape, as: .int32BigEndian, to: "/i32be")
            try f.writeRaw([Int64]([-(1 << 40), -1, 0, 1, 1 << 40, 1 << 52]), shape: shape, as: .int64, to: "/i64")
            try f.writeRaw([UInt8]([0, 1, 2, 128, 254, 255]), shape: shape, as: .uint8, to: "/u8")
            try f.writeRaw([UInt16]([0, 1, 2, 40000, 65534, 65535]), shape: shape, as: .uint16, to: "/u16")
            try f.writeRaw([UInt16]([0, 1, 2, 40000, 65534, 65535]), shape: shape, as: .uint16BigEndian, to: "/u16be")
            try f.writeRaw([UInt32]([0, 1, 2, 3_000_000_000, 7, UInt32.max]), shape: shape, as: .uint32, to: "/u32")
            try f.writeRaw([UInt64]([0, 1, 2, 1 << 63, 7, 1 << 53]), shape: shape, as: .uint64, to: "/u64")
            try f.writeRaw([Float]([-1.5, 0, 0.25, 3, 1e30, -7]), shape: shape, as: .float32, to: "/f32")
            try f.writeRaw([Double]([-1.5, 0, 0.1, 3, 1e300, -7]), shape: shape, as: .float64, to: "/f64")
            try f.writeRaw([Double]([-1.5, 0, 0.1, 3, 1e300, -7]), shape: shape, as: .float64BigEndian, to: "/f64be")
        }
        let f = try HDF5File(path)
        let expected: [String: ([Double], String)] = [
            "/i8": ([-128, -1, 0, 1, 2, 127], "int8"),
            "/i16": ([-32768, -2, 0, 3, 300, 32767], "int16"),
            "/i32": ([Double(Int32.min), -5, 0, 7, 70000, Double(Int32.max)], "int32"),
            "/i32be": ([-9, -5, 0, 7, 70000, 123456789], "int32-be"),
            "/i64": ([-1099511627776, -1, 0, 1, 1099511627776, 4503599627370496], "int64"),
            "/u8": ([0, 1, 2, 128, 254, 255], "uint8"),
            "/u16": ([0, 1, 2, 40000, 65534, 65535], "uint16"),
            "/u16be": ([0, 1, 2, 40000, 65534, 65535], "uint16-be"),
            "/u32": ([0, 1, 2, 3_000_000_000, 7, 4294967295], "uint32"),
            "/u64": ([0, 1, 2, 9223372036854775808, 7, 9007199254740992], "uint64"),
            "/f32": ([-1.5, 0, 0.25, 3, Double(Float(1e30)), -7], "float32"),
            "/f64": ([-1.5, 0, 0.1, 3, 1e300, -7], "float64"),
            "/f64be": ([-1.5, 0, 0.1, 3, 1e300, -7], "float64-be"),
        ]
        for (name, (values, type)) in expected {
            let g = try f.readGrid(name)
            #expect(g.shape == Shape(2, 3), "\(name)")
            #expect(g.storage == values, "\(name)")
            #expect(try f.datasetInfo(name).typeDescription == type, "\(name)")
        }
        #expect(try f.children(of: "/") == expected.keys.map { String($0.dropFirst()) }.sorted())
    }

    @Test(arguments: [HDF5Precision.float64, .float32], [1, 2, 3, 4])
    func gridRoundTripAtEveryRank(precision: HDF5Precision, rank: Int) throws {
        let dims = Array([3, 4, 5, 6].prefix(rank))
        let grid = Grid(shape: Shape(dims)) { Double($0) * 0.5 - 7 }  // exact in float32 too
        let path = folder + "/rank\(rank)-\(precision).h5"
        do {
            let f = try HDF5File(path, mode: .create)
            try f.write(grid, to: "/group/sub/data", precision: precision)
        }
        let f = try HDF5File(path)
        #expect(try f.readGrid("/group/sub/data") == grid)
        let info = try f.datasetInfo("/group/sub/data")
        #expect(info.shape == dims)
        #expect(info.typeDescription == precision.rawValue)
        #expect(info.filters == ["shuffle", "gzip(4)"])
        #expect(info.chunks == HDF5File.defaultChunks(for: dims, elementSize: precision == .float64 ? 8 : 4))
    }

    @Test func float32RoundsToNearest() throws {
        let path = folder + "/f32.h5"
        let grid = Grid(shape: Shape(3), storage: [0.1, 1.0 / 3.0, 1e-3])
        do { try HDF5File(path, mode: .create).write(grid, to: "x", precision: .float32) }
        let back = try HDF5File(path).readGrid("/x")
        #expect(back.storage == grid.storage.map { Double(Float($0)) })
        #expect(back.storage != grid.storage)
    }

    @Test func complexRoundTrip() throws {
        let path = folder + "/complex.h5"
        var z = ComplexGrid(shape: Shape(2, 3))
        for i in 0..<z.count { z.storage[i] = .init(Double(i) - 2.5, 1.0 / Double(i + 1)) }
        do { try HDF5File(path, mode: .create).write(z, to: "/spectra/z", attributes: ["units": .string("a.u.")]) }
        let f = try HDF5File(path)
        #expect(try f.readComplexGrid("/spectra/z") == z)
        #expect(try f.datasetInfo("/spectra/z").typeDescription == "complex128")
        #expect(try f.attribute("units", of: "/spectra/z") == .string("a.u."))
        // A real dataset is not complex, and a complex one is not a real grid.
        f.close()
        let g = try HDF5File(path, mode: .readWrite)
        try g.write(Grid(shape: Shape(2), storage: [1, 2]), to: "/real")
        #expect(throws: ImagingError.self) { try g.readComplexGrid("/real") }
        #expect(throws: ImagingError.self) { try g.readGrid("/spectra/z") }
    }

    // MARK: Attributes, groups, strings

    @Test func attributesOfEveryKindRoundTrip() throws {
        let path = folder + "/attrs.h5"
        let values: [String: HDF5Value] = [
            "s": .string("héllo wörld"), "empty": .string(""), "list": .strings(["y", "x", "ünï"]),
            "one": .strings(["only"]), "i": .int(-42), "big": .int(Int.max), "is": .ints([1, -2, 3]),
            "d": .double(0.1), "ds": .doubles([1.5, -2.25, .infinity]), "none": .doubles([]),
        ]
        do {
            let f = try HDF5File(path, mode: .create)
            try f.createGroup("/g", attributes: values)
            try f.write(Grid(shape: Shape(2), storage: [1, 2]), to: "/g/data", attributes: values)
            try f.setAttribute("i", .string("replaced"), on: "/g")
            try f.setAttribute("root", .int(1), on: "/")
        }
        let f = try HDF5File(path)
        var expectedGroup = values
        expectedGroup["i"] = .string("replaced")
        #expect(try f.attributes(of: "/g") == expectedGroup)
        #expect(try f.attributes(of: "/g/data") == values)
        #expect(try f.attribute("root", of: "/") == .int(1))
        #expect(try f.attribute("missing", of: "/g") == nil)
        #expect(throws: ImagingError.self) { try f.attribute("x", of: "/nope") }
    }

    @Test func nestedGroupsAndExistence() throws {
        let path = folder + "/groups.h5"
        let f = try HDF5File(path, mode: .create)
        try f.createGroup("/a/b/c")
        try f.createGroup("/a/b/c")  // existing group: no error
        try f.write(Grid(shape: Shape(2, 2), repeating: 1), to: "/a/b/ds")
        try f.writeString("text", to: "/a/note")
        #expect(f.exists("/") && f.exists("/a") && f.exists("a/b/c") && f.exists("/a/b/ds/"))
        #expect(!f.exists("/x/y/z"))          // missing intermediate groups
        #expect(!f.exists("/a/b/ds/inner"))   // path through a dataset
        #expect(!f.exists("/a/b/c/d"))
        #expect(f.isGroup("/a/b") && !f.isGroup("/a/b/ds") && !f.isGroup("/nothing"))
        #expect(f.isDataset("/a/b/ds") && !f.isDataset("/a/b") && !f.isDataset("/nothing/at/all"))
        #expect(try f.children(of: "/a") == ["b", "note"])
        #expect(try f.children(of: "/a/b") == ["c", "ds"])
        #expect(try f.readString("/a/note") == "text")
        #expect(throws: ImagingError.self) { try f.children(of: "/a/b/ds") }
        #expect(throws: ImagingError.self) { try f.createGroup("/a/b/ds") }
        // Overwriting a dataset replaces it.
        try f.write(Grid(shape: Shape(3), storage: [7, 8, 9]), to: "/a/b/ds")
        #expect(try f.readGrid("/a/b/ds").storage == [7, 8, 9])
        f.close()
        #expect(!f.exists("/a"))
        #expect(throws: ImagingError.self) { try f.readGrid("/a/b/ds") }
    }

    @Test func chunkingAndCompressionAreVisible() throws {
        let path = folder + "/chunks.h5"
        let f = try HDF5File(path, mode: .create)
        try f.write(Grid(shape: Shape(4, 8, 16), repeating: 1), to: "/stack")
        try f.write(Grid(shape: Shape(8, 16), repeating: 1), to: "/plain", compression: nil)
        try f.write(Grid(shape: Shape(8, 16), repeating: 1), to: "/custom", compression: 9, chunks: [2, 16])
        try f.write(Grid(shape: Shape(8, 16), repeating: 1), to: "/chunkOnly", compression: nil, chunks: [4, 4])
        try f.write(Grid(shape: Shape(1), storage: [3]), to: "/single")
        try f.write(Grid(shape: Shape(300, 1000), repeating: 0.5), to: "/big")  // 2.4 MB → row blocks
        #expect(try f.datasetInfo("/stack").chunks == [1, 8, 16])
        #expect(try f.datasetInfo("/stack").filters == ["shuffle", "gzip(4)"])
        #expect(try f.datasetInfo("/plain").chunks == nil)
        #expect(try f.datasetInfo("/plain").filters.isEmpty)
        #expect(try f.datasetInfo("/custom").chunks == [2, 16])
        #expect(try f.datasetInfo("/custom").filters == ["shuffle", "gzip(9)"])
        #expect(try f.datasetInfo("/chunkOnly").chunks == [4, 4])
        #expect(try f.datasetInfo("/chunkOnly").filters.isEmpty)
        #expect(try f.datasetInfo("/single").chunks == nil)
        #expect(try f.datasetInfo("/big").chunks == [131, 1000])
        #expect(try f.readGrid("/big").storage.allSatisfy { $0 == 0.5 })
        #expect(throws: ImagingError.self) { try f.write(Grid(shape: Shape(4), repeating: 0), to: "/bad", chunks: [8]) }
        #expect(throws: ImagingError.self) { try f.write(Grid(shape: Shape(4), repeating: 0), to: "/bad", compression: 12) }
        #expect(HDF5File.defaultChunks(for: [2, 3, 4, 5], elementSize: 8) == [1, 1, 4, 5])
        #expect(HDF5File.defaultChunks(for: [1_000_000], elementSize: 4) == [262_144])
        #expect(HDF5File.defaultChunks(for: [100, 100], elementSize: 8) == [100, 100])
    }

    // MARK: The real NeXus file

    @Test func readsChopperNeXusFile() throws {
        let f = try HDF5File(HDF5TestSupport.fixture("chopper.nxs"))
        let counts = try f.readGrid("/entry/data/data")
        #expect(counts.shape == Shape(148, 750))
        #expect(counts.storage.reduce(0, +) == 2_666_912)
        #expect(counts.storage.max() == 6_252)
        let info = try f.datasetInfo("/entry/data/data")
        #expect(info.typeDescription == "int32" && info.shape == [148, 750])
        #expect(try f.defaultSignalPath() == "/entry/data/data")
        // Fixed-length string of shape (1,) and variable-length scalar string datasets.
        #expect(try f.readString("/entry/title") == "MgB2 PDOS 43.37g 8K 120meV E0@240Hz T0@120Hz")
        #expect(try f.readString("/entry/definition") == "NXdirecttof")
        // Fixed-length scalar, variable-length scalar and variable-length array attributes.
        #expect(try f.attribute("NX_class", of: "/entry") == .string("NXentry"))
        #expect(try f.attribute("default", of: "/") == .string("entry"))
        let data = try f.attributes(of: "/entry/data")
        #expect(data["NX_class"] == .string("NXdata"))
        #expect(data["axes"] == .strings(["polar_angle", "time_of_flight"]))
        #expect(try HDF5File.readGrid(DatasetReference(parsing: HDF5TestSupport.fixture("chopper.nxs"))) == counts)
        #expect(try f.children(of: "/entry/data") == ["data", "polar_angle", "time_of_flight"])
    }

    // MARK: Errors

    @Test func missingFileIsFileNotFound() {
        let path = folder + "/absent.h5"
        #expect(throws: ImagingError.fileNotFound(path: path)) { try HDF5File(path) }
        #expect(throws: ImagingError.fileNotFound(path: path)) { try HDF5File(path, mode: .readWrite) }
    }

    @Test func nonHDF5FileIsUnreadable() throws {
        let path = folder + "/text.h5"
        try "just text, not HDF5\n".write(toFile: path, atomically: false, encoding: .utf8)
        let error = #expect(throws: ImagingError.self) { try HDF5File(path) }
        guard case .unreadable(let p, let reason)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(p == path && reason.contains("not an HDF5 file"))
        #expect(error?.description.contains(path) == true)
    }

    @Test func truncatedFileIsUnreadable() throws {
        let whole = folder + "/whole.h5"
        do { try HDF5File(whole, mode: .create).write(Grid(shape: Shape(64, 64)) { Double($0) }, to: "/x", compression: nil) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = folder + "/cut.h5"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let error = #expect(throws: ImagingError.self) { try HDF5File(cut) }
        guard case .unreadable(let p, let reason)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(p == cut)
        #expect(reason.contains("truncated"))
    }

    @Test func missingDatasetNamesFileAndObject() throws {
        let path = folder + "/m.h5"
        do { try HDF5File(path, mode: .create).createGroup("/entry") }
        let f = try HDF5File(path)
        let error = #expect(throws: ImagingError.self) { try f.readGrid("/entry/missing") }
        guard case .hdf5(let p, let object, _, let reason)? = error else { Issue.record("wrong error"); return }
        #expect(p == path && object == "/entry/missing" && reason == "no such dataset")
        #expect(throws: ImagingError.self) { try f.readGrid("/no/such/group/data") }
        #expect(throws: ImagingError.self) { try f.datasetInfo("/entry") }
        #expect(throws: ImagingError.self) { try f.readString("/entry/missing") }
    }

    @Test func unsupportedDatasetsAreInvalidData() throws {
        let path = folder + "/bad.h5"
        do {
            let f = try HDF5File(path, mode: .create)
            try f.writeRaw([Double](repeating: 1, count: 32), shape: [2, 2, 2, 2, 2], as: .float64, to: "/rank5")
            try f.writeRaw([Int32(5)], shape: [], as: .int32, to: "/scalar")
            try f.writeString("hello", to: "/text")
        }
        let f = try HDF5File(path)
        #expect(throws: ImagingError.invalidData(source: "\(path):/rank5", reason: "rank 5 not supported (1–4)")) {
            try f.readGrid("/rank5")
        }
        #expect(throws: ImagingError.invalidData(source: "\(path):/scalar", reason: "rank 0 not supported (1–4)")) {
            try f.readGrid("/scalar")
        }
        let error = #expect(throws: ImagingError.self) { try f.readGrid("/text") }
        guard case .invalidData(let source, let reason)? = error else { Issue.record("wrong error"); return }
        #expect(source == "\(path):/text" && reason.contains("string"))
        #expect(throws: ImagingError.self) { try f.readString("/rank5") }
    }

    @Test func hdf5NeverPrintsItsErrorStack() throws {
        let path = folder + "/quiet.h5"
        do { try HDF5File(path, mode: .create).write(Grid(shape: Shape(2), storage: [1, 2]), to: "/x") }
        let junk = folder + "/junk.h5"
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: junk))
        let printed = try HDF5TestSupport.capturingStandardError {
            // A fresh thread: HDF5's error-printing switch is per thread in thread-safe builds.
            let thread = Thread {
                let f = try? HDF5File(path)
                _ = try? f?.readGrid("/missing/deep/dataset")
                _ = try? f?.datasetInfo("/x/not/here")
                _ = try? f?.attribute("a", of: "/nothing")
                _ = f?.exists("/x/y/z")
                _ = try? HDF5File(junk)
                _ = try? HDF5File("/nonexistent-folder-wb/file.h5", mode: .create)
            }
            thread.start()
            while !thread.isFinished { usleep(1000) }
        }
        #expect(!printed.contains("HDF5-DIAG"), "HDF5 printed: \(printed)")
        #expect(!printed.contains("#000"), "HDF5 printed: \(printed)")
    }

    @Test func errorReasonComesFromTheHDF5Stack() throws {
        let error = #expect(throws: ImagingError.self) {
            try HDF5File(folder + "/no-such-subfolder/x.h5", mode: .create)
        }
        guard case .hdf5(_, _, let operation, let reason)? = error else { Issue.record("wrong error"); return }
        #expect(operation == "create file")
        #expect(reason.contains("unable to"))  // HDF5's own wording, not the fallback
    }

    // MARK: Handles

    @Test func noHandleLeaksAfterManyCycles() throws {
        let path = folder + "/leak.h5"
        do {
            let f = try HDF5File(path, mode: .create)
            try f.write(Grid(shape: Shape(4, 4), repeating: 2), to: "/g/x", attributes: ["a": .strings(["p", "q"])])
            try f.write(ComplexGrid(shape: Shape(3)), to: "/g/z")
            try f.writeString("s", to: "/g/s")
        }
        for i in 0..<200 {
            let f = try HDF5File(path)
            _ = try f.readGrid("/g/x")
            _ = try f.readComplexGrid("/g/z")
            _ = try f.readString("/g/s")
            _ = try f.attributes(of: "/g/x")
            _ = try f.datasetInfo("/g/x")
            _ = try f.children(of: "/g")
            _ = try? f.readGrid("/g/missing")
            _ = try? f.readGrid("/g/s")
            _ = f.isGroup("/g") && f.isDataset("/g/x")
            // Only the file identifier itself is open while the file is in use.
            #expect(HDF5Library.openObjectCount(inFileNamed: path) == 1)
            if i.isMultiple(of: 2) { f.close() }  // the other half are closed by deinit
        }
        #expect(HDF5Library.openObjectCount(inFileNamed: path) == 0)
        // The counter does see an open file, so the zero above is meaningful.
        let held = try HDF5File(path)
        #expect(HDF5Library.openObjectCount(inFileNamed: path) == 1)
        held.close()
        #expect(HDF5Library.openObjectCount(inFileNamed: path) == 0)
    }
}

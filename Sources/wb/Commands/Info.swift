import ArgumentParser
import Imaging

/// `wb info FILE`: the HDF5 tree (shapes, types, attributes) or a PNG header.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a file: the HDF5/NeXus tree with shapes, types, chunking and attributes, or a PNG header.",
        discussion: """
        For HDF5 files the NeXus default plot (root @default → @signal) is named at the end. \
        With a dataset reference (FILE.h5:/path) only that object is shown, with value statistics.

        Examples:
          wb info out/demo.h5
          wb info data/images/camera.png --json
          wb info chopper.nxs:/entry/data/data
        """)

    @Argument(help: "A PNG file, an HDF5 file or an HDF5 reference FILE.h5:/path.") var file: String
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: "Do not list attributes.") var noAttributes = false

    func run() throws {
        let format = try DataFiles.format(of: file, role: "input")
        let path = DataFiles.fileComponent(file)
        if !AtomicOutput.exists(path) { throw ImagingError.fileNotFound(path: path) }
        switch format {
        case .png:
            let h = try PNG.header(path)
            if json {
                print(JSONValue.object([("file", .string(path)), ("format", .string("png")), ("width", .integer(Int64(h.width))),
                                        ("height", .integer(Int64(h.height))), ("bit_depth", .integer(Int64(h.bitDepth))),
                                        ("color_type", .string(h.colorType)), ("channels", .integer(Int64(h.channels)))]).serialized())
            } else {
                print("\(path): PNG \(h.width)×\(h.height), \(h.bitDepth)-bit \(h.colorType) (\(h.channels) channel\(h.channels == 1 ? "" : "s"))")
            }
        case .hdf5:
            let ref = DatasetReference(parsing: file)
            let f = try HDF5File(ref.file)
            defer { f.close() }
            if let object = ref.dataset {
                guard f.exists(object) else { throw ImagingError.hdf5(path: ref.file, object: object, operation: "open", reason: "no such object") }
                var lines: [String] = []
                var entries: [(String, JSONValue)] = [("file", .string(ref.file))]
                try describe(f, object, depth: 0, lines: &lines, entries: &entries, recurse: true)
                if f.isDataset(object), let g = try? f.readGrid(object) {
                    let stats = "min \(formatNumber(g.min)), max \(formatNumber(g.max)), mean \(formatNumber(g.mean))"
                    lines.append("  values: " + stats)
                    entries.append(("min", .number(g.min))); entries.append(("max", .number(g.max))); entries.append(("mean", .number(g.mean)))
                }
                print(json ? JSONValue.object(entries).serialized() : lines.joined(separator: "\n"))
            } else {
                var lines: [String] = ["\(ref.file):"]
                var entries: [(String, JSONValue)] = [("file", .string(ref.file))]
                try describe(f, "/", depth: 0, lines: &lines, entries: &entries, recurse: true)
                if let signal = try? f.defaultSignalPath() {
                    lines.append("default plot: \(signal)")
                    entries.append(("default_signal", .string(signal)))
                }
                print(json ? JSONValue.object(entries).serialized() : lines.joined(separator: "\n"))
            }
        }
    }

    private func describe(_ f: HDF5File, _ path: String, depth: Int, lines: inout [String], entries: inout [(String, JSONValue)], recurse: Bool) throws {
        let indent = String(repeating: "  ", count: depth + 1)
        var objects: [JSONValue] = []
        func visit(_ p: String, _ d: Int) throws {
            let ind = String(repeating: "  ", count: d + 1)
            var obj: [(String, JSONValue)] = [("path", .string(p))]
            if f.isDataset(p) {
                let info = try f.datasetInfo(p)
                var text = "\(ind)\(p)  \(info.typeDescription) \(info.shape.isEmpty ? "scalar" : info.shape.map(String.init).joined(separator: "×"))"
                if let c = info.chunks { text += "  chunks \(c.map(String.init).joined(separator: "×"))" }
                if !info.filters.isEmpty { text += "  [\(info.filters.joined(separator: ", "))]" }
                lines.append(text)
                obj += [("kind", .string("dataset")), ("type", .string(info.typeDescription)),
                        ("shape", .array(info.shape.map { .integer(Int64($0)) }))]
            } else {
                lines.append("\(ind)\(p == "/" ? "/" : p + "/")")
                obj.append(("kind", .string("group")))
            }
            if !noAttributes {
                let attrs = try f.attributes(of: p)
                var aj: [(String, JSONValue)] = []
                for k in attrs.keys.sorted() {
                    lines.append("\(ind)  @\(k) = \(show(attrs[k]!))")
                    aj.append((k, json(attrs[k]!)))
                }
                if !aj.isEmpty { obj.append(("attributes", .object(aj))) }
            }
            objects.append(.object(obj))
            if f.isGroup(p) && recurse {
                for c in try f.children(of: p) { try visit(p == "/" ? "/" + c : p + "/" + c, d + 1) }
            }
        }
        _ = indent
        try visit(path, depth)
        entries.append(("objects", .array(objects)))
    }

    private func show(_ v: HDF5Value) -> String {
        switch v {
        case .string(let s): return s.count > 200 ? JSONValue.quote(String(s.prefix(200))) + "…" : JSONValue.quote(s)
        case .strings(let a): return "[" + a.map(JSONValue.quote).joined(separator: ", ") + "]"
        case .int(let i): return String(i)
        case .ints(let a): return "[" + a.map(String.init).joined(separator: ", ") + "]"
        case .double(let d): return formatNumber(d)
        case .doubles(let a): return "[" + a.prefix(16).map(formatNumber).joined(separator: ", ") + (a.count > 16 ? ", …" : "") + "]"
        }
    }

    private func json(_ v: HDF5Value) -> JSONValue {
        switch v {
        case .string(let s): return .string(s)
        case .strings(let a): return .array(a.map { .string($0) })
        case .int(let i): return .integer(Int64(i))
        case .ints(let a): return .array(a.map { .integer(Int64($0)) })
        case .double(let d): return .number(d)
        case .doubles(let a): return .array(a.map { .number($0) })
        }
    }
}

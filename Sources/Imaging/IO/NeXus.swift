#if canImport(Glibc)
import Glibc
#endif

/// Writing and reading wb's NeXus-compatible HDF5 layout (formats.md §2).
///
/// ```
/// /                  @NX_class="NXroot" @default="entry" @creator="wb <version>" @file_time
/// /entry             @NX_class="NXentry" @default=<main result>
/// /entry/<result>    @NX_class="NXdata" @signal="data" @axes=[…] @<axis>_indices
///   data             float64/float32, chunked, shuffle + gzip 4,
///                    @interpretation @long_name @units (when given)
///   <axis>           1-D axis datasets; extra datasets
/// /entry/process     @NX_class="NXprocess": program, version, date, command_line,
///                    parameters (JSON), seed (uint64, absent if none),
///                    input_files + input_sha256 (1-D string arrays, same order)
///   convergence      NXdata of the solver history (when given)
///   summary          @NX_class="NXcollection", one attribute per summary value
/// ```
/// All strings are variable-length UTF-8 with a scalar dataspace (arrays: 1-D). The file keeps
/// libhdf5's default (earliest) format bounds. Checked with h5py 3.16: attributes come back as
/// `str` (`@axes` as an array of `str`), string *datasets* as `bytes` — h5py 3 does that for
/// every string dataset; `ds.asstr()[()]` gives `str`. Complex data reads as `complex128`.
public enum NeXus {
    /// Writes `document` to `path` atomically (temporary file in the same folder, renamed
    /// when complete). The caller has validated `path` (see ``AtomicOutput/validate(_:inputs:force:)``).
    ///
    /// - Throws: ``ImagingError/invalidParameter(name:reason:)`` for an inconsistent document
    ///   (duplicate or invalid names, axes not matching the rank, unknown default result,
    ///   ragged convergence columns) before anything is written; file errors otherwise. On
    ///   failure no file (temporary or final) is left behind.
    public static func write(_ document: NeXusDocument, to path: String) throws {
        try validate(document)
        let hashes = try document.provenance.inputs.map { try SHA256.hex(ofFile: $0) }
        let date = document.provenance.date ?? isoNow()
        try AtomicOutput.write(to: path) { tmp in
            let file = try HDF5File(tmp, mode: .create)
            defer { file.close() }
            try file.setAttributes([
                "NX_class": .string("NXroot"), "default": .string("entry"),
                "creator": .string("\(document.provenance.program) \(document.provenance.version)"),
                "file_time": .string(date),
            ], on: "/")
            try file.createGroup("/entry", attributes: [
                "NX_class": .string("NXentry"), "default": .string(document.defaultResult),
            ])
            for result in document.results { try write(result, in: file) }
            try writeProcess(document, hashes: hashes, date: date, in: file)
            for appendix in document.appendices { try appendix(file) }
        }
    }

    /// Reads the provenance stored by ``write(_:to:)`` from `/entry/process`, or `nil` when
    /// the file has no such group.
    public static func readProvenance(from file: HDF5File) throws -> Provenance? {
        let p = "/entry/process"
        guard file.isGroup(p) else { return nil }
        func string(_ name: String) throws -> String {
            file.isDataset("\(p)/\(name)") ? try file.readString("\(p)/\(name)") : ""
        }
        let inputs = file.isDataset("\(p)/input_files") ? try file.readStrings("\(p)/input_files") : []
        let seed = file.isDataset("\(p)/seed") ? try file.readUInt64("\(p)/seed") : nil
        var provenance = Provenance(version: try string("version"), commandLine: try string("command_line"),
                                    parameters: try string("parameters"), seed: seed, inputs: inputs,
                                    date: try string("date"))
        provenance.program = try string("program")
        return provenance
    }

    // MARK: - Internal

    static func validate(_ document: NeXusDocument) throws {
        func bad(_ reason: String) -> ImagingError { .invalidParameter(name: "NeXus document", reason: reason) }
        func validName(_ n: String) -> Bool { !n.isEmpty && !n.contains("/") && n != "." && n != ".." }
        guard !document.results.isEmpty else { throw bad("no results to write") }
        var names = Set<String>()
        for r in document.results {
            guard validName(r.name), r.name != "process" else { throw bad("invalid result name '\(r.name)'") }
            guard names.insert(r.name).inserted else { throw bad("duplicate result name '\(r.name)'") }
            guard r.axes.count == r.signal.rank else {
                throw bad("result '\(r.name)': \(r.axes.count) axis names for a rank-\(r.signal.rank) signal")
            }
            var datasetNames: Set<String> = ["data"]
            for a in r.axes where a != "." {
                guard validName(a), datasetNames.insert(a).inserted else {
                    throw bad("result '\(r.name)': invalid or repeated axis name '\(a)'")
                }
            }
            for (a, values) in r.axisValues {
                guard let dim = r.axes.firstIndex(of: a) else { throw bad("result '\(r.name)': values for unknown axis '\(a)'") }
                guard values.rank == 1, values.count == r.signal.shape[dim] else {
                    throw bad("result '\(r.name)': axis '\(a)' needs \(r.signal.shape[dim]) values, has shape \(values.shape)")
                }
            }
            for e in r.extraDatasets.keys {
                guard validName(e), datasetNames.insert(e).inserted else {
                    throw bad("result '\(r.name)': invalid or clashing extra dataset name '\(e)'")
                }
            }
        }
        guard names.contains(document.defaultResult) else {
            throw bad("default result '\(document.defaultResult)' is not one of \(document.results.map(\.name))")
        }
        var histories = document.convergence.map { [$0] } ?? []
        var historyNames = Set<String>()
        for named in document.namedConvergence {
            guard validName(named.name), historyNames.insert(named.name).inserted else {
                throw bad("invalid or repeated convergence name '\(named.name)'")
            }
            histories.append(named.history)
        }
        for c in histories {
            guard let first = c.columns.first else { continue }
            for col in c.columns {
                guard validName(col.name) else { throw bad("invalid convergence column name '\(col.name)'") }
                guard col.values.count == first.values.count else {
                    throw bad("convergence column '\(col.name)' has \(col.values.count) values, '\(first.name)' has \(first.values.count)")
                }
            }
            guard Set(c.columns.map(\.name)).count == c.columns.count else { throw bad("repeated convergence column names") }
        }
    }

    static func write(_ result: NXData, in file: HDF5File) throws {
        let group = "/entry/\(result.name)"
        var attributes = result.attributes
        attributes["NX_class"] = .string("NXdata")
        attributes["signal"] = .string("data")
        attributes["axes"] = .strings(result.axes)
        for (dim, a) in result.axes.enumerated() where a != "." { attributes["\(a)_indices"] = .int(dim) }
        try file.createGroup(group, attributes: attributes)
        var dataAttributes: [String: HDF5Value] = [:]
        if let v = result.interpretation { dataAttributes["interpretation"] = .string(v) }
        if let v = result.longName { dataAttributes["long_name"] = .string(v) }
        if let v = result.units { dataAttributes["units"] = .string(v) }
        try file.write(result.signal, to: "\(group)/data", precision: result.precision, compression: 4,
                       attributes: dataAttributes)
        for (dim, a) in result.axes.enumerated() where a != "." {
            let values = result.axisValues[a]
                ?? Grid(shape: Shape(result.signal.shape[dim]), generator: { Double($0) })
            try file.write(values, to: "\(group)/\(a)", compression: 4,
                           attributes: result.axisValues[a] == nil ? ["long_name": .string("\(a) (pixel index)")] : [:])
        }
        for (name, grid) in result.extraDatasets.sorted(by: { $0.key < $1.key }) {
            try file.write(grid, to: "\(group)/\(name)", precision: result.precision, compression: 4)
        }
    }

    static func writeProcess(_ document: NeXusDocument, hashes: [String], date: String, in file: HDF5File) throws {
        let p = "/entry/process"
        let prov = document.provenance
        try file.createGroup(p, attributes: ["NX_class": .string("NXprocess")])
        try file.writeValue(.string(prov.program), to: "\(p)/program")
        try file.writeValue(.string(prov.version), to: "\(p)/version")
        try file.writeValue(.string(date), to: "\(p)/date")
        try file.writeValue(.string(prov.commandLine), to: "\(p)/command_line")
        try file.writeValue(.string(prov.parameters), to: "\(p)/parameters")
        if let seed = prov.seed { try file.writeUInt64(seed, to: "\(p)/seed") }
        try file.writeValue(.strings(prov.inputs), to: "\(p)/input_files")
        try file.writeValue(.strings(hashes), to: "\(p)/input_sha256")
        if let history = document.convergence { try writeHistory(history, at: "\(p)/convergence", in: file) }
        for named in document.namedConvergence {
            try writeHistory(named.history, at: "\(p)/convergence_\(named.name)", in: file)
        }
        if !document.summary.isEmpty {
            var attributes = document.summary
            attributes["NX_class"] = .string("NXcollection")
            try file.createGroup("\(p)/summary", attributes: attributes)
        }
    }

    /// One solver history as an NXdata group: `iteration` as the axis when present, the first
    /// other column as the signal, the rest as auxiliary signals.
    static func writeHistory(_ history: ConvergenceHistory, at c: String, in file: HDF5File) throws {
        if !history.columns.isEmpty {
            let signals = history.columns.map(\.name).filter { $0 != "iteration" }
            let hasIteration = signals.count < history.columns.count
            var attributes: [String: HDF5Value] = ["NX_class": .string("NXdata"),
                                                   "axes": .strings([hasIteration ? "iteration" : "."])]
            if let s = signals.first { attributes["signal"] = .string(s) }
            if signals.count > 1 { attributes["auxiliary_signals"] = .strings(Array(signals.dropFirst())) }
            if hasIteration { attributes["iteration_indices"] = .int(0) }
            try file.createGroup(c, attributes: attributes)
            for col in history.columns {
                try file.write(Grid(shape: Shape(col.values.count), storage: col.values), to: "\(c)/\(col.name)",
                               compression: 4)
            }
        }
    }

    /// The current time as ISO-8601 UTC, e.g. `2026-12-01T00:05:00Z`.
    static func isoNow() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

internal import CHDF5

extension HDF5File {
    /// The path of the dataset a viewer would plot for this file.
    ///
    /// NeXus rules first: starting at the root, follow `@default` from group to group (nested
    /// chains such as root → entry → subentry → data are followed); a group without a usable
    /// `@default` continues with its first `NXdata` child, else its first `NXentry`/`NXsubentry`
    /// child (alphabetical order); in an `NXdata` group the signal is the dataset named by
    /// `@signal`, or (old NeXus convention) the dataset carrying `@signal=1`.
    /// Without NeXus metadata, the file's only numeric dataset (rank 1–4) is used.
    ///
    /// - Throws: ``ImagingError/invalidData(source:reason:)`` listing the candidate datasets
    ///   when there is no default and not exactly one numeric dataset.
    public func defaultSignalPath() throws -> String {
        _ = try fileID("/", "find default dataset")
        if let p = try resolveDefault(group: "/", depth: 0) { return p }
        let candidates = try numericDatasets(under: "/")
        if candidates.count == 1 { return candidates[0] }
        if candidates.isEmpty {
            throw ImagingError.invalidData(source: path, reason: "no numeric dataset in the file")
        }
        let shown = candidates.prefix(20).joined(separator: ", ") + (candidates.count > 20 ? ", …" : "")
        throw ImagingError.invalidData(source: path,
            reason: "no NeXus default plot (@default/@signal) and \(candidates.count) numeric datasets; "
                + "name one as \(path):/path — candidates: \(shown)")
    }

    /// Opens `reference.file` and reads its dataset, or the default signal
    /// (``defaultSignalPath()``) when the reference names none.
    public static func readGrid(_ reference: DatasetReference) throws -> Grid {
        let file = try HDF5File(reference.file)
        defer { file.close() }
        return try file.readGrid(try reference.dataset ?? file.defaultSignalPath())
    }

    /// All numeric (integer or float) datasets of rank 1–4 below `group`, recursively, sorted.
    public func numericDatasets(under group: String = "/") throws -> [String] {
        var out: [String] = []
        var visited = Set<String>()
        try collectNumeric(Self.normalized(group), into: &out, visited: &visited)
        return out.sorted()
    }

    // MARK: - Internal

    func collectNumeric(_ group: String, into out: inout [String], visited: inout Set<String>) throws {
        guard visited.insert(group).inserted, visited.count < 100_000 else { return }
        for name in try children(of: group) {
            let child = group == "/" ? "/\(name)" : "\(group)/\(name)"
            if isGroup(child) {
                try collectNumeric(child, into: &out, visited: &visited)
            } else if isDataset(child), let info = try? datasetInfo(child), (1...4).contains(info.shape.count),
                      info.typeDescription.hasPrefix("int") || info.typeDescription.hasPrefix("uint")
                        || info.typeDescription.hasPrefix("float") {
                out.append(child)
            }
        }
    }

    func stringAttribute(_ name: String, of object: String) -> String? {
        (try? attribute(name, of: object))?.stringValue
    }

    func resolveDefault(group: String, depth: Int) throws -> String? {
        guard depth < 16 else { return nil }
        let join: (String) -> String = { Self.normalized(group == "/" ? "/\($0)" : "\(group)/\($0)") }
        if stringAttribute("NX_class", of: group) == "NXdata", let signal = try signalDataset(in: group) {
            return signal
        }
        if let d = stringAttribute("default", of: group) {
            let target = d.hasPrefix("/") ? Self.normalized(d) : join(d)
            if isGroup(target), let p = try resolveDefault(group: target, depth: depth + 1) { return p }
            if isDataset(target) { return target }
        }
        let groups = try children(of: group).map(join).filter { isGroup($0) }
        let classes = groups.map { ($0, stringAttribute("NX_class", of: $0) ?? "") }
        for (g, c) in classes where c == "NXdata" {
            if let p = try resolveDefault(group: g, depth: depth + 1) { return p }
        }
        for (g, c) in classes where c == "NXentry" || c == "NXsubentry" {
            if let p = try resolveDefault(group: g, depth: depth + 1) { return p }
        }
        return nil
    }

    /// The signal dataset of an NXdata group: `@signal`, else a child dataset with `@signal=1`.
    func signalDataset(in group: String) throws -> String? {
        let prefix = group == "/" ? "" : group
        if let s = stringAttribute("signal", of: group), isDataset("\(prefix)/\(s)") {
            return Self.normalized("\(prefix)/\(s)")
        }
        for name in try children(of: group) where isDataset("\(prefix)/\(name)") {
            let v = try? attribute("signal", of: "\(prefix)/\(name)")
            if v?.intValue == 1 || v?.stringValue == "1" { return Self.normalized("\(prefix)/\(name)") }
        }
        return nil
    }

    /// Reads a string dataset of any shape (fixed- or variable-length) as a flat array.
    func readStrings(_ path: String) throws -> [String] {
        let object = Self.normalized(path)
        let d = try openDataset(object, operation: "read strings")
        let type = HDF5Handle(try check(H5Dget_type(d.id), object, "read strings"), kind: .datatype)
        guard H5Tget_class(type.id) == H5T_STRING else {
            throw ImagingError.invalidData(source: "\(self.path):\(object)", reason: "\(Self.describe(type.id)) dataset is not a string")
        }
        let space = try dataspace(of: d, object)
        return try readStrings(fileType: type.id, count: space.count, object: object) { mem, buf in
            H5Dread(d.id, mem, wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), buf)
        }
    }
}

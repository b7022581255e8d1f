/// A self-describing HDF5 file of named tensors plus an architecture text: the on-disk form of
/// a trained neural-network model (formats.md §3 "model parameters"; Inverse's `ModelArchive`
/// converts to and from it). Version 1:
///
///     /model                        group, attributes:
///         format        = "wb-tensor-archive"
///         version       = 1
///         kind          = what the architecture describes ("nn-model" for Inverse's layer trees)
///         architecture  = JSON text (for "nn-model": the root layer descriptor)
///         scalar_type   = "float32" | "float64" (precision the model was trained in)
///         tensor_names  = the tensor names in order (array of strings)
///         program, program_version, created  (provenance: "wb", library version, UTC ISO-8601)
///     /model/metadata               group; one string attribute per metadata entry (command line,
///                                   seed, training summary … as the caller chooses)
///     /model/tensors/<name>         one dataset per tensor, shape = the tensor's shape (rank 1–4),
///                                   dtype = scalar_type, uncompressed; attribute `index` = position
///
/// Values are held as `Double` in memory; float32 tensors convert to Double and back exactly, so a
/// float32 model reloads bit for bit. Readers reject other formats, newer versions, missing or
/// extra tensors, non-finite values, and shapes that do not fit the data.
public struct TensorArchiveFile: Sendable, Equatable {
    /// The format version this code reads and writes.
    public static let currentVersion = 1
    /// The `/model@format` value.
    public static let formatName = "wb-tensor-archive"

    /// One named tensor.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Double]
        public init(name: String, shape: [Int], values: [Double]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// What `architecture` describes ("nn-model").
    public var kind: String
    /// Architecture text (JSON).
    public var architecture: String
    /// `float32` or `float64`: the dtype of every tensor dataset.
    public var precision: HDF5Precision
    /// The tensors, in order.
    public var tensors: [Entry]
    /// Free-form provenance and training metadata (stored as string attributes).
    public var metadata: [String: String]
    /// Provenance read from a file (`program`, `program_version`, `created`); ignored on writing,
    /// where the current values are stored.
    public var provenance: [String: String] = [:]

    public init(kind: String, architecture: String, precision: HDF5Precision, tensors: [Entry],
                metadata: [String: String] = [:]) {
        self.kind = kind
        self.architecture = architecture
        self.precision = precision
        self.tensors = tensors
        self.metadata = metadata
    }

    func check(source: String) throws {
        func bad(_ reason: String) -> ImagingError { .invalidData(source: source, reason: reason) }
        var seen = Set<String>()
        for t in tensors {
            guard !t.name.isEmpty, !t.name.contains("/") else { throw bad("tensor name '\(t.name)' must be non-empty without '/'") }
            guard seen.insert(t.name).inserted else { throw bad("tensor name '\(t.name)' appears twice") }
            guard (1...4).contains(t.shape.count), t.shape.allSatisfy({ $0 >= 1 }) else {
                throw bad("tensor '\(t.name)' has shape \(t.shape); model files hold tensors of rank 1–4 with positive extents")
            }
            guard t.shape.reduce(1, *) == t.values.count else {
                throw bad("tensor '\(t.name)': shape \(t.shape) does not match \(t.values.count) values")
            }
            if let i = t.values.firstIndex(where: { !$0.isFinite }) {
                throw bad("tensor '\(t.name)' holds \(t.values[i]) at flat index \(i)")
            }
        }
    }

    /// Writes the archive to `path` atomically (callers check ``AtomicOutput/validate(_:inputs:force:)``).
    public func write(to path: String) throws {
        try check(source: path)
        try AtomicOutput.write(to: path) { tmp in
            let file = try HDF5File(tmp, mode: .create)
            defer { file.close() }
            try file.createGroup("/model", attributes: [
                "format": .string(Self.formatName), "version": .int(Self.currentVersion),
                "kind": .string(kind), "architecture": .string(architecture),
                "scalar_type": .string(precision.rawValue),
                "tensor_names": .strings(tensors.map(\.name)),
                "program": .string("wb"), "program_version": .string(imagingVersion),
                "created": .string(NeXus.isoNow()),
            ])
            try file.createGroup("/model/metadata", attributes: metadata.mapValues { .string($0) })
            try file.createGroup("/model/tensors")
            for (i, t) in tensors.enumerated() {
                try file.write(Grid(shape: Shape(t.shape), storage: t.values), to: "/model/tensors/\(t.name)",
                               precision: precision, compression: nil, attributes: ["index": .int(i)])
            }
        }
    }

    /// Reads and checks an archive; errors name the file and the missing or bad item.
    public static func read(_ path: String) throws -> TensorArchiveFile {
        let file = try HDF5File(path)
        defer { file.close() }
        func bad(_ reason: String) -> ImagingError { .invalidData(source: path, reason: reason) }
        guard file.isGroup("/model") else { throw bad("no /model group; not a wb model file") }
        let a = try file.attributes(of: "/model")
        guard a["format"]?.stringValue == formatName else {
            throw bad("/model@format is \(a["format"].map { "\($0)" } ?? "missing"), expected \"\(formatName)\"; not a wb model file")
        }
        guard let version = a["version"]?.intValue else { throw bad("/model@version is missing") }
        guard version >= 1 && version <= currentVersion else {
            throw bad("/model@version \(version) is not supported (this wb reads version \(currentVersion))")
        }
        guard let kind = a["kind"]?.stringValue else { throw bad("/model@kind is missing") }
        guard let architecture = a["architecture"]?.stringValue else { throw bad("/model@architecture is missing") }
        guard let typeName = a["scalar_type"]?.stringValue, let precision = HDF5Precision(rawValue: typeName) else {
            throw bad("/model@scalar_type must be \"float32\" or \"float64\", got \(a["scalar_type"].map { "\($0)" } ?? "nothing")")
        }
        let names: [String]
        switch a["tensor_names"] {
        case .strings(let s)?: names = s
        case .string(let s)?: names = [s]
        default: throw bad("/model@tensor_names is missing")
        }
        let stored = file.isGroup("/model/tensors") ? try file.children(of: "/model/tensors") : []
        if let extra = stored.first(where: { !names.contains($0) }) {
            throw bad("dataset /model/tensors/\(extra) is not listed in /model@tensor_names")
        }
        var tensors: [Entry] = []
        for name in names {
            let object = "/model/tensors/\(name)"
            guard file.isDataset(object) else { throw bad("tensor dataset \(object) is missing") }
            let info = try file.datasetInfo(object)
            guard info.typeDescription == "float32" || info.typeDescription == "float64" else {
                throw bad("\(object) is \(info.typeDescription); tensors must be float32 or float64")
            }
            let grid = try file.readGrid(object)
            tensors.append(Entry(name: name, shape: grid.shape.dimensions, values: grid.storage))
        }
        var metadata: [String: String] = [:]
        if file.isGroup("/model/metadata") {
            for (k, v) in try file.attributes(of: "/model/metadata") { metadata[k] = v.stringValue ?? "\(v)" }
        }
        var archive = TensorArchiveFile(kind: kind, architecture: architecture, precision: precision,
                                        tensors: tensors, metadata: metadata)
        for key in ["program", "program_version", "created"] { archive.provenance[key] = a[key]?.stringValue }
        try archive.check(source: path)
        return archive
    }
}

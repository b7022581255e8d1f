/// The HDF5 file format of a field-of-experts model (formats.md §3 "model parameters"; written by
/// `wb foe-model`, later by `wb learn foe`, read by `wb denoise foe`). Version 1:
///
///     /model                      group, attributes:
///         model     = "field-of-experts"
///         version   = 1
///         boundary  = "reflect" | "periodic"   (boundary extension of the filter convolutions)
///         potential = "smoothed-l1"            (φ_ν(t) = sqrt(t² + ν²))
///     /model/filters     float64 (K, s_h, s_w), s_h and s_w odd: filter c_k = filters[k]
///     /model/weights     float64 (K), w_k > 0
///     /model/smoothings  float64 (K), ν_k > 0
///
/// The model is R(x) = Σ_k w_k Σ_p φ_{ν_k}((c_k ∗ x)_p) with the direct "same" convolution
/// (c ∗ x)[i, j] = Σ_{a,b} c[a, b]·x̃[i − a + s_h div 2, j − b + s_w div 2] (x̃: x extended by the
/// boundary), and denoising minimises ½‖x − y‖² + R(x) (no extra ½ in front of R).
/// All values must be finite. Readers reject other `model` values and newer versions.
public struct FieldOfExpertsModelFile: ModelFile {
    /// The format version this code reads and writes.
    public static let currentVersion = 1
    /// The boundary names the format allows.
    public static let boundaries = ["reflect", "periodic"]

    /// The filters, shape (K, s_h, s_w).
    public var filters: Grid
    /// w_k, one per filter.
    public var weights: [Double]
    /// ν_k, one per filter.
    public var smoothings: [Double]
    /// "reflect" or "periodic".
    public var boundary: String

    /// A model from its parts, checked as ``read(_:)`` checks a file.
    public init(filters: Grid, weights: [Double], smoothings: [Double], boundary: String = "reflect") throws {
        self.filters = filters
        self.weights = weights
        self.smoothings = smoothings
        self.boundary = boundary
        try check(source: "field-of-experts model")
    }

    /// Number of filters K.
    public var filterCount: Int { filters.shape[0] }

    func check(source: String) throws {
        func bad(_ reason: String) -> ImagingError { .invalidData(source: source, reason: reason) }
        guard filters.rank == 3 else { throw bad("filters must have shape (K, s_h, s_w), got \(filters.shape)") }
        let k = filters.shape[0]
        guard k >= 1 else { throw bad("the model has no filters") }
        guard filters.shape[1] % 2 == 1, filters.shape[2] % 2 == 1 else {
            throw bad("filter sizes must be odd, got \(filters.shape[1])×\(filters.shape[2])")
        }
        guard weights.count == k, smoothings.count == k else {
            throw bad("\(k) filters but \(weights.count) weights and \(smoothings.count) smoothings")
        }
        if let f = filters.firstNonFinite { throw bad("filters hold \(f.value) at flat index \(f.index)") }
        if let i = weights.firstIndex(where: { !($0 > 0 && $0.isFinite) }) { throw bad("weight \(i) is \(weights[i]); weights must be finite and > 0") }
        if let i = smoothings.firstIndex(where: { !($0 > 0 && $0.isFinite) }) { throw bad("smoothing \(i) is \(smoothings[i]); smoothings must be finite and > 0") }
        guard Self.boundaries.contains(boundary) else { throw bad("boundary '\(boundary)' is not one of \(Self.boundaries.joined(separator: ", "))") }
    }

    /// Reads and checks a model file; errors name the file and the missing or bad item.
    /// `group` is the model group (`/model` in a model file; `wb learn` pipelines store models
    /// at `/entry/<step>/model`).
    public static func read(_ path: String, group: String = "/model") throws -> FieldOfExpertsModelFile {
        let file = try HDF5File(path)
        defer { file.close() }
        let source = group == "/model" ? path : "\(path):\(group)"
        try ModelGroup.check(file, group: group, kind: "field-of-experts", version: currentVersion, source: source)
        func bad(_ reason: String) -> ImagingError { .invalidData(source: source, reason: reason) }
        let attributes = try file.attributes(of: group)
        let boundary = attributes["boundary"]?.stringValue ?? "reflect"
        if let potential = attributes["potential"]?.stringValue, potential != "smoothed-l1" {
            throw bad("\(group)@potential '\(potential)' is not supported (only smoothed-l1)")
        }
        var grids: [String: Grid] = [:]
        for name in ["filters", "weights", "smoothings"] {
            grids[name] = try ModelGroup.dataset(file, "\(group)/\(name)", source: source)
        }
        for name in ["weights", "smoothings"] where grids[name]!.rank != 1 {
            throw bad("\(group)/\(name) must be 1-D, got shape \(grids[name]!.shape)")
        }
        let model = FieldOfExpertsModelFile(unchecked: grids["filters"]!, weights: grids["weights"]!.storage,
                                            smoothings: grids["smoothings"]!.storage, boundary: boundary)
        try model.check(source: source)
        return model
    }

    init(unchecked filters: Grid, weights: [Double], smoothings: [Double], boundary: String) {
        self.filters = filters
        self.weights = weights
        self.smoothings = smoothings
        self.boundary = boundary
    }

    /// Writes the model as `group` (default `/model`) into an open file (e.g. next to a NeXus entry).
    public func write(in file: HDF5File, group: String = "/model") throws {
        try file.createGroup(group, attributes: [
            "model": .string("field-of-experts"), "version": .int(Self.currentVersion),
            "boundary": .string(boundary), "potential": .string("smoothed-l1"),
        ])
        try file.write(filters, to: "\(group)/filters", compression: nil)
        try file.write(Grid(shape: Shape(weights.count), storage: weights), to: "\(group)/weights", compression: nil)
        try file.write(Grid(shape: Shape(smoothings.count), storage: smoothings), to: "\(group)/smoothings", compression: nil)
    }
}

/// A model stored as one HDF5 group (`/model` in a model file of its own).
public protocol ModelFile: Sendable, Equatable {
    /// Writes the model as `group` into an open file (e.g. next to a NeXus entry).
    func write(in file: HDF5File, group: String) throws
}

extension ModelFile {
    /// Writes the model to `path` as `/model`, atomically (replacing an existing file; callers
    /// check ``AtomicOutput/validate(_:inputs:force:)`` first).
    public func write(to path: String) throws {
        try AtomicOutput.write(to: path) { tmp in
            let file = try HDF5File(tmp, mode: .create)
            defer { file.close() }
            try write(in: file, group: "/model")
        }
    }
}

/// Checks shared by the model-file readers: the group exists, names the expected model and a
/// readable version; datasets exist.
enum ModelGroup {
    /// The `model` attribute of `group` (nil when the group or attribute is missing).
    static func kind(_ file: HDF5File, group: String) throws -> String? {
        guard file.isGroup(group) else { return nil }
        return try file.attributes(of: group)["model"]?.stringValue
    }

    static func check(_ file: HDF5File, group: String, kind: String, version current: Int, source: String) throws {
        func bad(_ reason: String) -> ImagingError { .invalidData(source: source, reason: reason) }
        guard file.isGroup(group) else { throw bad("no \(group) group; not a \(kind) model file") }
        let attributes = try file.attributes(of: group)
        guard let k = attributes["model"]?.stringValue, k == kind else {
            throw bad("\(group)@model must be \"\(kind)\", got \(attributes["model"].map { "\($0)" } ?? "nothing")")
        }
        guard let version = attributes["version"]?.intValue else { throw bad("\(group)@version is missing") }
        guard version >= 1 && version <= current else {
            throw bad("\(group)@version \(version) is not supported (this wb reads version \(current))")
        }
    }

    static func dataset(_ file: HDF5File, _ object: String, source: String) throws -> Grid {
        guard file.isDataset(object) else { throw ImagingError.invalidData(source: source, reason: "dataset \(object) is missing") }
        return try file.readGrid(object)
    }
}

/// The HDF5 file format of a smoothed total-variation denoising model (formats.md §3 "model
/// parameters"; written by `wb learn tv`, read by `wb denoise tv --model`). Version 1, the same
/// layout rules as ``FieldOfExpertsModelFile``:
///
///     /model                      group, attributes:
///         model     = "smoothed-tv"
///         version   = 1
///         tv        = "isotropic" | "anisotropic"
///     /model/weight      float64 (1), λ > 0
///     /model/smoothing   float64 (1), ν > 0
///
/// The model is R(x) = λ Σ_p sqrt(Σ_a (∂_a x)_p² + ν²) (isotropic) or λ Σ_p Σ_a sqrt((∂_a x)_p² + ν²)
/// (anisotropic), forward differences with Neumann boundary, and denoising minimises
/// ½‖x − y‖² + R(x). All values must be finite. Readers reject other `model` values and newer versions.
public struct TVModelFile: ModelFile {
    /// The format version this code reads and writes.
    public static let currentVersion = 1
    /// The value of `/model@model`.
    public static let kind = "smoothed-tv"

    /// λ.
    public var weight: Double
    /// ν.
    public var smoothing: Double
    /// Isotropic (one square root per pixel) or anisotropic (one per pixel and axis).
    public var isotropic: Bool

    /// A model from its parts, checked as ``read(_:group:)`` checks a file.
    public init(weight: Double, smoothing: Double, isotropic: Bool) throws {
        self.weight = weight
        self.smoothing = smoothing
        self.isotropic = isotropic
        try check(source: "smoothed-TV model")
    }

    func check(source: String) throws {
        func bad(_ reason: String) -> ImagingError { .invalidData(source: source, reason: reason) }
        guard weight > 0 && weight.isFinite else { throw bad("weight λ is \(weight); it must be finite and > 0") }
        guard smoothing > 0 && smoothing.isFinite else { throw bad("smoothing ν is \(smoothing); it must be finite and > 0") }
    }

    /// Reads and checks the model in `group` of the HDF5 file `path`.
    public static func read(_ path: String, group: String = "/model") throws -> TVModelFile {
        let file = try HDF5File(path)
        defer { file.close() }
        let source = group == "/model" ? path : "\(path):\(group)"
        try ModelGroup.check(file, group: group, kind: kind, version: currentVersion, source: source)
        func bad(_ reason: String) -> ImagingError { .invalidData(source: source, reason: reason) }
        let tv = try file.attributes(of: group)["tv"]?.stringValue ?? "isotropic"
        guard tv == "isotropic" || tv == "anisotropic" else { throw bad("\(group)@tv '\(tv)' is not isotropic or anisotropic") }
        var values: [String: Double] = [:]
        for name in ["weight", "smoothing"] {
            let g = try ModelGroup.dataset(file, "\(group)/\(name)", source: source)
            guard g.count == 1 else { throw bad("\(group)/\(name) must hold one value, got shape \(g.shape)") }
            values[name] = g.storage[0]
        }
        let model = TVModelFile(unchecked: values["weight"]!, smoothing: values["smoothing"]!, isotropic: tv == "isotropic")
        try model.check(source: source)
        return model
    }

    init(unchecked weight: Double, smoothing: Double, isotropic: Bool) {
        self.weight = weight
        self.smoothing = smoothing
        self.isotropic = isotropic
    }

    /// The `model` attribute of `group` in `path` ("smoothed-tv", "field-of-experts", …), or nil.
    public static func modelKind(of path: String, group: String = "/model") throws -> String? {
        let file = try HDF5File(path)
        defer { file.close() }
        return try ModelGroup.kind(file, group: group)
    }

    /// Writes the model as `group` (default `/model`) into an open file.
    public func write(in file: HDF5File, group: String = "/model") throws {
        try file.createGroup(group, attributes: [
            "model": .string(Self.kind), "version": .int(Self.currentVersion),
            "tv": .string(isotropic ? "isotropic" : "anisotropic"),
        ])
        try file.write(Grid(shape: Shape(1), storage: [weight]), to: "\(group)/weight", compression: nil)
        try file.write(Grid(shape: Shape(1), storage: [smoothing]), to: "\(group)/smoothing", compression: nil)
    }
}

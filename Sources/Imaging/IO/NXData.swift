/// One result of a wb run, written by ``NeXus/write(_:to:)`` as an `NXdata` group
/// `/entry/<name>` with the signal in `/entry/<name>/data`.
///
/// Default axis names (when `axes` is `nil`): rank 1 `["x"]`, rank 2 `["y", "x"]`, rank 3
/// `["n", "y", "x"]` when `interpretation` is `"image"` (a stack of images) and
/// `["z", "y", "x"]` otherwise, rank 4 `["t", "z", "y", "x"]`. Use `"."` for a dimension
/// without an axis. Every named axis gets a 1-D axis dataset: the one given in
/// ``axisValues``, or the pixel indices 0…n−1 (so that strict NXdata validators such as
/// silx accept the group).
public struct NXData: Sendable {
    /// The group name under `/entry` (no `/`; not `process`).
    public var name: String
    /// The signal, written as `data`.
    public var signal: Grid
    /// One axis name per dimension of `signal`, slowest first; `"."` for none.
    public var axes: [String]
    /// `@interpretation` of the signal: `"image"`, `"spectrum"`, `"vertex"` …
    public var interpretation: String?
    /// `@long_name` of the signal (a plot label).
    public var longName: String?
    /// `@units` of the signal.
    public var units: String?
    /// Precision of the signal on disk.
    public var precision: HDF5Precision = .float64
    /// Optional 1-D axis datasets by axis name (length = that dimension).
    public var axisValues: [String: Grid] = [:]
    /// Further datasets in the group, e.g. `"gains_true"`.
    public var extraDatasets: [String: Grid] = [:]
    /// Further attributes of the NXdata group.
    public var attributes: [String: HDF5Value] = [:]

    /// A result named `name` holding `signal`; see the type's documentation for default axes.
    public init(name: String, signal: Grid, axes: [String]? = nil, interpretation: String? = nil,
                longName: String? = nil, units: String? = nil, precision: HDF5Precision = .float64) {
        self.name = name
        self.signal = signal
        self.axes = axes ?? NXData.defaultAxes(rank: signal.rank, interpretation: interpretation)
        self.interpretation = interpretation
        self.longName = longName
        self.units = units
        self.precision = precision
    }

    /// The default axis names for a signal of `rank` (see the type's documentation).
    public static func defaultAxes(rank: Int, interpretation: String?) -> [String] {
        switch rank {
        case 1: return ["x"]
        case 2: return ["y", "x"]
        case 3: return interpretation == "image" ? ["n", "y", "x"] : ["z", "y", "x"]
        default: return Array(["t", "z", "y", "x"].suffix(rank))
        }
    }
}

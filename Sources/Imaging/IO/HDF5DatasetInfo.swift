/// What ``HDF5File/datasetInfo(_:)`` reports about a dataset without reading its data.
public struct HDF5DatasetInfo: Sendable, Equatable {
    /// The absolute path of the dataset in the file.
    public let path: String
    /// The dimensions, slowest first (`[]` for a scalar dataspace).
    public let shape: [Int]
    /// The element type: `"float64"`, `"float32"`, `"int8"` … `"int64"`, `"uint8"` … `"uint64"`
    /// (a `"-be"` suffix for big-endian storage), `"string"`, `"complex128"`/`"complex64"` for a
    /// compound `{r, i}`, `"compound"`, `"enum"`, `"opaque"`, … for the rest.
    public let typeDescription: String
    /// The chunk dimensions when the layout is chunked, else `nil`.
    public let chunks: [Int]?
    /// The filter pipeline in order, e.g. `["shuffle", "gzip(4)"]`.
    public let filters: [String]

    /// Number of elements (1 for a scalar dataspace).
    public var count: Int { shape.reduce(1, *) }

    /// An info record (normally made by ``HDF5File/datasetInfo(_:)``).
    public init(path: String, shape: [Int], typeDescription: String, chunks: [Int]?, filters: [String]) {
        self.path = path
        self.shape = shape
        self.typeDescription = typeDescription
        self.chunks = chunks
        self.filters = filters
    }
}

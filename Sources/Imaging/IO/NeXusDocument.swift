/// Everything ``NeXus/write(_:to:)`` puts into one NeXus file.
///
/// `summary` (e.g. metrics) is written as attributes of the group `/entry/process/summary`
/// (`@NX_class="NXcollection"`), one attribute per key.
public struct NeXusDocument: Sendable {
    /// The results, one NXdata group each under `/entry`.
    public var results: [NXData]
    /// The name of the main result (`/entry@default`).
    public var defaultResult: String
    /// Provenance for `/entry/process`.
    public var provenance: Provenance
    /// Optional solver history for `/entry/process/convergence`.
    public var convergence: ConvergenceHistory?
    /// Scalar summary values (metrics …) for `/entry/process/summary`.
    public var summary: [String: HDF5Value] = [:]
    /// Further named solver histories (e.g. one per pipeline step), each written as
    /// `/entry/process/convergence_<name>` in the same NXdata layout as ``convergence``.
    public var namedConvergence: [(name: String, history: ConvergenceHistory)] = []
    /// Further content written into the open file after the entry (e.g. a model group at
    /// `/model`), inside the same atomic write: a failure leaves no file.
    public var appendices: [@Sendable (HDF5File) throws -> Void] = []

    /// A document; `defaultResult` defaults to the first result's name.
    public init(results: [NXData], defaultResult: String? = nil, provenance: Provenance,
                convergence: ConvergenceHistory? = nil, summary: [String: HDF5Value] = [:]) {
        self.results = results
        self.defaultResult = defaultResult ?? results.first?.name ?? ""
        self.provenance = provenance
        self.convergence = convergence
        self.summary = summary
    }
}

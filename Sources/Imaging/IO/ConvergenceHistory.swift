/// Per-iteration solver statistics, written by ``NeXus/write(_:to:)`` as the NXdata group
/// `/entry/process/convergence`: one 1-D float64 dataset per column. A column named
/// `"iteration"` becomes the axis (`@axes=["iteration"]`); the first other column is the
/// `@signal`, the remaining ones are listed in `@auxiliary_signals`.
public struct ConvergenceHistory: Sendable {
    /// Columns in order, all of the same length; names must not contain `/`.
    public var columns: [(name: String, values: [Double])]

    /// A history from its columns.
    public init(columns: [(name: String, values: [Double])]) {
        self.columns = columns
    }
}

/// Floating-point precision of a dataset written by ``HDF5File/write(_:to:precision:compression:chunks:attributes:)-(Grid,_,_,_,_,_)``.
///
/// Grids are always `Double` in memory; `float32` halves the file size and HDF5 converts
/// (rounding to nearest) while writing.
public enum HDF5Precision: String, Sendable {
    /// IEEE 754 binary32, little-endian on disk.
    case float32
    /// IEEE 754 binary64, little-endian on disk.
    case float64
}

/// Every failure of wb's data layer, each naming the file, dataset or option involved.
///
/// `description` is the message a user sees (no stack traces, no HDF5 error-stack dumps).
public enum ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but cannot be opened or parsed; `reason` says why.
    case unreadable(path: String, reason: String)
    /// The output cannot be created (folder missing or not writable, output equals an input, …).
    case unwritable(path: String, reason: String)
    /// A PNG-specific failure.
    case png(path: String, reason: String)
    /// An HDF5 failure in `operation` on `object` (a dataset or group path) of `path`.
    case hdf5(path: String, object: String, operation: String, reason: String)
    /// The data is unusable: NaN/Inf, wrong rank, wrong type …; `source` names file and dataset.
    case invalidData(source: String, reason: String)
    /// A parameter value is out of range or ill-typed; `name` is the option or parameter.
    case invalidParameter(name: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file"
        case .unreadable(let p, let r): return "\(p): cannot read: \(r)"
        case .unwritable(let p, let r): return "\(p): cannot write: \(r)"
        case .png(let p, let r): return "\(p): PNG error: \(r)"
        case .hdf5(let p, let o, let op, let r):
            return "\(p)\(o.isEmpty ? "" : ":" + o): HDF5 \(op) failed: \(r)"
        case .invalidData(let s, let r): return "\(s): invalid data: \(r)"
        case .invalidParameter(let n, let r): return "parameter '\(n)': \(r)"
        }
    }
}

extension Grid {
    /// Throws ``ImagingError/invalidData(source:reason:)`` naming `source` and the first
    /// non-finite element's index when the grid holds NaN or infinity.
    public func requireFinite(source: String) throws {
        if let (i, v) = firstNonFinite {
            throw ImagingError.invalidData(source: source,
                reason: "\(v) at index \(multiIndex(i)) (NaN and infinity are not accepted)")
        }
    }
}

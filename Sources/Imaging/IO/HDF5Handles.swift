internal import CHDF5

/// One open HDF5 identifier (file, group, dataset, dataspace, datatype, attribute or property
/// list), closed exactly once in `deinit`.
///
/// A small `final class` rather than a `~Copyable` struct because handles are stored in
/// ``HDF5File`` and passed through helper functions; the cost is one allocation per handle.
final class HDF5Handle {
    /// Which `H5?close` releases the identifier.
    enum Kind { case file, group, dataset, dataspace, datatype, attribute, propertyList, object }

    let id: hid_t
    let kind: Kind
    private var isOpen = true

    /// Wraps a valid (non-negative) identifier.
    init(_ id: hid_t, kind: Kind) {
        precondition(id >= 0, "HDF5Handle: negative identifier")
        self.id = id
        self.kind = kind
    }

    /// Closes the identifier now (idempotent).
    func close() {
        guard isOpen else { return }
        isOpen = false
        switch kind {
        case .file: H5Fclose(id)
        case .group: H5Gclose(id)
        case .dataset: H5Dclose(id)
        case .dataspace: H5Sclose(id)
        case .datatype: H5Tclose(id)
        case .attribute: H5Aclose(id)
        case .propertyList: H5Pclose(id)
        case .object: H5Oclose(id)
        }
    }

    deinit { close() }
}

internal import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// An open HDF5 file: navigation, typed reads into ``Grid``/``ComplexGrid``/`String`, writes,
/// and attributes.
///
/// Object paths are absolute (`"/entry/data/data"`); a path without a leading `/` is taken
/// relative to the root. Every HDF5 failure is thrown as an ``ImagingError`` naming the file,
/// the object and the operation, with the innermost message of HDF5's error stack as the
/// reason; HDF5 never prints to stderr.
///
/// The class owns its file identifier and every identifier it opens is closed before the
/// method that opened it returns; ``close()`` (or `deinit`) closes the file. Not `Sendable`:
/// use one instance from one task at a time (HDF5 serialises all calls anyway).
///
/// ```swift
/// let file = try HDF5File("chopper.nxs")
/// let counts = try file.readGrid(try file.defaultSignalPath())
/// ```
public final class HDF5File {
    /// How to open the file.
    public enum Mode: Sendable {
        /// Read-only; the file must exist.
        case read
        /// Read and write an existing file.
        case readWrite
        /// Create a new file, truncating any existing one.
        case create
    }

    /// The path the file was opened with.
    public let path: String
    var handle: HDF5Handle?

    /// Opens (or, with `.create`, creates) the file at `path`.
    ///
    /// - Throws: ``ImagingError/fileNotFound(path:)`` when a file to read is missing,
    ///   ``ImagingError/unreadable(path:reason:)`` when it is not an HDF5 file or is damaged
    ///   (e.g. truncated), ``ImagingError/hdf5(path:object:operation:reason:)`` otherwise.
    public init(_ path: String, mode: Mode = .read) throws {
        HDF5Library.prepare()
        self.path = path
        let fapl = wb_h5p_default()
        switch mode {
        case .create:
            let id = H5Fcreate(path, wb_h5f_acc_trunc(), wb_h5p_default(), fapl)
            guard id >= 0 else {
                throw ImagingError.hdf5(path: path, object: "/", operation: "create file",
                                        reason: HDF5Library.errorReason(fallback: "cannot create the file"))
            }
            handle = HDF5Handle(id, kind: .file)
        case .read, .readWrite:
            var st = stat()
            guard stat(path, &st) == 0 else { throw ImagingError.fileNotFound(path: path) }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw ImagingError.unreadable(path: path, reason: "is a directory, not an HDF5 file")
            }
            if access(path, R_OK) != 0 {
                throw ImagingError.unreadable(path: path, reason: "permission denied")
            }
            let isHDF5 = H5Fis_hdf5(path)
            if isHDF5 == 0 {
                _ = HDF5Library.takeErrorMessages()
                throw ImagingError.unreadable(path: path, reason: "not an HDF5 file (no HDF5 signature found)")
            }
            let flags = mode == .read ? wb_h5f_acc_rdonly() : wb_h5f_acc_rdwr()
            let id = H5Fopen(path, flags, fapl)
            guard id >= 0 else {
                let reason = HDF5Library.errorReason(fallback: "the file cannot be opened")
                throw ImagingError.unreadable(path: path, reason: "damaged or truncated HDF5 file: \(reason)")
            }
            handle = HDF5Handle(id, kind: .file)
        }
    }

    deinit { close() }

    /// Closes the file. Later calls on this instance throw (or return `false`/empty).
    /// Calling it twice is harmless.
    public func close() {
        guard let h = handle else { return }
        HDF5Library.prepare()
        handle = nil
        H5Fflush(h.id, H5F_SCOPE_LOCAL)
        h.close()
        _ = HDF5Library.takeErrorMessages()
    }

    // MARK: - Navigation

    /// True when `object` (an absolute path, or `"/"`) names an existing group, dataset or
    /// committed datatype. Missing intermediate groups, paths through a dataset and dangling
    /// links give `false`; nothing is printed.
    public func exists(_ object: String) -> Bool {
        guard let fid = handle?.id else { return false }
        HDF5Library.prepare()
        let components = Self.components(of: object)
        if components.isEmpty { return true }
        var prefix = ""
        for c in components {
            if c == "." || c == ".." { return false }
            prefix += "/" + c
            guard H5Lexists(fid, prefix, wb_h5p_default()) > 0,
                  H5Oexists_by_name(fid, prefix, wb_h5p_default()) > 0 else {
                _ = HDF5Library.takeErrorMessages()
                return false
            }
        }
        return true
    }

    /// True when `object` exists and is a group.
    public func isGroup(_ object: String) -> Bool { objectType(object) == H5I_GROUP }

    /// True when `object` exists and is a dataset.
    public func isDataset(_ object: String) -> Bool { objectType(object) == H5I_DATASET }

    /// The names of the members of `group` (links of any kind), sorted.
    public func children(of group: String) throws -> [String] {
        let g = try openGroup(group, operation: "list members")
        var info = H5G_info_t()
        try check(H5Gget_info(g.id, &info), group, "list members")
        var names: [String] = []
        for i in 0..<info.nlinks {
            let len = try check(H5Lget_name_by_idx(g.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, wb_h5p_default()),
                                group, "list members")
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            try check(H5Lget_name_by_idx(g.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, wb_h5p_default()),
                      group, "list members")
            names.append(String(cString: buf))
        }
        return names.sorted()
    }

    /// Shape, element type, chunking and filters of the dataset at `path`.
    public func datasetInfo(_ path: String) throws -> HDF5DatasetInfo {
        let object = Self.normalized(path)
        let d = try openDataset(object, operation: "inspect dataset")
        let space = try dataspace(of: d, object)
        let type = HDF5Handle(try check(H5Dget_type(d.id), object, "inspect dataset"), kind: .datatype)
        let dcpl = HDF5Handle(try check(H5Dget_create_plist(d.id), object, "inspect dataset"), kind: .propertyList)
        var chunks: [Int]? = nil
        if H5Pget_layout(dcpl.id) == H5D_CHUNKED {
            let rank = Int(try check(H5Pget_chunk(dcpl.id, 0, nil), object, "inspect chunks"))
            var dims = [hsize_t](repeating: 0, count: max(rank, 1))
            try check(H5Pget_chunk(dcpl.id, Int32(rank), &dims), object, "inspect chunks")
            chunks = dims.prefix(rank).map { Int($0) }
        }
        var filters: [String] = []
        let nf = try check(H5Pget_nfilters(dcpl.id), object, "inspect filters")
        for i in 0..<nf {
            var flags: UInt32 = 0
            var nValues = 8
            var values = [UInt32](repeating: 0, count: 8)
            var name = [CChar](repeating: 0, count: 64)
            var config: UInt32 = 0
            let id = H5Pget_filter2(dcpl.id, UInt32(i), &flags, &nValues, &values, name.count, &name, &config)
            guard id >= 0 else { throw error(object, "inspect filters", fallback: "cannot read filter \(i)") }
            switch Int32(id) {
            case wb_h5z_filter_deflate(): filters.append("gzip(\(nValues > 0 ? Int(values[0]) : 0))")
            case wb_h5z_filter_shuffle(): filters.append("shuffle")
            case wb_h5z_filter_fletcher32(): filters.append("fletcher32")
            case wb_h5z_filter_szip(): filters.append("szip")
            case wb_h5z_filter_nbit(): filters.append("nbit")
            case wb_h5z_filter_scaleoffset(): filters.append("scaleoffset")
            default:
                let n = String(cString: name)
                filters.append(n.isEmpty ? "filter(\(id))" : "\(n)(\(id))")
            }
        }
        return HDF5DatasetInfo(path: object, shape: space.dims, typeDescription: Self.describe(type.id),
                               chunks: chunks, filters: filters)
    }

    // MARK: - Internal helpers

    /// The open file identifier, or a thrown error if closed.
    func fileID(_ object: String, _ operation: String) throws -> hid_t {
        HDF5Library.prepare()
        guard let h = handle else {
            throw ImagingError.hdf5(path: path, object: object, operation: operation, reason: "the file is closed")
        }
        return h.id
    }

    /// An ``ImagingError/hdf5(path:object:operation:reason:)`` for this file, with the reason
    /// taken from HDF5's error stack.
    func error(_ object: String, _ operation: String, fallback: String) -> ImagingError {
        .hdf5(path: path, object: object, operation: operation, reason: HDF5Library.errorReason(fallback: fallback))
    }

    /// Returns `value`, or throws when it is negative (HDF5's failure convention).
    @discardableResult
    func check<T: BinaryInteger>(_ value: T, _ object: String, _ operation: String) throws -> T {
        if value < 0 { throw error(object, operation, fallback: "HDF5 call failed (returned \(value))") }
        return value
    }

    /// Opens any object and returns its identifier type, or `nil` when it does not exist.
    func objectType(_ object: String) -> H5I_type_t? {
        guard exists(object), let fid = handle?.id else { return nil }
        let id = H5Oopen(fid, Self.normalized(object), wb_h5p_default())
        guard id >= 0 else { _ = HDF5Library.takeErrorMessages(); return nil }
        let h = HDF5Handle(id, kind: .object)
        return H5Iget_type(h.id)
    }

    func openGroup(_ object: String, operation: String) throws -> HDF5Handle {
        let name = Self.normalized(object)
        let fid = try fileID(name, operation)
        guard isGroup(name) else {
            throw ImagingError.hdf5(path: path, object: name, operation: operation,
                                    reason: exists(name) ? "not a group" : "no such group")
        }
        let id = H5Gopen2(fid, name, wb_h5p_default())
        return HDF5Handle(try check(id, name, operation), kind: .group)
    }

    func openDataset(_ object: String, operation: String) throws -> HDF5Handle {
        let name = Self.normalized(object)
        let fid = try fileID(name, operation)
        guard isDataset(name) else {
            throw ImagingError.hdf5(path: path, object: name, operation: operation,
                                    reason: exists(name) ? "not a dataset" : "no such dataset")
        }
        let id = H5Dopen2(fid, name, wb_h5p_default())
        return HDF5Handle(try check(id, name, operation), kind: .dataset)
    }

    /// Opens any object (group or dataset) for attribute access.
    func openObject(_ object: String, operation: String) throws -> HDF5Handle {
        let name = Self.normalized(object)
        let fid = try fileID(name, operation)
        guard exists(name) else {
            throw ImagingError.hdf5(path: path, object: name, operation: operation, reason: "no such object")
        }
        return HDF5Handle(try check(H5Oopen(fid, name, wb_h5p_default()), name, operation), kind: .object)
    }

    /// A dataset's dataspace with its class and dimensions.
    struct Space {
        let handle: HDF5Handle
        let isScalar: Bool
        let isNull: Bool
        let dims: [Int]
        var count: Int { isNull ? 0 : dims.reduce(1, *) }
    }

    func dataspace(of dataset: HDF5Handle, _ object: String) throws -> Space {
        try space(HDF5Handle(try check(H5Dget_space(dataset.id), object, "get dataspace"), kind: .dataspace), object)
    }

    func space(_ h: HDF5Handle, _ object: String) throws -> Space {
        let cls = H5Sget_simple_extent_type(h.id)
        let rank = Int(try check(H5Sget_simple_extent_ndims(h.id), object, "get dataspace"))
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        if rank > 0 { try check(H5Sget_simple_extent_dims(h.id, &dims, nil), object, "get dataspace") }
        return Space(handle: h, isScalar: cls == H5S_SCALAR, isNull: cls == H5S_NULL,
                     dims: dims.prefix(rank).map { Int($0) })
    }

    /// `"/a/b"` for `"a/b"`, `"/a/b/"`, `"//a//b"`; `"/"` for the root.
    static func normalized(_ object: String) -> String {
        "/" + components(of: object).joined(separator: "/")
    }

    static func components(of object: String) -> [String] {
        object.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The parent group path of a normalised object path.
    static func parent(of object: String) -> String {
        let c = components(of: object)
        return "/" + c.dropLast().joined(separator: "/")
    }

    /// A short numpy-like name of an HDF5 datatype.
    static func describe(_ type: hid_t) -> String {
        let cls = H5Tget_class(type)
        let size = H5Tget_size(type)
        let bigEndian = H5Tget_order(type) == H5T_ORDER_BE
        let suffix = bigEndian && size > 1 ? "-be" : ""
        switch cls {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            return (signed ? "int" : "uint") + "\(size * 8)" + suffix
        case H5T_FLOAT: return "float\(size * 8)" + suffix
        case H5T_STRING: return "string"
        case H5T_COMPOUND:
            if isComplexCompound(type) { return "complex\(size * 8)" }
            return "compound"
        case H5T_ENUM: return "enum"
        case H5T_BITFIELD: return "bitfield"
        case H5T_OPAQUE: return "opaque"
        case H5T_REFERENCE: return "reference"
        case H5T_VLEN: return "vlen"
        case H5T_ARRAY: return "array"
        case H5T_TIME: return "time"
        default: return "unknown"
        }
    }

    /// True for a compound of exactly two float members named `r` and `i`.
    static func isComplexCompound(_ type: hid_t) -> Bool {
        guard H5Tget_class(type) == H5T_COMPOUND, H5Tget_nmembers(type) == 2 else { return false }
        var names: [String] = []
        for m in 0..<UInt32(2) {
            guard H5Tget_member_class(type, m) == H5T_FLOAT, let n = H5Tget_member_name(type, m) else { return false }
            names.append(String(cString: n))
            H5free_memory(n)
        }
        return names == ["r", "i"]
    }
}

internal import CHDF5
import ComplexModule

extension HDF5File {
    /// Reads a numeric dataset of rank 1–4 as a ``Grid``.
    ///
    /// Any integer (8–64 bit, signed or unsigned) or floating-point dataset, in either byte
    /// order, is accepted: HDF5 converts the elements to `Double` while reading (64-bit integers
    /// above 2⁵³ lose precision).
    ///
    /// - Throws: ``ImagingError/invalidData(source:reason:)`` naming `file:dataset` for a
    ///   scalar, rank-5+ or non-numeric (string, compound, …) dataset;
    ///   ``ImagingError/hdf5(path:object:operation:reason:)`` when it is missing or unreadable.
    public func readGrid(_ path: String) throws -> Grid {
        let object = Self.normalized(path)
        let d = try openDataset(object, operation: "read dataset")
        let type = HDF5Handle(try check(H5Dget_type(d.id), object, "read dataset"), kind: .datatype)
        let cls = H5Tget_class(type.id)
        let source = "\(self.path):\(object)"
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            throw ImagingError.invalidData(source: source,
                reason: "\(Self.describe(type.id)) dataset is not numeric (expected an integer or float dataset)")
        }
        let space = try dataspace(of: d, object)
        guard !space.isScalar, !space.isNull, (1...4).contains(space.dims.count) else {
            let rank = space.isScalar || space.isNull ? 0 : space.dims.count
            throw ImagingError.invalidData(source: source, reason: "rank \(rank) not supported (1–4)")
        }
        var grid = Grid(shape: Shape(space.dims), repeating: 0)
        if grid.count > 0 {
            let status = grid.storage.withUnsafeMutableBytes { buf in
                H5Dread(d.id, wb_h5t_native_double(), wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), buf.baseAddress)
            }
            try check(status, object, "read dataset")
        }
        return grid
    }

    /// Reads a dataset stored as a compound `{r, i}` of floats (float64 or float32, the h5py
    /// and wb convention for complex numbers) of rank 1–4 as a ``ComplexGrid``.
    public func readComplexGrid(_ path: String) throws -> ComplexGrid {
        let object = Self.normalized(path)
        let d = try openDataset(object, operation: "read complex dataset")
        let type = HDF5Handle(try check(H5Dget_type(d.id), object, "read complex dataset"), kind: .datatype)
        let source = "\(self.path):\(object)"
        guard Self.isComplexCompound(type.id) else {
            throw ImagingError.invalidData(source: source,
                reason: "\(Self.describe(type.id)) dataset is not complex (expected a compound {r, i} of floats)")
        }
        let space = try dataspace(of: d, object)
        guard !space.isScalar, !space.isNull, (1...4).contains(space.dims.count) else {
            let rank = space.isScalar || space.isNull ? 0 : space.dims.count
            throw ImagingError.invalidData(source: source, reason: "rank \(rank) not supported (1–4)")
        }
        var grid = ComplexGrid(shape: Shape(space.dims))
        if grid.count > 0 {
            let memType = try complexMemoryType(object)
            let status = grid.storage.withUnsafeMutableBytes { buf in
                H5Dread(d.id, memType.id, wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), buf.baseAddress)
            }
            try check(status, object, "read complex dataset")
        }
        return grid
    }

    /// Reads a string dataset holding one string (scalar dataspace or shape `(1,)`), stored as
    /// a fixed-length or a variable-length string. Fixed-length strings lose trailing NULs
    /// (and spaces when space-padded).
    public func readString(_ path: String) throws -> String {
        let object = Self.normalized(path)
        let d = try openDataset(object, operation: "read string")
        let type = HDF5Handle(try check(H5Dget_type(d.id), object, "read string"), kind: .datatype)
        guard H5Tget_class(type.id) == H5T_STRING else {
            throw ImagingError.invalidData(source: "\(self.path):\(object)",
                reason: "\(Self.describe(type.id)) dataset is not a string")
        }
        let space = try dataspace(of: d, object)
        guard space.count == 1 else {
            throw ImagingError.invalidData(source: "\(self.path):\(object)",
                reason: "expected one string, found \(space.count) (shape \(space.dims))")
        }
        let strings = try readStrings(fileType: type.id, count: 1, object: object) { memType, buffer in
            H5Dread(d.id, memType, wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), buffer)
        }
        return strings[0]
    }

    // MARK: - Internal helpers

    /// The in-memory compound `{r: double, i: double}` matching `Complex<Double>`'s layout.
    func complexMemoryType(_ object: String) throws -> HDF5Handle {
        let t = HDF5Handle(try check(H5Tcreate(H5T_COMPOUND, 16), object, "create complex type"), kind: .datatype)
        try check(H5Tinsert(t.id, "r", 0, wb_h5t_native_double()), object, "create complex type")
        try check(H5Tinsert(t.id, "i", 8, wb_h5t_native_double()), object, "create complex type")
        return t
    }

    /// Reads `count` strings of the string type `fileType` with `read(memoryType, buffer)`,
    /// handling both variable- and fixed-length storage.
    func readStrings(fileType: hid_t, count: Int, object: String,
                     read: (hid_t, UnsafeMutableRawPointer?) -> herr_t) throws -> [String] {
        if count == 0 { return [] }
        let isVariable = try check(H5Tis_variable_str(fileType), object, "read string") > 0
        let memType = HDF5Handle(try check(H5Tcopy(wb_h5t_c_s1()), object, "read string"), kind: .datatype)
        H5Tset_cset(memType.id, H5Tget_cset(fileType))
        if isVariable {
            try check(H5Tset_size(memType.id, wb_h5t_variable()), object, "read string")
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { read(memType.id, $0.baseAddress) }
            try check(status, object, "read string")
            defer {
                var dims = [hsize_t(count)]
                let space = H5Screate_simple(1, &dims, nil)
                if space >= 0 {
                    pointers.withUnsafeMutableBytes { _ = H5Dvlen_reclaim(memType.id, space, wb_h5p_default(), $0.baseAddress) }
                    H5Sclose(space)
                }
            }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        } else {
            let size = H5Tget_size(fileType)
            guard size > 0 else { throw error(object, "read string", fallback: "string type of size 0") }
            let pad = H5Tget_strpad(fileType)
            try check(H5Tset_size(memType.id, size), object, "read string")
            H5Tset_strpad(memType.id, pad)
            var bytes = [UInt8](repeating: 0, count: size * count)
            let status = bytes.withUnsafeMutableBytes { read(memType.id, $0.baseAddress) }
            try check(status, object, "read string")
            return (0..<count).map { k in
                var chunk = Array(bytes[k * size ..< (k + 1) * size])
                if let nul = chunk.firstIndex(of: 0) { chunk.removeSubrange(nul...) }
                if pad == H5T_STR_SPACEPAD { while chunk.last == 0x20 { chunk.removeLast() } }
                return String(decoding: chunk, as: UTF8.self)
            }
        }
    }
}

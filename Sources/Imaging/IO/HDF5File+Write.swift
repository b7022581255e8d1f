internal import CHDF5
import ComplexModule

extension HDF5File {
    /// Creates the group at `path` and any missing intermediate groups, then sets
    /// `attributes` on it. An existing group is kept (only the attributes are set).
    public func createGroup(_ path: String, attributes: [String: HDF5Value] = [:]) throws {
        let object = Self.normalized(path)
        let fid = try fileID(object, "create group")
        if object != "/" && !isGroup(object) {
            if exists(object) {
                throw ImagingError.hdf5(path: self.path, object: object, operation: "create group",
                                        reason: "an object that is not a group already exists there")
            }
            let lcpl = try linkCreationList(object)
            let g = HDF5Handle(try check(H5Gcreate2(fid, object, lcpl.id, wb_h5p_default(), wb_h5p_default()),
                                         object, "create group"), kind: .group)
            g.close()
        }
        try setAttributes(attributes, on: object)
    }

    /// Writes `grid` as a dataset at `path`, creating intermediate groups and replacing an
    /// existing dataset of that name.
    ///
    /// - Parameters:
    ///   - precision: `float64` (default) or `float32` on disk; memory is always `Double`.
    ///   - compression: gzip level 0–9 (with the shuffle filter before it), or `nil` for none.
    ///   - chunks: chunk dimensions (one per dimension, each 1…dimension); `nil` chooses
    ///     ``defaultChunks(for:elementSize:)``. Datasets with more than one element are chunked
    ///     when compressed or when `chunks` is given, otherwise stored contiguously.
    ///   - attributes: attributes set on the dataset.
    public func write(_ grid: Grid, to path: String, precision: HDF5Precision = .float64,
                      compression: Int? = 4, chunks: [Int]? = nil,
                      attributes: [String: HDF5Value] = [:]) throws {
        let object = Self.normalized(path)
        let fileType = precision == .float64 ? wb_h5t_ieee_f64le() : wb_h5t_ieee_f32le()
        let elementSize = precision == .float64 ? 8 : 4
        let dims = grid.shape.dimensions
        try createDataset(object, dims: dims, fileType: fileType, elementSize: elementSize,
                          compression: compression, chunks: chunks, operation: "write dataset") { d in
            // Frame-chunked and compressed: shuffle + deflate the chunks in parallel (HDF5ChunkCodec).
            if let level = compression, grid.count > 1,
               let rows = HDF5ChunkCodec.framesPerChunk(dims: dims, chunks: chunks ?? Self.defaultChunks(for: dims, elementSize: elementSize)),
               (dims[0] + rows - 1) / rows > 1,
               HDF5ChunkCodec.writeFrames(grid, dataset: d.id, framesPerChunk: rows, elementSize: elementSize, level: level) {
                return
            }
            _ = try grid.storage.withUnsafeBytes { buf in
                try check(H5Dwrite(d.id, wb_h5t_native_double(), wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), buf.baseAddress),
                          object, "write dataset")
            }
        }
        try setAttributes(attributes, on: object)
    }

    /// Writes `grid` as a dataset of compound `{r: float64, i: float64}` elements (h5py reads it
    /// as `complex128`), creating intermediate groups and replacing an existing dataset.
    public func write(_ grid: ComplexGrid, to path: String, compression: Int? = 4,
                      attributes: [String: HDF5Value] = [:]) throws {
        let object = Self.normalized(path)
        let fileType = HDF5Handle(try check(H5Tcreate(H5T_COMPOUND, 16), object, "create complex type"), kind: .datatype)
        try check(H5Tinsert(fileType.id, "r", 0, wb_h5t_ieee_f64le()), object, "create complex type")
        try check(H5Tinsert(fileType.id, "i", 8, wb_h5t_ieee_f64le()), object, "create complex type")
        let memType = try complexMemoryType(object)
        try createDataset(object, dims: grid.shape.dimensions, fileType: fileType.id, elementSize: 16,
                          compression: compression, chunks: nil, operation: "write complex dataset") { d in
            try grid.storage.withUnsafeBytes { buf in
                try check(H5Dwrite(d.id, memType.id, wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), buf.baseAddress),
                          object, "write complex dataset")
            }
        }
        try setAttributes(attributes, on: object)
    }

    /// Writes `value` as a scalar variable-length UTF-8 string dataset (h5py reads a `str`),
    /// creating intermediate groups and replacing an existing dataset.
    public func writeString(_ value: String, to path: String, attributes: [String: HDF5Value] = [:]) throws {
        try writeValue(.string(value), to: path)
        try setAttributes(attributes, on: Self.normalized(path))
    }

    /// Chunk dimensions wb uses when none are given: for rank ≥ 3 one frame (the last two
    /// dimensions) per chunk; for rank 1–2 the whole dataset when it fits in 1 MiB, else blocks
    /// of whole rows (rank 2) or elements (rank 1) of at most 1 MiB.
    public static func defaultChunks(for shape: [Int], elementSize: Int) -> [Int] {
        let limit = 1 << 20
        let dims = shape.map { max($0, 1) }
        if dims.count >= 3 {
            return Array(repeating: 1, count: dims.count - 2) + dims.suffix(2)
        }
        let total = dims.reduce(elementSize, *)
        if total <= limit { return dims }
        if dims.count == 1 { return [max(1, limit / elementSize)] }
        let rowBytes = dims[1] * elementSize
        return [max(1, min(dims[0], limit / rowBytes)), dims[1]]
    }

    // MARK: - Internal

    /// A link-creation property list that creates missing intermediate groups.
    func linkCreationList(_ object: String) throws -> HDF5Handle {
        let lcpl = HDF5Handle(try check(H5Pcreate(wb_h5p_link_create()), object, "create property list"), kind: .propertyList)
        try check(H5Pset_create_intermediate_group(lcpl.id, 1), object, "create property list")
        return lcpl
    }

    /// Removes the link at `object` if something is there (so a write replaces it).
    func removeExisting(_ object: String, operation: String) throws {
        guard exists(object) else { return }
        let fid = try fileID(object, operation)
        try check(H5Ldelete(fid, object, wb_h5p_default()), object, operation)
    }

    /// Creates a dataset (chunked/compressed as requested) and calls `fill` to write it.
    func createDataset(_ object: String, dims: [Int], fileType: hid_t, elementSize: Int,
                       compression: Int?, chunks: [Int]?, operation: String,
                       fill: (HDF5Handle) throws -> Void) throws {
        let fid = try fileID(object, operation)
        if let level = compression, !(0...9).contains(level) {
            throw ImagingError.invalidParameter(name: "compression", reason: "gzip level \(level) is not in 0…9")
        }
        if let c = chunks {
            guard c.count == dims.count, zip(c, dims).allSatisfy({ $0 >= 1 && $0 <= max($1, 1) }) else {
                throw ImagingError.invalidParameter(name: "chunks",
                    reason: "chunk dimensions \(c) do not fit the dataset shape \(dims) (one per dimension, each 1…dimension)")
            }
        }
        try removeExisting(object, operation: operation)
        var hdims = dims.map { hsize_t($0) }
        let space = HDF5Handle(try check(H5Screate_simple(Int32(dims.count), &hdims, nil), object, operation), kind: .dataspace)
        let dcpl = HDF5Handle(try check(H5Pcreate(wb_h5p_dataset_create()), object, operation), kind: .propertyList)
        let count = dims.reduce(1, *)
        if count > 1 && (compression != nil || chunks != nil) {
            var c = (chunks ?? Self.defaultChunks(for: dims, elementSize: elementSize)).map { hsize_t($0) }
            try check(H5Pset_chunk(dcpl.id, Int32(c.count), &c), object, operation)
            if let level = compression {
                try check(H5Pset_shuffle(dcpl.id), object, operation)
                try check(H5Pset_deflate(dcpl.id, UInt32(level)), object, operation)
            }
        }
        let lcpl = try linkCreationList(object)
        let d = HDF5Handle(try check(H5Dcreate2(fid, object, fileType, space.id, lcpl.id, dcpl.id, wb_h5p_default()),
                                     object, operation), kind: .dataset)
        if count > 0 { try fill(d) }
    }

    /// Writes a small value (``HDF5Value``) as a contiguous dataset: scalar for the singular
    /// cases, 1-D for arrays. Used for the provenance strings of NeXus files.
    func writeValue(_ value: HDF5Value, to path: String) throws {
        let object = Self.normalized(path)
        let operation = "write dataset"
        let fid = try fileID(object, operation)
        try removeExisting(object, operation: operation)
        try withEncoded(value, object: object, operation: operation) { fileType, memType, space, buffer in
            let lcpl = try linkCreationList(object)
            let d = HDF5Handle(try check(H5Dcreate2(fid, object, fileType, space, lcpl.id, wb_h5p_default(), wb_h5p_default()),
                                         object, operation), kind: .dataset)
            if H5Sget_simple_extent_npoints(space) > 0 {
                try check(H5Dwrite(d.id, memType, wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), buffer), object, operation)
            }
        }
    }

    /// Writes one unsigned 64-bit integer as a scalar `uint64` dataset.
    func writeUInt64(_ value: UInt64, to path: String) throws {
        let object = Self.normalized(path)
        let operation = "write dataset"
        let fid = try fileID(object, operation)
        try removeExisting(object, operation: operation)
        let space = HDF5Handle(try check(H5Screate(H5S_SCALAR), object, operation), kind: .dataspace)
        let lcpl = try linkCreationList(object)
        let d = HDF5Handle(try check(H5Dcreate2(fid, object, wb_h5t_std_u64le(), space.id, lcpl.id, wb_h5p_default(), wb_h5p_default()),
                                     object, operation), kind: .dataset)
        var v = value
        _ = try withUnsafeBytes(of: &v) {
            try check(H5Dwrite(d.id, wb_h5t_native_uint64(), wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), $0.baseAddress),
                      object, operation)
        }
    }

    /// Reads a scalar (or one-element) integer dataset as `UInt64` (used for the provenance seed).
    func readUInt64(_ path: String) throws -> UInt64 {
        let object = Self.normalized(path)
        let d = try openDataset(object, operation: "read dataset")
        let space = try dataspace(of: d, object)
        guard space.count == 1 else {
            throw ImagingError.invalidData(source: "\(self.path):\(object)", reason: "expected one integer, found \(space.count)")
        }
        var v: UInt64 = 0
        _ = try withUnsafeMutableBytes(of: &v) {
            try check(H5Dread(d.id, wb_h5t_native_uint64(), wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), $0.baseAddress),
                      object, "read dataset")
        }
        return v
    }
}

/// Element types for writing raw test and interchange data with ``HDF5File/writeRaw(_:shape:as:to:)``.
enum HDF5RawType: CaseIterable {
    case int8, int16, int32, int32BigEndian, int64, uint8, uint16, uint16BigEndian, uint32, uint64
    case float32, float64, float64BigEndian

    /// (file type, memory type) identifiers.
    var types: (file: hid_t, memory: hid_t) {
        switch self {
        case .int8: return (wb_h5t_std_i8le(), wb_h5t_native_int8())
        case .int16: return (wb_h5t_std_i16le(), wb_h5t_native_int16())
        case .int32: return (wb_h5t_std_i32le(), wb_h5t_native_int32())
        case .int32BigEndian: return (wb_h5t_std_i32be(), wb_h5t_native_int32())
        case .int64: return (wb_h5t_std_i64le(), wb_h5t_native_int64())
        case .uint8: return (wb_h5t_std_u8le(), wb_h5t_native_uint8())
        case .uint16: return (wb_h5t_std_u16le(), wb_h5t_native_uint16())
        case .uint16BigEndian: return (wb_h5t_std_u16be(), wb_h5t_native_uint16())
        case .uint32: return (wb_h5t_std_u32le(), wb_h5t_native_uint32())
        case .uint64: return (wb_h5t_std_u64le(), wb_h5t_native_uint64())
        case .float32: return (wb_h5t_ieee_f32le(), wb_h5t_native_float())
        case .float64: return (wb_h5t_ieee_f64le(), wb_h5t_native_double())
        case .float64BigEndian: return (wb_h5t_ieee_f64be(), wb_h5t_native_double())
        }
    }

    /// Size in bytes of one element in memory.
    var memorySize: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16, .uint16BigEndian: return 2
        case .int32, .int32BigEndian, .uint32, .float32: return 4
        case .int64, .uint64, .float64, .float64BigEndian: return 8
        }
    }
}

extension HDF5File {
    /// Writes `values` (whose Swift type must match `type`'s memory layout, e.g. `[Int16]` for
    /// `.int16`) as an uncompressed dataset of any rank (`[]` = scalar). For tests and for
    /// files other tools expect in a specific integer type.
    func writeRaw<T: BitwiseCopyable>(_ values: [T], shape: [Int], as type: HDF5RawType, to path: String) throws {
        precondition(MemoryLayout<T>.size == type.memorySize, "writeRaw: \(T.self) does not match \(type)")
        precondition(values.count == shape.reduce(1, *), "writeRaw: \(values.count) values for shape \(shape)")
        let object = Self.normalized(path)
        let operation = "write dataset"
        let fid = try fileID(object, operation)
        try removeExisting(object, operation: operation)
        var dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty
            ? HDF5Handle(try check(H5Screate(H5S_SCALAR), object, operation), kind: .dataspace)
            : HDF5Handle(try check(H5Screate_simple(Int32(shape.count), &dims, nil), object, operation), kind: .dataspace)
        let lcpl = try linkCreationList(object)
        let d = HDF5Handle(try check(H5Dcreate2(fid, object, type.types.file, space.id, lcpl.id, wb_h5p_default(), wb_h5p_default()),
                                     object, operation), kind: .dataset)
        if !values.isEmpty {
            _ = try values.withUnsafeBytes {
                try check(H5Dwrite(d.id, type.types.memory, wb_h5s_all(), wb_h5s_all(), wb_h5p_default(), $0.baseAddress),
                          object, operation)
            }
        }
    }
}

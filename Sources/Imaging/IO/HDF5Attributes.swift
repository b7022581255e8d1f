internal import CHDF5
#if canImport(Glibc)
import Glibc
#endif

extension HDF5File {
    /// All attributes of `object` (a group or dataset) that wb can represent, by name.
    ///
    /// Strings (fixed- or variable-length, scalar or arrays), integers and floats of any width
    /// are returned; attributes of other types (compounds, enums such as h5py's booleans,
    /// references) are skipped. See ``HDF5Value`` for the scalar-vs-array rule.
    public func attributes(of object: String) throws -> [String: HDF5Value] {
        let name = Self.normalized(object)
        let o = try openObject(name, operation: "list attributes")
        var info = H5O_info_t()
        try check(H5Oget_info2(o.id, &info, UInt32(H5O_INFO_NUM_ATTRS)), name, "list attributes")
        var result: [String: HDF5Value] = [:]
        for i in 0..<info.num_attrs {
            let len = try check(H5Aget_name_by_idx(o.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, wb_h5p_default()),
                                name, "list attributes")
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            try check(H5Aget_name_by_idx(o.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, wb_h5p_default()),
                      name, "list attributes")
            let attrName = String(cString: buf)
            let a = HDF5Handle(try check(H5Aopen(o.id, attrName, wb_h5p_default()), name, "open attribute '\(attrName)'"),
                               kind: .attribute)
            if let value = try readAttribute(a, name: attrName, object: name, strict: false) {
                result[attrName] = value
            }
        }
        return result
    }

    /// The attribute `name` of `object`, or `nil` when `object` has no such attribute.
    ///
    /// - Throws: ``ImagingError/hdf5(path:object:operation:reason:)`` when `object` does not
    ///   exist; ``ImagingError/invalidData(source:reason:)`` when the attribute's type cannot
    ///   be represented as an ``HDF5Value``.
    public func attribute(_ name: String, of object: String) throws -> HDF5Value? {
        let objectName = Self.normalized(object)
        let o = try openObject(objectName, operation: "read attribute '\(name)'")
        guard try check(H5Aexists(o.id, name), objectName, "read attribute '\(name)'") > 0 else { return nil }
        let a = HDF5Handle(try check(H5Aopen(o.id, name, wb_h5p_default()), objectName, "open attribute '\(name)'"),
                           kind: .attribute)
        return try readAttribute(a, name: name, object: objectName, strict: true)
    }

    /// Sets (creating or replacing) the attribute `name` of `object`.
    public func setAttribute(_ name: String, _ value: HDF5Value, on object: String) throws {
        let objectName = Self.normalized(object)
        let operation = "write attribute '\(name)'"
        let o = try openObject(objectName, operation: operation)
        if try check(H5Aexists(o.id, name), objectName, operation) > 0 {
            try check(H5Adelete(o.id, name), objectName, operation)
        }
        try withEncoded(value, object: objectName, operation: operation) { fileType, memType, space, buffer in
            let a = HDF5Handle(try check(H5Acreate2(o.id, name, fileType, space, wb_h5p_default(), wb_h5p_default()),
                                         objectName, operation), kind: .attribute)
            try check(H5Awrite(a.id, memType, buffer), objectName, operation)
        }
    }

    /// Sets every attribute of `attributes` on `object`, in name order.
    func setAttributes(_ attributes: [String: HDF5Value], on object: String) throws {
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            try setAttribute(name, value, on: object)
        }
    }

    // MARK: - Internal

    /// Decodes an open attribute; unsupported types give `nil` (or throw when `strict`).
    func readAttribute(_ a: HDF5Handle, name: String, object: String, strict: Bool) throws -> HDF5Value? {
        let operation = "read attribute '\(name)'"
        let type = HDF5Handle(try check(H5Aget_type(a.id), object, operation), kind: .datatype)
        let sp = try space(HDF5Handle(try check(H5Aget_space(a.id), object, operation), kind: .dataspace), object)
        let n = sp.count
        let scalar = sp.isScalar
        switch H5Tget_class(type.id) {
        case H5T_STRING:
            let s = try readStrings(fileType: type.id, count: n, object: object) { mem, buf in H5Aread(a.id, mem, buf) }
            return scalar ? .string(s.first ?? "") : .strings(s)
        case H5T_INTEGER:
            var v = [Int64](repeating: 0, count: n)
            if n > 0 {
                try check(v.withUnsafeMutableBytes { H5Aread(a.id, wb_h5t_native_int64(), $0.baseAddress) }, object, operation)
            }
            let ints = v.map { Int($0) }
            return scalar ? .int(ints.first ?? 0) : .ints(ints)
        case H5T_FLOAT:
            var v = [Double](repeating: 0, count: n)
            if n > 0 {
                try check(v.withUnsafeMutableBytes { H5Aread(a.id, wb_h5t_native_double(), $0.baseAddress) }, object, operation)
            }
            return scalar ? .double(v.first ?? 0) : .doubles(v)
        default:
            if strict {
                throw ImagingError.invalidData(source: "\(path):\(object)@\(name)",
                    reason: "attribute of type \(Self.describe(type.id)) is not supported (strings, integers and floats are)")
            }
            return nil
        }
    }

    /// Calls `body(fileType, memoryType, dataspace, buffer)` with the HDF5 encoding of `value`:
    /// variable-length UTF-8 strings, little-endian int64, little-endian float64; scalar
    /// dataspace for the singular cases, 1-D for arrays.
    func withEncoded(_ value: HDF5Value, object: String, operation: String,
                     _ body: (hid_t, hid_t, hid_t, UnsafeRawPointer?) throws -> Void) throws {
        func makeSpace(_ count: Int?) throws -> HDF5Handle {
            if let count {
                var dims = [hsize_t(count)]
                return HDF5Handle(try check(H5Screate_simple(1, &dims, nil), object, operation), kind: .dataspace)
            }
            return HDF5Handle(try check(H5Screate(H5S_SCALAR), object, operation), kind: .dataspace)
        }
        switch value {
        case .string(let s):
            try withStrings([s], object: object, operation: operation) { t, buf in
                let sp = try makeSpace(nil)
                try body(t, t, sp.id, buf)
            }
        case .strings(let a):
            try withStrings(a, object: object, operation: operation) { t, buf in
                let sp = try makeSpace(a.count)
                try body(t, t, sp.id, buf)
            }
        case .int(let i):
            let sp = try makeSpace(nil)
            var v = Int64(i)
            try withUnsafeBytes(of: &v) { try body(wb_h5t_std_i64le(), wb_h5t_native_int64(), sp.id, $0.baseAddress) }
        case .ints(let a):
            let sp = try makeSpace(a.count)
            let v = a.map { Int64($0) }
            try v.withUnsafeBytes { try body(wb_h5t_std_i64le(), wb_h5t_native_int64(), sp.id, $0.baseAddress) }
        case .double(let d):
            let sp = try makeSpace(nil)
            var v = d
            try withUnsafeBytes(of: &v) { try body(wb_h5t_ieee_f64le(), wb_h5t_native_double(), sp.id, $0.baseAddress) }
        case .doubles(let a):
            let sp = try makeSpace(a.count)
            try a.withUnsafeBytes { try body(wb_h5t_ieee_f64le(), wb_h5t_native_double(), sp.id, $0.baseAddress) }
        }
    }

    /// Calls `body(type, buffer)` with a variable-length UTF-8 string type and an array of C
    /// string pointers holding `strings` (freed afterwards).
    func withStrings(_ strings: [String], object: String, operation: String,
                     _ body: (hid_t, UnsafeRawPointer?) throws -> Void) throws {
        let t = HDF5Handle(try check(H5Tcopy(wb_h5t_c_s1()), object, operation), kind: .datatype)
        try check(H5Tset_size(t.id, wb_h5t_variable()), object, operation)
        try check(H5Tset_cset(t.id, H5T_CSET_UTF8), object, operation)
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try pointers.withUnsafeBytes { try body(t.id, $0.baseAddress) }
    }
}

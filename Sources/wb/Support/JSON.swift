import Imaging
/// A JSON value, written deterministically (object keys in insertion order) for summaries,
/// provenance and `--json` output.
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case integer(Int64)
    case unsigned(UInt64)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    /// Compact JSON text.
    func serialized() -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .unsigned(let u): return String(u)
        case .number(let d):
            if d.isNaN { return "\"NaN\"" }
            if d.isInfinite { return d > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) + ".0" }
            return "\(d)"
        case .string(let s): return JSONValue.quote(s)
        case .array(let a): return "[" + a.map { $0.serialized() }.joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.map { JSONValue.quote($0.0) + ":" + $0.1.serialized() }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Converts a value from YAML/Mirror reflection into JSON, when it is a plain value.
    static func from(_ any: Any) -> JSONValue? {
        switch any {
        case let v as JSONValue: return v
        case let b as Bool: return .bool(b)
        case let i as Int: return .integer(Int64(i))
        case let i as Int64: return .integer(i)
        case let i as UInt64: return .unsigned(i)
        case let i as Int32: return .integer(Int64(i))
        case let d as Double: return .number(d)
        case let f as Float: return .number(Double(f))
        case let s as String: return .string(s)
        case let r as any RawRepresentable:
            return from(r.rawValue)
        case let a as [Any]:
            var out: [JSONValue] = []
            for e in a { guard let j = from(e) else { return nil }; out.append(j) }
            return .array(out)
        case let d as [String: Any]:
            var out: [(String, JSONValue)] = []
            for k in d.keys.sorted() { guard let j = from(d[k]!) else { return nil }; out.append((k, j)) }
            return .object(out)
        default:
            let m = Mirror(reflecting: any)
            if m.displayStyle == .optional {
                if let first = m.children.first { return from(first.value) }
                return .null
            }
            return nil
        }
    }
}

/// One named value of a tool's summary (printed on stdout, stored in the output file).
struct SummaryItem: Sendable {
    let name: String
    let value: JSONValue

    init(_ name: String, _ value: Double) { self.name = name; self.value = .number(value) }
    init(_ name: String, _ value: Int) { self.name = name; self.value = .integer(Int64(value)) }
    init(_ name: String, _ value: String) { self.name = name; self.value = .string(value) }
    init(_ name: String, json: JSONValue) { self.name = name; self.value = json }

    /// The HDF5 attribute form of the value.
    var hdf5Value: HDF5Value {
        switch value {
        case .number(let d): return .double(d)
        case .integer(let i): return .int(Int(i))
        case .unsigned(let u): return u <= UInt64(Int.max) ? .int(Int(u)) : .string(String(u))
        case .string(let s): return .string(s)
        case .bool(let b): return .int(b ? 1 : 0)
        default: return .string(value.serialized())
        }
    }

    /// "name=value" form for the one-line summary.
    var plain: String {
        switch value {
        case .number(let d): return "\(name)=\(formatNumber(d))"
        case .string(let s): return "\(name)=\(s)"
        default: return "\(name)=\(value.serialized())"
        }
    }
}

/// Six significant digits, no trailing noise.
func formatNumber(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d > 0 ? "inf" : "-inf" }
    if d == d.rounded() && abs(d) < 1e9 { return String(Int64(d)) }
    let a = abs(d)
    if a >= 1e-3 && a < 1e6 {
        var s = String(format6: d)
        while s.contains(".") && (s.hasSuffix("0")) { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
    return scientific(d, digits: 4)
}

extension String {
    /// Fixed six significant digits without Foundation.
    init(format6 d: Double) {
        let a = abs(d)
        var digitsBefore = 1
        var t = a
        while t >= 10 { t /= 10; digitsBefore += 1 }
        while t > 0 && t < 1 { t *= 10; digitsBefore -= 1 }
        let decimals = Swift.min(15, Swift.max(0, 6 - digitsBefore))
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (a * scale).rounded()
        let ip = Int64(r / scale)
        var fp = Int64(r - Double(ip) * scale)
        if fp < 0 { fp = 0 }
        var s = String(ip)
        if decimals > 0 {
            var f = String(fp)
            while f.count < decimals { f = "0" + f }
            s += "." + f
        }
        self = (d < 0 ? "-" : "") + s
    }
}

/// Scientific notation with `digits` decimals ("1.46e-17"), without Foundation.
func scientific(_ v: Double, digits: Int = 2) -> String {
    if v == 0 { return "0" }
    if !v.isFinite { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    var e = 0
    var m = abs(v)
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    var r = (m * scale).rounded() / scale
    if r >= 10 { r /= 10; e += 1 }
    let ip = Int(r)
    var frac = String(Int(((r - Double(ip)) * scale).rounded()))
    while frac.count < digits { frac = "0" + frac }
    return (v < 0 ? "-" : "") + "\(ip).\(frac)e\(e < 0 ? "-" : "+")\(abs(e) < 10 ? "0" : "")\(abs(e))"
}

/// The JSON text of a ``LayerDescriptor`` stored in model files (the `architecture` attribute):
///
///     {"kind": "sequential", "attributes": {}, "children": [
///       {"kind": "dense", "attributes": {"inputs": 1, "outputs": 32, "bias": true}, "children": []},
///       {"kind": "softplus", "attributes": {"beta": 10.0}, "children": []}]}
///
/// Attribute values map to JSON naturally: `.int` → integer literal, `.double` → number written
/// with a `.` or an exponent (Swift's shortest round-trip form, so values survive exactly),
/// `.string`, `.bool`, `.ints` → array of integers. Reading classifies numbers the same way:
/// a literal with `.`, `e` or `E` is a double, otherwise an integer. Non-finite doubles are
/// rejected (JSON has no spelling for them).
extension LayerDescriptor {
    /// Compact JSON text (keys of `attributes` sorted, so equal descriptors give equal text).
    public func jsonText() throws -> String {
        var out = ""
        try appendJSON(to: &out)
        return out
    }

    func appendJSON(to out: inout String) throws {
        out += "{\"kind\":" + Self.quoted(kind) + ",\"attributes\":{"
        for (i, key) in attributes.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            out += Self.quoted(key) + ":"
            switch attributes[key]! {
            case .int(let v): out += String(v)
            case .double(let v):
                guard v.isFinite else { throw NNError("layer '\(kind)': attribute '\(key)' is \(v); model files store finite numbers only") }
                out += "\(v)"   // "10.0", "1e-06": always with '.' or 'e'
            case .string(let s): out += Self.quoted(s)
            case .bool(let b): out += b ? "true" : "false"
            case .ints(let a): out += "[" + a.map(String.init).joined(separator: ",") + "]"
            }
        }
        out += "},\"children\":["
        for (i, c) in children.enumerated() {
            if i > 0 { out += "," }
            try c.appendJSON(to: &out)
        }
        out += "]}"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
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

    /// Parses the text written by ``jsonText()``; errors say where the text is malformed.
    public init(jsonText: String) throws {
        var parser = DescriptorJSONParser(Array(jsonText.unicodeScalars))
        let value = try parser.parseValue()
        parser.skipSpace()
        guard parser.atEnd else { throw parser.error("unexpected text after the architecture object") }
        self = try Self.descriptor(from: value, path: "architecture")
    }

    private static func descriptor(from value: DescriptorJSONParser.JSON, path: String) throws -> LayerDescriptor {
        guard case .object(let fields) = value else { throw NNError("\(path): expected a layer object") }
        guard case .string(let kind)? = fields["kind"] else { throw NNError("\(path): missing string \"kind\"") }
        var attributes: [String: Value] = [:]
        if let a = fields["attributes"] {
            guard case .object(let entries) = a else { throw NNError("\(path) (\(kind)): \"attributes\" must be an object") }
            for (key, v) in entries {
                switch v {
                case .int(let i): attributes[key] = .int(i)
                case .double(let d): attributes[key] = .double(d)
                case .string(let s): attributes[key] = .string(s)
                case .bool(let b): attributes[key] = .bool(b)
                case .array(let items):
                    var ints: [Int] = []
                    for item in items {
                        guard case .int(let i) = item else { throw NNError("\(path) (\(kind)): attribute '\(key)' must be an array of integers") }
                        ints.append(i)
                    }
                    attributes[key] = .ints(ints)
                case .object, .null: throw NNError("\(path) (\(kind)): attribute '\(key)' has an unsupported value")
                }
            }
        }
        var children: [LayerDescriptor] = []
        if let c = fields["children"] {
            guard case .array(let items) = c else { throw NNError("\(path) (\(kind)): \"children\" must be an array") }
            for (i, item) in items.enumerated() { children.append(try descriptor(from: item, path: "\(path).children[\(i)]")) }
        }
        return LayerDescriptor(kind: kind, attributes: attributes, children: children)
    }
}

/// A minimal JSON reader for architecture text (objects, arrays, strings, numbers, booleans, null).
struct DescriptorJSONParser {
    indirect enum JSON {
        case object([String: JSON]), array([JSON]), string(String), int(Int), double(Double), bool(Bool), null
    }

    let text: [Unicode.Scalar]
    var i = 0
    init(_ text: [Unicode.Scalar]) { self.text = text }

    var atEnd: Bool { i >= text.count }
    func error(_ what: String) -> NNError { NNError("architecture JSON, character \(i): \(what)") }

    mutating func skipSpace() {
        while i < text.count, [" ", "\n", "\r", "\t"].contains(text[i]) { i += 1 }
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard i < text.count, text[i] == c else { throw error("expected '\(c)'") }
        i += 1
    }

    mutating func parseValue() throws -> JSON {
        skipSpace()
        guard i < text.count else { throw error("unexpected end of text") }
        switch text[i] {
        case "{":
            i += 1
            var fields: [String: JSON] = [:]
            skipSpace()
            if i < text.count, text[i] == "}" { i += 1; return .object(fields) }
            while true {
                skipSpace()
                guard case .string(let key) = try parseValue() else { throw error("object keys must be strings") }
                try expect(":")
                fields[key] = try parseValue()
                skipSpace()
                guard i < text.count else { throw error("unterminated object") }
                if text[i] == "," { i += 1; continue }
                if text[i] == "}" { i += 1; return .object(fields) }
                throw error("expected ',' or '}'")
            }
        case "[":
            i += 1
            var items: [JSON] = []
            skipSpace()
            if i < text.count, text[i] == "]" { i += 1; return .array(items) }
            while true {
                items.append(try parseValue())
                skipSpace()
                guard i < text.count else { throw error("unterminated array") }
                if text[i] == "," { i += 1; continue }
                if text[i] == "]" { i += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        case "\"":
            i += 1
            var s = String.UnicodeScalarView()
            while true {
                guard i < text.count else { throw error("unterminated string") }
                let c = text[i]; i += 1
                if c == "\"" { return .string(String(s)) }
                if c != "\\" { s.append(c); continue }
                guard i < text.count else { throw error("unterminated escape") }
                let e = text[i]; i += 1
                switch e {
                case "\"", "\\", "/": s.append(e)
                case "n": s.append("\n")
                case "t": s.append("\t")
                case "r": s.append("\r")
                case "b": s.append("\u{8}")
                case "f": s.append("\u{C}")
                case "u":
                    guard i + 4 <= text.count, let v = UInt32(String(String.UnicodeScalarView(text[i..<(i + 4)])), radix: 16),
                          let u = Unicode.Scalar(v) else { throw error("bad \\u escape") }
                    s.append(u); i += 4
                default: throw error("bad escape '\\\(e)'")
                }
            }
        case "t", "f", "n":
            for (word, value) in [("true", JSON.bool(true)), ("false", .bool(false)), ("null", .null)] {
                let w = Array(word.unicodeScalars)
                if i + w.count <= text.count, Array(text[i..<(i + w.count)]) == w { i += w.count; return value }
            }
            throw error("unknown literal")
        default:
            let start = i
            while i < text.count, "+-0123456789.eE".unicodeScalars.contains(text[i]) { i += 1 }
            let token = String(String.UnicodeScalarView(text[start..<i]))
            guard !token.isEmpty else { throw error("unexpected character '\(text[i])'") }
            if token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                guard let d = Double(token) else { throw error("bad number '\(token)'") }
                return .double(d)
            }
            guard let n = Int(token) else { throw error("bad integer '\(token)'") }
            return .int(n)
        }
    }
}

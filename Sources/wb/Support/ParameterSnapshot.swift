import ArgumentParser

/// The resolved parameters of a parsed tool (defaults included), as JSON for provenance.
///
/// Reads the property wrappers of the command by reflection, so a tool never has to list its
/// options twice. Values that are not plain (numbers, strings, flags, enums, arrays) are skipped.
enum ParameterSnapshot {
    static func values(of command: Any) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        for child in Mirror(reflecting: command).children {
            guard var label = child.label else { continue }
            if label.hasPrefix("_") { label.removeFirst() }
            // Positional files are recorded as inputs; output-only switches do not change results.
            if ["files", "force", "json", "quiet", "verbose"].contains(label) { continue }
            if label == "common" || String(describing: type(of: child.value)).contains("OptionGroup") {
                if let inner = unwrap(child.value) {
                    out.append(contentsOf: values(of: inner))
                }
                continue
            }
            if let v = unwrap(child.value), let j = JSONValue.from(v) {
                out.append((kebab(label), j))
            }
        }
        return out
    }

    /// The value inside an argument-parser property wrapper (Option, Flag, Argument, OptionGroup).
    static func unwrap(_ wrapper: Any) -> Any? {
        let m = Mirror(reflecting: wrapper)
        // Plain stored property (not a wrapper).
        if m.children.isEmpty || m.displayStyle == .enum && m.children.isEmpty { return wrapper }
        for c in m.children {
            if c.label == "_parsedValue" {
                let pm = Mirror(reflecting: c.value)
                if pm.displayStyle == .enum, let payload = pm.children.first, payload.label == "value" {
                    return payload.value
                }
                return nil
            }
        }
        return wrapper
    }

    /// camelCase → kebab-case, as argument-parser names options.
    static func kebab(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch.isUppercase { out += "-" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    /// `{"tool": …, "inputs": […], "parameters": {…}}` as JSON text.
    static func json(of command: Any, toolName: String, inputs: [String]) -> String {
        JSONValue.object([
            ("tool", .string(toolName)),
            ("inputs", .array(inputs.map { .string($0) })),
            ("parameters", .object(values(of: command))),
        ]).serialized()
    }
}

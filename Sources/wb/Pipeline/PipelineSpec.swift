import ArgumentParser
import Imaging
import Yams

/// The tools a pipeline may use, by their pipeline names.
enum ToolRegistry {
    static let tools: [any Tool.Type] = [Convert.self, PhantomCommand.self, NoiseCommand.self, Blur.self,
                                         FFTCommand.self, MetricsCommand.self, DenoiseTV.self, DenoiseFoE.self, DeblurTV.self,
                                         Calibrate.self, ExperimentPhaseTransition.self,
                                         LearnTV.self, LearnFoE.self]
    static func tool(named name: String) -> (any Tool.Type)? { tools.first { $0.toolName == name } }
    static var names: [String] { tools.map { $0.toolName } }
}

/// One step of a pipeline, validated and parsed into its tool.
struct PipelineStep {
    let id: String
    let toolName: String
    let tool: any Tool
    /// Step ids or file references, as written.
    let inputs: [String]
    /// The tool's command-line arguments built from `params`.
    let arguments: [String]
    let seed: UInt64
    /// Model options set to an earlier step's id: option name → step id.
    let modelReferences: [String: String]

    /// Step ids this step waits for: its step inputs and the steps whose models it uses.
    func dependencies(among ids: Set<String>) -> [String] {
        inputs.filter { ids.contains($0) } + modelReferences.values.sorted()
    }
}

/// A validated pipeline (formats.md §5): steps in dependency order and where results go.
struct PipelineSpec {
    let name: String
    let seed: UInt64
    /// Steps in execution (dependency) order.
    let steps: [PipelineStep]
    let outputFile: String
    let pngSteps: [String]
    let defaultStep: String?
    /// The spec as JSON, with each step's resolved parameters, stored in the output.
    let resolvedJSON: String
    /// Files read by the pipeline (without dataset suffixes).
    let inputFiles: [String]

    /// Parses and validates everything before anything runs: unknown tools, unknown or
    /// ill-typed parameters, missing inputs, duplicate ids and cycles are all reported with
    /// the pipeline file and step named.
    init(yaml text: String, file: String, seedOverride: UInt64? = nil) throws {
        func fail(_ msg: String) -> WBError { WBError("\(file): \(msg)") }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw fail("not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let top = root as? [String: Any] else {
            throw fail(root == nil ? "the pipeline is empty" : "the top level must be a mapping with 'steps'")
        }
        let knownTop: Set<String> = ["name", "seed", "steps", "outputs", "description"]
        for k in top.keys where !knownTop.contains(k) {
            throw fail("unknown top-level key '\(k)' (known: \(knownTop.sorted().joined(separator: ", ")))")
        }
        name = (top["name"] as? String) ?? "pipeline"
        if let s = seedOverride { seed = s } else if let s = top["seed"] {
            guard let i = s as? Int, i >= 0 else { throw fail("'seed' must be a non-negative integer, got \(s)") }
            seed = UInt64(i)
        } else { seed = 0 }
        guard let rawSteps = top["steps"] as? [Any], !rawSteps.isEmpty else {
            throw fail("'steps' must be a non-empty list")
        }
        // Outputs.
        let outputs = top["outputs"] as? [String: Any] ?? [:]
        for k in outputs.keys where !["file", "png", "default"].contains(k) {
            throw fail("unknown key 'outputs.\(k)' (known: file, png, default)")
        }
        guard let out = outputs["file"] as? String, !out.isEmpty else {
            throw fail("'outputs.file' (the NeXus file that receives every step's result) is required")
        }
        guard DatasetReference.isHDF5Path(out) else { throw fail("'outputs.file' must end in .h5, .hdf5 or .nxs, got '\(out)'") }
        outputFile = out
        if let p = outputs["png"] {
            guard let list = p as? [Any], list.allSatisfy({ $0 is String }) else { throw fail("'outputs.png' must be a list of step ids") }
            pngSteps = list.map { $0 as! String }
        } else { pngSteps = [] }
        defaultStep = outputs["default"] as? String

        // Steps.
        struct Raw { let id: String; let tool: String; let inputs: [String]; let params: [(String, Any)] }
        var raws: [Raw] = []
        var seen = Set<String>()
        for (n, rs) in rawSteps.enumerated() {
            guard let m = rs as? [String: Any] else { throw fail("step \(n + 1) must be a mapping with id, tool, inputs, params") }
            for k in m.keys where !["id", "tool", "inputs", "params"].contains(k) {
                throw fail("step \(n + 1): unknown key '\(k)' (known: id, tool, inputs, params)")
            }
            guard let id = m["id"] as? String, !id.isEmpty,
                  id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw fail("step \(n + 1): 'id' must be a non-empty name of letters, digits, '_' or '-'")
            }
            guard seen.insert(id).inserted else { throw fail("step id '\(id)' is used twice") }
            guard let tool = m["tool"] as? String else { throw fail("step '\(id)': 'tool' is missing") }
            guard ToolRegistry.tool(named: tool) != nil else {
                throw fail("step '\(id)': unknown tool '\(tool)' (known: \(ToolRegistry.names.joined(separator: ", ")))")
            }
            var inputs: [String] = []
            if let i = m["inputs"] {
                guard let list = i as? [Any], list.allSatisfy({ $0 is String }) else { throw fail("step '\(id)': 'inputs' must be a list of step ids or files") }
                inputs = list.map { $0 as! String }
            }
            var params: [(String, Any)] = []
            if let p = m["params"] {
                guard let pm = p as? [String: Any] else { throw fail("step '\(id)': 'params' must be a mapping") }
                params = pm.keys.sorted().map { ($0, pm[$0]!) }
            }
            raws.append(Raw(id: id, tool: tool, inputs: inputs, params: params))
        }
        let ids = Set(raws.map(\.id))
        for id in pngSteps where !ids.contains(id) { throw fail("'outputs.png' names '\(id)', which is not a step") }
        if let d = defaultStep, !ids.contains(d) { throw fail("'outputs.default' names '\(d)', which is not a step") }

        // Parse every step into its tool.
        var parsed: [String: PipelineStep] = [:]
        var files: [String] = []
        for r in raws {
            let type = ToolRegistry.tool(named: r.tool)!
            var args: [String] = []
            var stepSeed = RandomSource.derivedSeed(seed, r.id)
            // Parameter names are the tool's option names (as in its --help), checked before parsing.
            let placeholders = r.inputs + (type.writesOutput ? [outputFile] : [])
            let known = Set((try? type.parse(["--"] + placeholders)).map { ParameterSnapshot.values(of: $0).map(\.0) } ?? [])
            for (key, _) in r.params where !known.isEmpty && !known.contains(key.replacingUnderscores()) {
                throw fail("step '\(r.id)' (tool \(r.tool)): unknown parameter '\(key)' (known: \(known.filter { !["force", "json", "quiet", "verbose", "threads", "fft-planning"].contains($0) }.sorted().joined(separator: ", ")))")
            }
            var references: [String: String] = [:]
            for (key, value) in r.params {
                let flagName = "--" + key.replacingUnderscores()
                if type.modelOptions.contains(key.replacingUnderscores()), let id = value as? String, ids.contains(id) {
                    // A model from an earlier step: held in memory while the pipeline runs and
                    // stored in the output at /entry/<id>/model, the reference recorded here.
                    let producer = ToolRegistry.tool(named: raws.first { $0.id == id }!.tool)!
                    guard producer.producesModel else {
                        throw fail("step '\(r.id)': parameter '\(key)' names step '\(id)' (tool \(producer.toolName)), which produces no model")
                    }
                    references[key.replacingUnderscores()] = id
                    args += [flagName, "\(outputFile):/entry/\(id)/model"]
                    continue
                }
                if key == "seed" {
                    guard let i = value as? Int, i >= 0 else { throw fail("step '\(r.id)': parameter 'seed' must be a non-negative integer") }
                    stepSeed = UInt64(i)
                    continue
                }
                if ["force", "json", "quiet", "verbose", "threads"].contains(key) {
                    throw fail("step '\(r.id)': '\(key)' is a run-wide option; pass it to 'wb run' instead")
                }
                switch value {
                case let b as Bool:
                    let negated = "--no-" + key.replacingUnderscores()
                    if b { args.append(flagName) } else if type.helpMessage().contains(negated) { args.append(negated) }
                case let list as [Any]:
                    for e in list { args += [flagName, "\(e)"] }
                case is [String: Any]:
                    throw fail("step '\(r.id)': parameter '\(key)' must be a scalar or a list")
                default:
                    args += [flagName, "\(value)"]
                }
            }
            let count = type.inputCount
            guard count.contains(r.inputs.count) else {
                throw fail("step '\(r.id)': tool \(r.tool) takes \(count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound)–\(count.upperBound)") input(s), got \(r.inputs.count)")
            }
            let tool: any Tool
            do {
                // Positional files are supplied by the pipeline; placeholders satisfy the tool's count check.
                tool = try type.parse(args + ["--seed", String(stepSeed), "--"] + placeholders)
            } catch {
                let message = type.message(for: error)
                    .replacingOccurrences(of: "Unknown option '--", with: "unknown parameter '")
                    .replacingOccurrences(of: "Error: ", with: "")
                throw fail("step '\(r.id)' (tool \(r.tool)): \(message)")
            }
            // Inputs: earlier or later step ids, or files that must exist.
            for input in r.inputs where !ids.contains(input) {
                let found: [String]
                do { found = try type.inputFiles(of: input) } catch ImagingError.fileNotFound(let path) {
                    throw fail("step '\(r.id)': input file '\(path)' does not exist")
                } catch {
                    throw fail("step '\(r.id)': input '\(input)' is neither a step id nor a usable input: \(error)")
                }
                for f in found where !files.contains(f) { files.append(f) }
            }
            // Files named by options (model files, extra data); a model reference to a step is
            // the pipeline's own output, not an input.
            let optionFiles: [String]
            do { optionFiles = try tool.optionInputFiles() } catch { throw fail("step '\(r.id)': \(error)") }
            for f in optionFiles where !files.contains(f) {
                if !references.isEmpty && AtomicOutput.canonical(f) == AtomicOutput.canonical(outputFile) { continue }
                guard AtomicOutput.exists(f) else { throw fail("step '\(r.id)': file '\(f)' does not exist") }
                files.append(f)
            }
            parsed[r.id] = PipelineStep(id: r.id, toolName: r.tool, tool: tool, inputs: r.inputs, arguments: args,
                                        seed: stepSeed, modelReferences: references)
        }
        // Steps used as inputs must produce a grid.
        for r in raws {
            for input in r.inputs where ids.contains(input) {
                let producer = ToolRegistry.tool(named: raws.first { $0.id == input }!.tool)!
                if !producer.writesOutput {
                    throw fail("step '\(r.id)': input '\(input)' is a \(producer.toolName) step, which produces no image")
                }
            }
        }
        // Topological order (Kahn), stable in file order; a leftover means a cycle.
        var order: [PipelineStep] = []
        var done = Set<String>()
        var remaining = raws
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { r in parsed[r.id]!.dependencies(among: ids).allSatisfy { done.contains($0) } }) else {
                throw fail("the steps \(remaining.map { "'\($0.id)'" }.joined(separator: ", ")) form a cycle")
            }
            let r = remaining.remove(at: next)
            done.insert(r.id)
            order.append(parsed[r.id]!)
        }
        steps = order
        inputFiles = files
        for f in files where AtomicOutput.canonical(f) == AtomicOutput.canonical(outputFile) {
            throw fail("'outputs.file' \(outputFile) is also an input; wb never overwrites an input")
        }
        // Resolved spec for provenance.
        resolvedJSON = JSONValue.object([
            ("name", .string(name)), ("seed", .unsigned(seed)),
            ("steps", .array(order.map { s in
                .object([("id", .string(s.id)), ("tool", .string(s.toolName)),
                         ("inputs", .array(s.inputs.map { .string($0) })),
                         ("seed", .unsigned(s.seed)),
                         ("parameters", .object(ParameterSnapshot.values(of: s.tool).filter { $0.0 != "seed" }))])
            })),
            ("outputs", .object([("file", .string(outputFile)), ("png", .array(pngSteps.map { .string($0) }))])),
        ]).serialized()
    }

    /// The PNG path for step `id` next to the output file: `<stem>_<id>.png`.
    func pngPath(for id: String) -> String { OutputWriter.siblingPath(for: outputFile, suffix: id, extension: "png") }

    /// A side file of step `id` next to the output file: `<stem>_<id>_<suffix>.<ext>`.
    func sidePath(for id: String, suffix: String, extension ext: String) -> String {
        OutputWriter.siblingPath(for: outputFile, suffix: "\(id)_\(suffix)", extension: ext)
    }
}

extension String {
    /// `data_range` → `data-range` (YAML keys may use either).
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }

    /// Plain substring replacement (no Foundation).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    /// First occurrence of `target`.
    func range(of target: String) -> Range<Index>? {
        let t = Array(target)
        guard !t.isEmpty, count >= t.count else { return nil }
        var i = startIndex
        while i < endIndex {
            var j = i, k = 0
            while k < t.count, j < endIndex, self[j] == t[k] { j = index(after: j); k += 1 }
            if k == t.count { return i..<j }
            i = index(after: i)
        }
        return nil
    }
}

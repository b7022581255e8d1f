import Imaging

/// Runs a validated pipeline: each step in dependency order, results kept in memory, then one
/// NeXus file with every step's result as `/entry/<id>` plus the requested PNGs.
struct PipelineRunner {
    let spec: PipelineSpec
    let common: CommonOptions

    /// Checks that the outputs may be written (before any step runs).
    func validateOutputs() throws {
        try AtomicOutput.validate(spec.outputFile, inputs: spec.inputFiles, force: common.force)
        for id in spec.pngSteps {
            try AtomicOutput.validate(spec.pngPath(for: id), inputs: spec.inputFiles, force: common.force)
        }
        for step in spec.steps {
            for a in type(of: step.tool).attachmentNames {
                try AtomicOutput.validate(spec.sidePath(for: step.id, suffix: a.suffix, extension: a.ext), inputs: spec.inputFiles, force: common.force)
            }
        }
    }

    /// Human-readable plan (for `--dry-run`).
    func plan() -> String {
        var lines = ["pipeline '\(spec.name)' (seed \(spec.seed)), \(spec.steps.count) steps:"]
        for (n, s) in spec.steps.enumerated() {
            let args = s.arguments.isEmpty ? "" : " " + s.arguments.joined(separator: " ")
            lines.append("  \(n + 1). \(s.id): wb \(s.toolName)\(args) --seed \(s.seed)  inputs: [\(s.inputs.joined(separator: ", "))]")
        }
        lines.append("output: \(spec.outputFile)")
        for id in spec.pngSteps { lines.append("png: \(spec.pngPath(for: id))") }
        return lines.joined(separator: "\n")
    }

    /// Runs every step and writes the outputs; returns a summary per step.
    func run() throws -> [(id: String, summary: [SummaryItem], seconds: Double)] {
        try validateOutputs()
        var results: [String: ToolResult] = [:]
        var report: [(id: String, summary: [SummaryItem], seconds: Double)] = []
        for (n, step) in spec.steps.enumerated() {
            let inputs: [InputSource] = step.inputs.map { ref in
                if let r = results[ref], let g = r.grid { return .step(id: ref, grid: g) }
                return .file(ref)
            }
            let context = ToolContext(inputs: inputs, seed: step.seed, quiet: common.quiet, verbose: common.verbose)
            for (option, id) in step.modelReferences { context.stepModels[option] = results[id]?.model }
            let t0 = wallClock()
            let result: ToolResult
            do { result = try step.tool.execute(context) } catch {
                throw WBError("step '\(step.id)' (\(step.toolName)) failed: \(error)")
            }
            let dt = wallClock() - t0
            results[step.id] = result
            report.append((step.id, result.summary, dt))
            if !common.quiet {
                let s = result.summary.map(\.plain).joined(separator: " ")
                printError("[\(n + 1)/\(spec.steps.count)] \(step.id) (\(step.toolName)) \(String(format6: dt)) s\(s.isEmpty ? "" : "  " + s)")
            }
        }
        try write(results)
        return report
    }

    private func write(_ results: [String: ToolResult]) throws {
        var groups: [NXData] = []
        var summaryOnly: [(String, [SummaryItem])] = []
        for step in spec.steps {
            guard let r = results[step.id] else { continue }
            if let g = r.grid {
                var d = OutputWriter.nxData(r, name: step.id, grid: g)
                d.attributes["wb_tool"] = .string(step.toolName)
                groups.append(d)
                for var e in r.extra { e.name = "\(step.id)_\(e.name)"; groups.append(e) }
            } else {
                summaryOnly.append((step.id, r.summary))
            }
        }
        guard !groups.isEmpty else { throw WBError("\(spec.outputFile): no step produced an image to store") }
        let defaultName = spec.defaultStep.flatMap { id in groups.contains { $0.name == id } ? id : nil }
            ?? groups.last!.name
        var summary: [String: HDF5Value] = [:]
        for (id, items) in summaryOnly { for i in items { summary["\(id).\(i.name)"] = i.hdf5Value } }
        // Every solver step's history as convergence_<id>; `convergence` itself is the default
        // step's history, or the last one's.
        let histories = spec.steps.compactMap { s in results[s.id]?.convergence.map { (name: s.id, history: $0) } }
        let convergenceStep = results[defaultName]?.convergence != nil ? defaultName : histories.last?.name
        let convergence = convergenceStep.flatMap { results[$0]?.convergence }
        var doc = NeXusDocument(results: groups, defaultResult: defaultName,
            provenance: Provenance(commandLine: OutputWriter.commandLine, parameters: spec.resolvedJSON,
                                   seed: spec.seed, inputs: spec.inputFiles),
            convergence: convergence, summary: summary)
        doc.namedConvergence = histories
        for step in spec.steps {
            guard let r = results[step.id] else { continue }
            if let model = r.model, r.grid != nil {
                doc.appendices.append(OutputWriter.modelWriter(model, group: "/entry/\(step.id)/model"))
            }
            if r.convergence != nil && !r.convergenceDatasets.isEmpty {
                doc.appendices.append(OutputWriter.datasetWriter(r.convergenceDatasets, group: "/entry/process/convergence_\(step.id)"))
                if step.id == convergenceStep {
                    doc.appendices.append(OutputWriter.datasetWriter(r.convergenceDatasets, group: "/entry/process/convergence"))
                }
            }
        }
        try NeXus.write(doc, to: spec.outputFile)
        let sideFiles = spec.steps.flatMap { step in
            (results[step.id]?.sideFiles ?? []).map { ($0, spec.sidePath(for: step.id, suffix: $0.suffix, extension: $0.ext)) }
        }
        try OutputWriter.writeSideFiles(sideFiles, force: common.force, inputs: spec.inputFiles, cleanup: [spec.outputFile],
                                        log: { if !common.quiet { printError($0) } })
        for id in spec.pngSteps {
            guard let r = results[id], let g = r.grid else {
                throw WBError("'outputs.png' names step '\(id)', which produced no image")
            }
            let frame = g.rank == 3 && ![3, 4].contains(g.shape[2]) ? g.slice(0) : g
            try OutputWriter.writePNG(frame, to: spec.pngPath(for: id), displayRange: r.displayRange, bitDepth: 8)
        }
    }
}

import ArgumentParser
import Imaging

/// `wb check adjoint`: the dot-product test on every built-in operator.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Self-tests of the numerical building blocks.",
        subcommands: [CheckAdjoint.self])
}

struct CheckAdjoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjoint",
        abstract: "Run the adjoint (dot-product) test on every built-in operator and print each mismatch.",
        discussion: """
        For each operator A, draws seeded Gaussian x and y and prints \
        |⟨Ax, y⟩ − ⟨x, Aᵀy⟩| / (‖Ax‖‖y‖ + ‖x‖‖Aᵀy‖), the ratio ⟨Ax, y⟩/⟨x, Aᵀy⟩ (≠ 1 means a \
        scaled adjoint) and the linearity error. Exits with 1 if any mismatch exceeds --tolerance.

        Examples:
          wb check adjoint
          wb check adjoint --size 33x17 --depth 5 --json
        """)

    @Option(help: "Image size HxW for the 2-D operators (1-D ones use W, 3-D ones DxHxW).") var size: String = "64x64"
    @Option(help: "Depth for the 3-D operators.") var depth: Int = 8
    @Option(help: "Largest accepted mismatch.") var tolerance: Double = 1e-12
    @Option(help: "Trials per operator.") var trials: Int = 3
    @Option(help: "Seed of the random test vectors.") var seed: UInt64 = 1
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    func parsedSize() throws -> (Int, Int) {
        let p = size.lowercased().split(separator: "x")
        guard p.count == 2, let h = Int(p[0]), let w = Int(p[1]), h >= 1, w >= 1, h * w <= 1 << 24 else {
            throw ValidationError("--size must look like 64x64 (positive height x width), got '\(size)'")
        }
        return (h, w)
    }

    func validate() throws {
        _ = try parsedSize()
        if depth < 1 { throw ValidationError("--depth must be ≥ 1, got \(depth)") }
        if trials < 1 { throw ValidationError("--trials must be ≥ 1, got \(trials)") }
        if !(tolerance > 0) { throw ValidationError("--tolerance must be > 0") }
    }

    func run() throws {
        let (h, w) = try parsedSize()
        let ops = builtInOperatorsForCheck(height: h, width: w, depth: depth, seed: seed)
        var failed = 0
        let nameWidth = min(70, ops.map { $0.name.count }.max() ?? 10)
        if !json {
            print("operator".padding(nameWidth) + "  mismatch   ratio−1    linearity  ok")
        }
        for (i, op) in ops.enumerated() {
            let r = adjointTest(op, trials: trials, seed: seed &+ UInt64(i) &* 7919)
            let ok = r.mismatch <= tolerance && abs(r.ratio - 1) <= max(1e-9, tolerance * 1e3)
            if !ok { failed += 1 }
            if json {
                print(JSONValue.object([("operator", .string(r.name)), ("domain", .string(op.domain.description)),
                                        ("range", .string(op.range.description)), ("mismatch", .number(r.mismatch)),
                                        ("ratio", .number(r.ratio)), ("linearity", .number(r.linearityError)), ("ok", .bool(ok))]).serialized())
            } else {
                print(r.name.padding(nameWidth) + "  " + sci(r.mismatch) + " " + sci(r.ratio - 1) + " " + sci(r.linearityError) + " " + (ok ? "yes" : "NO"))
            }
        }
        if !json { print("\(ops.count - failed) of \(ops.count) operators within \(sci(tolerance))") }
        if failed > 0 { throw ExitCode(1) }
    }

    private func sci(_ v: Double) -> String { scientific(v).padding(10) }
}

extension String {
    /// Left-aligned in a field of `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

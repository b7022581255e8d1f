import Foundation
import Imaging

/// Runs the built `wb` binary (next to the test bundle) and captures its output.
struct CLIResult {
    let code: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    /// `.build/<config>/wb`, found beside the test bundle.
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("wb").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let rel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/release/wb").standardized.path
        return rel
    }

    static func run(_ args: [String], in cwd: String) throws -> CLIResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
    }
}

/// A fresh temporary folder, removed by `cleanup()`.
struct TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "wbtest-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    /// Names of the files in the folder (including hidden temporaries).
    func listing() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// A smooth 32×32 test image in [0, 1].
func testImage(_ h: Int = 32, _ w: Int = 32) -> Grid {
    var g = Grid.image(height: h, width: w)
    for i in 0..<h { for j in 0..<w { g[i, j] = 0.5 + 0.4 * sin(Double(i) / 5) * cos(Double(j) / 7) } }
    return g
}

/// The repository root (for data/ files).
var repositoryRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
}

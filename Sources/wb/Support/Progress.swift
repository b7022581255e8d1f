#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error (logs, progress, warnings); stdout is kept for results.
func printError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    writeStderr(line)
}

/// Monotonic wall-clock seconds.
func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Progress on stderr: a redrawn bar when stderr is a terminal, otherwise a plain line at most
/// every `interval` seconds (and at the end), so logs of batch jobs stay readable.
final class ProgressReporter {
    let label: String
    let total: Int
    let enabled: Bool
    let isTTY: Bool
    let interval: Double
    private var lastReport = -1.0
    private let start = wallClock()

    init(label: String, total: Int, enabled: Bool, interval: Double = 2.0) {
        self.label = label
        self.total = max(total, 1)
        self.enabled = enabled
        self.isTTY = isatty(2) != 0
        self.interval = interval
    }

    /// Reports that `done` of `total` units are complete, with an optional status text.
    func update(_ done: Int, status: String = "") {
        guard enabled else { return }
        let now = wallClock()
        let finished = done >= total
        if !finished && now - lastReport < (isTTY ? 0.1 : interval) { return }
        lastReport = now
        let frac = Double(min(done, total)) / Double(total)
        if isTTY {
            let width = 30
            let filled = Int(frac * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            writeStderr("\r\(label) [\(bar)] \(done)/\(total) \(status)\u{1B}[K")
            if finished { writeStderr("\n") }
        } else {
            let elapsed = String(format6: now - start)
            writeStderr("\(label): \(done)/\(total) (\(Int(frac * 100))%) \(elapsed) s \(status)\n")
        }
    }
}

/// Writes text to file descriptor 2 unbuffered (safe from any thread).
func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { break }
        offset += n
    }
}

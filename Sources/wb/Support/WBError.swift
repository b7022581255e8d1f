/// A user-facing CLI or pipeline error (exit code 1), naming the file, step or option involved.
struct WBError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// A usage error (exit code 2): wrong number of files, bad option combination.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// How a result was made, written by ``NeXus/write(_:to:)`` into the `NXprocess` group
/// `/entry/process`.
public struct Provenance: Sendable, Equatable {
    /// The program name (`/entry/process/program`).
    public var program = "wb"
    /// The program version (`/entry/process/version`).
    public var version: String
    /// The full command line (`/entry/process/command_line`).
    public var commandLine: String
    /// The resolved parameters as JSON text (`/entry/process/parameters`).
    public var parameters: String
    /// The random seed (`/entry/process/seed`, uint64), absent when `nil`.
    public var seed: UInt64?
    /// Input file paths; the writer stores them in `/entry/process/input_files` and their
    /// SHA-256 digests, in the same order, in `/entry/process/input_sha256`.
    public var inputs: [String]
    /// ISO-8601 date (`/entry/process/date`); the time of writing (UTC) when `nil`.
    public var date: String?

    /// A provenance record.
    public init(version: String = imagingVersion, commandLine: String, parameters: String, seed: UInt64?,
                inputs: [String], date: String? = nil) {
        self.version = version
        self.commandLine = commandLine
        self.parameters = parameters
        self.seed = seed
        self.inputs = inputs
        self.date = date
    }
}

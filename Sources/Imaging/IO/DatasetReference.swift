/// A file, optionally with a dataset inside it, as written on the command line:
/// `"scan.h5:/entry/data/data"` or just `"scan.h5"`.
///
/// Parsing: the text is split at the first `:` whose prefix has an HDF5 extension
/// (``isHDF5Path(_:)``); failing that, at the first `":/"`. The dataset part is normalised to
/// an absolute path (`"a.h5:x/y"` → `"/x/y"`); an empty dataset part (`"a.h5:"`) means none.
public struct DatasetReference: Sendable, Equatable, CustomStringConvertible {
    /// The file path.
    public let file: String
    /// The absolute dataset path, or `nil` for "the file's default dataset".
    public let dataset: String?

    /// Parses `"file"` or `"file:/dataset/path"`.
    public init(parsing text: String) {
        var split: String.Index? = nil
        var index = text.startIndex
        while let colon = text[index...].firstIndex(of: ":") {
            if Self.isHDF5Path(String(text[..<colon])) { split = colon; break }
            index = text.index(after: colon)
        }
        if split == nil {
            split = text.indices.first { i in
                text[i] == ":" && text.index(after: i) < text.endIndex && text[text.index(after: i)] == "/"
            }
        }
        guard let s = split else {
            file = text
            dataset = nil
            return
        }
        file = String(text[..<s])
        let rest = text[text.index(after: s)...]
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        dataset = parts.isEmpty ? (rest.isEmpty ? nil : "/") : "/" + parts.joined(separator: "/")
    }

    /// A reference to `dataset` in `file` (`nil`: the default dataset).
    public init(file: String, dataset: String? = nil) {
        self.file = file
        self.dataset = dataset
    }

    /// True when `path` ends in `.h5`, `.hdf5`, `.nxs`, `.nx5` or `.he5` (any case).
    public static func isHDF5Path(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return false }
        let ext = path[path.index(after: dot)...].lowercased()
        return ["h5", "hdf5", "nxs", "nx5", "he5"].contains(ext)
    }

    /// `"file:/dataset"`, or `"file"` without a dataset.
    public var description: String {
        dataset.map { "\(file):\($0)" } ?? file
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Writes outputs atomically: to a temporary file in the target folder, renamed into place
/// only when complete, so a failed or interrupted run leaves no partial output.
public enum AtomicOutput {
    /// Checks that `path` may be written: not equal to any of `inputs` (after resolving links),
    /// absent unless `force`, and in an existing, writable folder. Throws ``ImagingError/unwritable(path:reason:)``.
    public static func validate(_ path: String, inputs: [String] = [], force: Bool) throws {
        if path.isEmpty { throw ImagingError.unwritable(path: path, reason: "empty output path") }
        let target = canonical(path)
        for input in inputs where canonical(input) == target {
            throw ImagingError.unwritable(path: path, reason: "output is the same file as input '\(input)'; wb never overwrites an input")
        }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw ImagingError.unwritable(path: path, reason: "is a directory")
            }
            if !force {
                throw ImagingError.unwritable(path: path, reason: "file exists (use --force to overwrite)")
            }
        }
        let dir = directory(of: path)
        var ds = stat()
        if stat(dir, &ds) != 0 || (ds.st_mode & S_IFMT) != S_IFDIR {
            throw ImagingError.unwritable(path: path, reason: "folder '\(dir)' does not exist")
        }
        if access(dir, W_OK) != 0 {
            throw ImagingError.unwritable(path: path, reason: "folder '\(dir)' is not writable")
        }
    }

    /// Calls `body` with a temporary path next to `path`, then renames it to `path`.
    /// On any error the temporary file is removed and the error rethrown.
    public static func write<T>(to path: String, _ body: (String) throws -> T) throws -> T {
        let dir = directory(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let tmp = (dir == "." && !path.hasPrefix("./") ? "" : dir + "/") + ".\(base).wbtmp-\(getpid())-\(counter())"
        do {
            let result = try body(tmp)
            if rename(tmp, path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(tmp)
                throw ImagingError.unwritable(path: path, reason: "rename failed: \(reason)")
            }
            return result
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// The folder holding `path` ("." for a bare file name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    /// `realpath` of the file, or of its folder plus the name when the file does not exist yet.
    public static func canonical(_ path: String) -> String {
        if let r = realpath(path, nil) { defer { free(r) }; return String(cString: r) }
        let dir = directory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if let r = realpath(dir, nil) { defer { free(r) }; return String(cString: r) + "/" + name }
        return path
    }

    /// True when a regular file or folder exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    private static let lock = Mutex<Int>(0)
    private static func counter() -> Int { lock.withLock { $0 += 1; return $0 } }
}

import Synchronization

internal import CHDF5
import Synchronization

/// Process-wide HDF5 set-up and error translation (internal).
///
/// HDF5 keeps its error stack, and with it the automatic-printing setting, *per thread* in a
/// thread-safe build (Debian's is). Silencing it once on one thread therefore leaves every
/// other thread printing stack dumps; ``prepare()`` is cheap and is called at the top of every
/// public entry point, so whichever thread does the I/O is silent.
enum HDF5Library {
    /// Library initialisation, run once (lazily, thread-safely, as a `static let`).
    private static let initialised: Bool = {
        H5open() >= 0
    }()

    /// Initialises the library and turns off automatic error printing on the calling thread.
    static func prepare() {
        _ = initialised
        H5Eset_auto2(wb_h5e_default(), nil, nil)
    }

    /// The messages on the calling thread's error stack, innermost (most specific) first,
    /// and clears that stack.
    static func takeErrorMessages() -> [String] {
        let stack = H5Eget_current_stack()
        guard stack >= 0 else { return [] }
        defer { H5Eclose_stack(stack) }
        final class Box { var messages: [String] = [] }
        let box = Box()
        let unmanaged = Unmanaged.passUnretained(box)
        _ = withExtendedLifetime(box) {
            H5Ewalk2(stack, H5E_WALK_UPWARD, { _, desc, data in
                guard let desc, let data else { return 0 }
                let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
                var text = desc.pointee.desc.map { String(cString: $0) } ?? ""
                if text.isEmpty, let f = desc.pointee.func_name { text = "error in \(String(cString: f))" }
                if !text.isEmpty { box.messages.append(text) }
                return 0
            }, unmanaged.toOpaque())
        }
        return box.messages
    }

    /// The innermost message of the error stack, or `fallback`.
    static func errorReason(fallback: String) -> String {
        let messages = takeErrorMessages()
        guard let inner = messages.first else { return fallback }
        if let outer = messages.last, outer != inner, messages.count > 1 {
            return "\(inner) (\(outer))"
        }
        return inner
    }

    /// Number of open HDF5 identifiers of any kind in the whole process.
    static func openObjectCount() -> Int {
        Int(H5Fget_obj_count(wb_h5f_obj_all_files(), wb_h5f_obj_all()))
    }

    /// Number of open HDF5 identifiers (files, groups, datasets, types, attributes) that
    /// belong to the file named `path` (as it was opened). Unlike ``openObjectCount()`` this is
    /// not disturbed by other tests working on other files at the same time.
    static func openObjectCount(inFileNamed path: String) -> Int {
        prepare()
        let total = openObjectCount()
        guard total > 0 else { return 0 }
        var ids = [hid_t](repeating: -1, count: total + 16)
        let n = Int(H5Fget_obj_ids(wb_h5f_obj_all_files(), wb_h5f_obj_all(), ids.count, &ids))
        var count = 0
        for id in ids.prefix(max(0, n)) where id >= 0 {
            let len = H5Fget_name(id, nil, 0)
            guard len > 0 else { continue }
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            H5Fget_name(id, &buf, buf.count)
            if String(cString: buf) == path { count += 1 }
        }
        _ = takeErrorMessages()
        return count
    }
}

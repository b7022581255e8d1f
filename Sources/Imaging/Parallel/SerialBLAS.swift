import Synchronization
#if canImport(Glibc)
import Glibc
#endif
internal import CBLAS

extension ComputeThreads {
    /// Nesting depth of ``withSerialBLAS(_:)`` over all threads.
    static let serialBLASDepth = Mutex<Int>(0)

    /// Runs `body` with OpenBLAS single-threaded and restores ``count`` afterwards.
    ///
    /// For loops that run BLAS calls inside ``parallelFor(count:workPerItem:_:)`` (one level of
    /// parallelism at a time: the workers are the threads, each BLAS call serial). Nested and
    /// concurrent uses are fine: OpenBLAS stays at one thread until the last user leaves. Costs
    /// two mutex operations; with one compute thread it only runs `body`.
    public static func withSerialBLAS<R>(_ body: () throws -> R) rethrows -> R {
        if count == 1 { return try body() }   // set(1) already made OpenBLAS serial
        serialBLASDepth.withLock { d in
            if d == 0 { openblas_set_num_threads(1) }
            d += 1
        }
        defer {
            serialBLASDepth.withLock { d in
                d -= 1
                if d == 0 { openblas_set_num_threads(Int32(count)) }
            }
        }
        return try body()
    }

    /// Size of the last-level (L3) cache in bytes: from sysfs (`/sys/devices/system/cpu/cpu0/
    /// cache/index3/size`, which virtual machines report correctly where `sysconf` may not),
    /// else `sysconf(_SC_LEVEL3_CACHE_SIZE)`, else 32 MB. Solvers use it to choose between
    /// cache-resident and streaming strategies.
    public static let lastLevelCacheBytes: Int = {
        #if canImport(Glibc)
        let fd = open("/sys/devices/system/cpu/cpu0/cache/index3/size", O_RDONLY)
        if fd >= 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 31) }
            close(fd)
            if n > 0 {
                let text = String(decoding: buffer[0..<n], as: UTF8.self)   // e.g. "32768K\n"
                let unit = text.contains("K") ? 1 << 10 : text.contains("M") ? 1 << 20 : 1
                if let v = Int(String(text.filter(\.isNumber))), v > 0 { return v * unit }
            }
        }
        #endif
        #if canImport(Glibc)
        let l3 = sysconf(Int32(_SC_LEVEL3_CACHE_SIZE))
        if l3 > 0 { return l3 }
        #endif
        return 32 << 20
    }()
}

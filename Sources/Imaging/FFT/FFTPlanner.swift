import Synchronization
internal import CFFTW

/// How FFTW chooses an algorithm when a plan is first created for a shape.
///
/// `estimate` plans in microseconds–milliseconds with a heuristic; `measure` times candidate
/// algorithms (0.4–1.6 s for 1024² on the reference machine) for a transform that is typically
/// 0–20 % faster. Plans are cached per planning mode, so switching modes never replans a
/// shape that was already planned in that mode.
public enum FFTPlanning: String, Sendable, CaseIterable {
    /// `FFTW_ESTIMATE`: fast planning, the default.
    case estimate
    /// `FFTW_MEASURE`: slow planning, worthwhile for long solver runs on one shape.
    case measure
}

/// Process-wide FFT settings, read when a transform is created.
public enum FFTSettings {
    static let storage = Atomic<Int>(0)

    /// Planning mode used by transforms created from now on (default ``FFTPlanning/estimate``).
    public static var planning: FFTPlanning {
        storage.load(ordering: .relaxed) == 1 ? .measure : .estimate
    }

    /// Sets the planning mode for transforms created from now on (thread-safe).
    public static func setPlanning(_ planning: FFTPlanning) {
        storage.store(planning == .measure ? 1 : 0, ordering: .relaxed)
    }
}

/// The transform a cached plan performs.
enum FFTKind: Hashable, Sendable {
    case realToComplex, complexToReal, complexForward, complexBackward
}

/// Owns FFTW's planner: one global lock around every planner call, one plan cache.
///
/// FFTW's planner (`fftw_plan_*`, `fftw_destroy_plan`, `fftw_plan_with_nthreads`, wisdom) is
/// not thread-safe; its execute functions are, as long as concurrent executions of one plan
/// use distinct arrays. Plans are therefore created once per (kind, shape, threads, planning)
/// under ``lock`` and kept for the lifetime of the process; each transform instance executes
/// them with the new-array functions (`fftw_execute_dft_r2c` …) on its own `fftw_malloc`'d
/// buffers, which have the alignment of the planning buffers.
enum FFTPlanner {
    struct Key: Hashable, Sendable {
        let kind: FFTKind
        let dimensions: [Int]
        let threads: Int
        let planning: FFTPlanning
    }

    struct State: ~Copyable {
        var threadsInitialized = false
        /// Plans stored as bit patterns: `fftw_plan` is an opaque C pointer owned by this cache.
        var plans: [Key: UInt] = [:]
    }

    /// The one lock guarding every FFTW planner call in the process.
    static let lock = Mutex<State>(State())

    /// Transforms with fewer elements than this are planned single-threaded: FFTW's threads
    /// cost more than they save on small arrays.
    static let minimumElementsPerThreadedPlan = 1 << 15

    /// Thread count a plan of `count` elements is created with.
    static func threadCount(forElements count: Int) -> Int {
        count >= minimumElementsPerThreadedPlan ? Swift.max(1, ComputeThreads.count) : 1
    }

    /// The cached plan for `kind` on `dimensions` (slowest first), creating it on first use.
    ///
    /// Plans are out-of-place, made on temporary `fftw_malloc` buffers of the right sizes, so
    /// `FFTW_MEASURE` never overwrites caller data.
    static func plan(_ kind: FFTKind, dimensions: [Int]) -> OpaquePointer {
        let count = dimensions.reduce(1, *)
        let key = Key(kind: kind, dimensions: dimensions, threads: threadCount(forElements: count),
                      planning: FFTSettings.planning)
        let bits: UInt = lock.withLock { state in
            if let cached = state.plans[key] { return cached }
            if !state.threadsInitialized {
                precondition(fftw_init_threads() != 0, "FFTW: fftw_init_threads failed")
                state.threadsInitialized = true
            }
            fftw_plan_with_nthreads(Int32(key.threads))
            let flags: UInt32 = (key.planning == .measure ? UInt32(FFTW_MEASURE) : UInt32(FFTW_ESTIMATE))
            let n = key.dimensions.map { Int32($0) }
            let rank = Int32(n.count)
            let halfCount = count / key.dimensions[key.dimensions.count - 1] * (key.dimensions[key.dimensions.count - 1] / 2 + 1)
            let made: OpaquePointer? = n.withUnsafeBufferPointer { np in
                switch key.kind {
                case .realToComplex, .complexToReal:
                    let real = fftw_alloc_real(Swift.max(count, 1))!
                    let cplx = fftw_alloc_complex(Swift.max(halfCount, 1))!
                    defer { fftw_free(real); fftw_free(cplx) }
                    return key.kind == .realToComplex
                        ? fftw_plan_dft_r2c(rank, np.baseAddress, real, cplx, flags)
                        : fftw_plan_dft_c2r(rank, np.baseAddress, cplx, real, flags)
                case .complexForward, .complexBackward:
                    let a = fftw_alloc_complex(Swift.max(count, 1))!
                    let b = fftw_alloc_complex(Swift.max(count, 1))!
                    defer { fftw_free(a); fftw_free(b) }
                    return fftw_plan_dft(rank, np.baseAddress, a, b,
                                         key.kind == .complexForward ? FFTW_FORWARD : FFTW_BACKWARD, flags)
                }
            }
            guard let p = made else {
                preconditionFailure("FFTW: could not plan \(key.kind) of \(key.dimensions)")
            }
            let b = UInt(bitPattern: p)
            state.plans[key] = b
            return b
        }
        return OpaquePointer(bitPattern: bits)!
    }

    /// Number of cached plans (for tests and diagnostics).
    static var cachedPlanCount: Int { lock.withLock { $0.plans.count } }
}

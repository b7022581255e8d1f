import Imaging
import Inverse

/// The blind-calibration problem file (docs/file-format.md, "Calibration problem file"),
/// written by `wb simulate calibration` and read by `wb calibrate`:
///
/// ```
/// /entry/measurements   NXdata   data (p, m) float64: row l is snapshot y_l      REQUIRED
///     @problem="blind-calibration" @format_version=1
///     @sensing="gaussian"|"bernoulli"|"convolution"|"matrices"
///     @sensing_seed (decimal string or integer; random kinds)  @unknowns=n (random kinds)
///     @sensing_matrices="file.h5:/dataset" (matrices kept in another file, optional)
///     @signal_shape=[h, w] (optional: the signal is an image)
/// /entry/sensing        NXdata   data (p, m, n): the matrices A_l (kind "matrices")
/// /entry/true_signal    NXdata   data (n) or signal_shape                         optional
/// /entry/true_gains     NXdata   data (m)                                         optional
/// /entry/signal_basis   NXdata   data (n, k)  Z, orthonormal columns (Algorithm 2) optional
/// /entry/gain_basis     NXdata   data (m, h)  B, orthonormal, Bᵀ1 = 0 (Algorithm 2) optional
/// ```
/// The minimal file a user writes is `/entry/measurements/data` plus `/entry/sensing/data`
/// (no attributes needed: a present `/entry/sensing/data` means kind "matrices").
struct CalibrationProblemFile {
    static let formatVersion = 1
    static let measurementsPath = "/entry/measurements"

    /// y, shape (p, m).
    var measurements: Grid
    var sensing: SensingDescription
    var unknowns: Int
    /// (p·m)×n row-major entries for kind "matrices" (stored in the file or referenced).
    var matrix: [Double]?
    /// Where the matrices live when not stored in the file itself ("file.h5:/dataset").
    var matrixReference: String?
    /// The image shape of the signal, if it is an image.
    var signalShape: [Int]?
    var trueSignal: [Double]?
    var trueGains: [Double]?
    /// Z, shape (n, k), and B, shape (m, h).
    var signalBasis: Grid?
    var gainBasis: Grid?
    /// Further attributes written on /entry/measurements (noise level …).
    var notes: [String: HDF5Value] = [:]

    var snapshots: Int { measurements.shape[0] }
    var sensors: Int { measurements.shape[1] }
    var hasSubspaces: Bool { signalBasis != nil || gainBasis != nil }

    /// The sensing operator described by the file.
    func makeOperator() throws -> AnySensing {
        try sensing.makeOperator(unknowns: unknowns, sensors: sensors, snapshots: snapshots, matrix: matrix)
    }

    /// `shape` for a vector of the signal (the image shape when known).
    func signalGrid(_ values: [Double]) -> Grid {
        if let s = signalShape { return Grid(shape: Shape(s), storage: values) }
        return Grid(shape: Shape(values.count), storage: values)
    }

    // MARK: Writing

    /// The attributes of /entry/measurements.
    var attributes: [String: HDF5Value] {
        var a = notes
        a["problem"] = .string("blind-calibration")
        a["format_version"] = .int(Self.formatVersion)
        a["sensing"] = .string(sensing.kind)
        a["unknowns"] = .int(unknowns)
        if let seed = sensing.seed { a["sensing_seed"] = .string(String(seed)) }
        if let r = matrixReference { a["sensing_matrices"] = .string(r) }
        if let s = signalShape { a["signal_shape"] = .ints(s) }
        return a
    }

    /// The NXdata groups besides /entry/measurements.
    var extraGroups: [NXData] {
        var groups: [NXData] = []
        if let matrix, matrixReference == nil {
            groups.append(NXData(name: "sensing", signal: Grid(shape: Shape(snapshots, sensors, unknowns), storage: matrix),
                                 axes: ["snapshot", "sensor", "unknown"], longName: "sensing matrices A_l"))
        }
        if let x = trueSignal {
            let g = signalGrid(x)
            groups.append(NXData(name: "true_signal", signal: g, interpretation: g.rank == 2 ? "image" : "spectrum",
                                 longName: "true signal x"))
        }
        if let d = trueGains {
            groups.append(NXData(name: "true_gains", signal: Grid(shape: Shape(d.count), storage: d), axes: ["sensor"],
                                 interpretation: "spectrum", longName: "true gains d"))
        }
        if let z = signalBasis {
            groups.append(NXData(name: "signal_basis", signal: z, axes: ["unknown", "atom"], longName: "signal basis Z"))
        }
        if let b = gainBasis {
            groups.append(NXData(name: "gain_basis", signal: b, axes: ["sensor", "atom"], longName: "gain basis B"))
        }
        return groups
    }

    // MARK: Reading

    /// Reads and checks a problem file; every error names the file and the dataset or attribute.
    static func read(_ path: String) throws -> CalibrationProblemFile {
        let file = try HDF5File(path)
        defer { file.close() }
        func fail(_ what: String) -> WBError { WBError("\(path): \(what)") }
        func grid(_ dataset: String, rank: Int, _ meaning: String) throws -> Grid {
            guard file.isDataset(dataset) else {
                throw fail("missing dataset \(dataset) (\(meaning)); see docs/file-format.md, calibration problem file")
            }
            let g = try file.readGrid(dataset)
            try g.requireFinite(source: "\(path):\(dataset)")
            guard g.rank == rank else { throw fail("\(dataset) must have rank \(rank) (\(meaning)), has shape \(g.shape)") }
            return g
        }
        let mPath = measurementsPath + "/data"
        let y = try grid(mPath, rank: 2, "measurements, shape (p, m)")
        let (p, m) = (y.shape[0], y.shape[1])
        let attrs = file.isGroup(measurementsPath) ? try file.attributes(of: measurementsPath) : [:]
        if let v = attrs["format_version"]?.intValue, v > formatVersion {
            throw fail("\(measurementsPath)@format_version is \(v); this wb reads version \(formatVersion)")
        }
        let hasMatrices = file.isDataset("/entry/sensing/data")
        let kind = attrs["sensing"]?.stringValue ?? (hasMatrices || attrs["sensing_matrices"] != nil ? "matrices" : nil)
        guard let kind else {
            throw fail("no sensing description: write /entry/sensing/data (p, m, n) or the attributes \(measurementsPath)@sensing and @sensing_seed")
        }
        var seed: UInt64? = nil
        if let s = attrs["sensing_seed"] {
            if let t = s.stringValue, let v = UInt64(t) { seed = v } else if let i = s.intValue, i >= 0 { seed = UInt64(i) } else {
                throw fail("\(measurementsPath)@sensing_seed must be a non-negative integer (or its decimal string)")
            }
        }
        let sensing: SensingDescription
        do { sensing = try SensingDescription(kind: kind, seed: kind == "matrices" ? nil : seed) } catch {
            throw fail("\(measurementsPath)@sensing: \(error)")
        }
        var problem = CalibrationProblemFile(measurements: y, sensing: sensing, unknowns: 0)
        if kind == "matrices" {
            let a: Grid
            if hasMatrices {
                a = try grid("/entry/sensing/data", rank: 3, "sensing matrices, shape (p, m, n)")
            } else {
                guard let ref = attrs["sensing_matrices"]?.stringValue else {
                    throw fail("sensing \"matrices\" needs /entry/sensing/data or \(measurementsPath)@sensing_matrices")
                }
                problem.matrixReference = ref
                let resolved = ref.hasPrefix("/") ? ref : AtomicOutput.directory(of: path) + "/" + ref
                a = try DataFiles.read(resolved, ranks: 3...3)
            }
            guard a.shape[0] == p, a.shape[1] == m else {
                throw fail("sensing matrices have shape \(a.shape), but the measurements (p, m) = (\(p), \(m)) need (\(p), \(m), n)")
            }
            problem.unknowns = a.shape[2]
            problem.matrix = a.storage
            if let n = attrs["unknowns"]?.intValue, n != problem.unknowns {
                throw fail("\(measurementsPath)@unknowns = \(n) disagrees with the sensing matrices (n = \(problem.unknowns))")
            }
        } else {
            guard let n = attrs["unknowns"]?.intValue, n >= 1 else {
                throw fail("\(measurementsPath)@unknowns (n ≥ 1) is required for sensing \"\(kind)\"")
            }
            problem.unknowns = n
        }
        let n = problem.unknowns
        if let s = attrs["signal_shape"] {
            let shape = s.intsValue ?? s.intValue.map { [$0] } ?? []
            guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == n else {
                throw fail("\(measurementsPath)@signal_shape must be positive integers with product n = \(n)")
            }
            problem.signalShape = shape
        }
        if file.isDataset("/entry/true_signal/data") {
            let x = try file.readGrid("/entry/true_signal/data")
            try x.requireFinite(source: "\(path):/entry/true_signal/data")
            guard x.count == n else { throw fail("/entry/true_signal/data has \(x.count) values, expected n = \(n)") }
            problem.trueSignal = x.storage
        }
        if file.isDataset("/entry/true_gains/data") {
            let d = try file.readGrid("/entry/true_gains/data")
            try d.requireFinite(source: "\(path):/entry/true_gains/data")
            guard d.count == m else { throw fail("/entry/true_gains/data has \(d.count) values, expected m = \(m)") }
            problem.trueGains = d.storage
        }
        if file.isDataset("/entry/signal_basis/data") {
            let z = try grid("/entry/signal_basis/data", rank: 2, "signal basis Z, shape (n, k)")
            guard z.shape[0] == n else { throw fail("/entry/signal_basis/data has shape \(z.shape), expected (n = \(n), k)") }
            problem.signalBasis = z
        }
        if file.isDataset("/entry/gain_basis/data") {
            let b = try grid("/entry/gain_basis/data", rank: 2, "gain basis B, shape (m, h)")
            guard b.shape[0] == m else { throw fail("/entry/gain_basis/data has shape \(b.shape), expected (m = \(m), h)") }
            problem.gainBasis = b
        }
        return problem
    }
}

extension HDF5Value {
    /// The integers of `.ints`, or of a one-element `.int`; otherwise `nil`.
    var intsValue: [Int]? {
        switch self {
        case .ints(let a): return a
        case .int(let i): return [i]
        default: return nil
        }
    }
}

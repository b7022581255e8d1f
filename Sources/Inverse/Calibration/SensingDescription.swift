/// A type-erased ``SensingOperator`` (one dynamic call per stacked map), so that code that chooses
/// the operator at run time — the CLI, the experiments — can use one solver type,
/// `BlindCalibration<AnySensing>`.
public struct AnySensing: SensingOperator {
    /// The wrapped operator.
    public let base: any SensingOperator
    public init(_ base: any SensingOperator) { self.base = base }
    public var snapshots: Int { base.snapshots }
    public var sensors: Int { base.sensors }
    public var unknowns: Int { base.unknowns }
    public func apply(_ x: Grid, into y: inout Grid) { base.apply(x, into: &y) }
    public func applyAdjoint(_ y: Grid, into x: inout Grid) { base.applyAdjoint(y, into: &x) }
    public var name: String { base.name }
}

/// How a sensing operator is made, as stored in a problem file: random operators are given by
/// their kind and seed and regenerated deterministically for any (n, m, p); only user-given
/// matrices are stored as numbers.
public enum SensingDescription: Sendable, Equatable, CustomStringConvertible {
    /// ``DenseSensing`` with i.i.d. N(0, 1) entries.
    case gaussian(seed: UInt64)
    /// ``DenseSensing`` with i.i.d. ±1 entries (unit variance: rows isotropic like the Gaussian case).
    case bernoulli(seed: UInt64)
    /// ``ConvolutionSensing``: p random circular convolutions by FFT seen on m ≤ n sensors.
    case convolution(seed: UInt64)
    /// User-given matrices A_1 … A_p (stored with the problem).
    case matrices

    /// The kind names accepted by ``init(kind:seed:)``.
    public static let kinds = ["gaussian", "bernoulli", "convolution", "matrices"]

    /// "gaussian", "bernoulli", "convolution" or "matrices".
    public var kind: String {
        switch self {
        case .gaussian: return "gaussian"
        case .bernoulli: return "bernoulli"
        case .convolution: return "convolution"
        case .matrices: return "matrices"
        }
    }

    /// The seed of a random operator; `nil` for `.matrices`.
    public var seed: UInt64? {
        switch self {
        case .gaussian(let s), .bernoulli(let s), .convolution(let s): return s
        case .matrices: return nil
        }
    }

    /// Rebuilds a description from its stored kind and seed (the seed is required for the random
    /// kinds and ignored for "matrices").
    public init(kind: String, seed: UInt64?) throws {
        switch kind {
        case "matrices": self = .matrices; return
        case "gaussian", "bernoulli", "convolution": break
        default:
            throw CalibrationInputError.invalidSensing("unknown sensing kind '\(kind)' (expected one of \(Self.kinds.joined(separator: ", ")))")
        }
        guard let seed else { throw CalibrationInputError.invalidSensing("sensing kind '\(kind)' needs a seed") }
        switch kind {
        case "gaussian": self = .gaussian(seed: seed)
        case "bernoulli": self = .bernoulli(seed: seed)
        default: self = .convolution(seed: seed)
        }
    }

    /// "gaussian(seed 7)", "matrices".
    public var description: String { seed.map { "\(kind)(seed \($0))" } ?? kind }

    /// Builds the operator for n unknowns, m sensors and p snapshots. `.matrices` needs `matrix`,
    /// the p·m·n entries of A_1 … A_p as one (p·m)×n row-major array (block l = rows l·m ..< (l+1)·m),
    /// finite; `.convolution` needs m ≤ n.
    public func makeOperator(unknowns n: Int, sensors m: Int, snapshots p: Int, matrix: [Double]? = nil) throws -> AnySensing {
        guard n > 0, m > 0, p > 0 else {
            throw CalibrationInputError.invalidSensing("n, m and p must be positive, got n = \(n), m = \(m), p = \(p)")
        }
        switch self {
        case .gaussian(let s): return AnySensing(DenseSensing(.gaussian, snapshots: p, sensors: m, unknowns: n, seed: s))
        case .bernoulli(let s): return AnySensing(DenseSensing(.bernoulli, snapshots: p, sensors: m, unknowns: n, seed: s))
        case .convolution(let s):
            guard m <= n else {
                throw CalibrationInputError.invalidSensing("convolution sensing observes m ≤ n sensors, got m = \(m) > n = \(n)")
            }
            return AnySensing(ConvolutionSensing(snapshots: p, sensors: m, unknowns: n, seed: s))
        case .matrices:
            guard let matrix else { throw CalibrationInputError.invalidSensing("sensing kind 'matrices' needs the matrices A_l") }
            return AnySensing(try DenseSensing(checked: matrix, snapshots: p, sensors: m, unknowns: n))
        }
    }
}

extension DenseSensing {
    /// User-given matrices A_1 … A_p as p grids of shape (m, n) (the CLI reads them from HDF5).
    public init(matrices: [Grid]) throws {
        guard let first = matrices.first else { throw CalibrationInputError.invalidSensing("no sensing matrices given") }
        guard first.shape.rank == 2 else {
            throw CalibrationInputError.invalidSensing("sensing matrix 0 has shape \(first.shape), expected m×n")
        }
        let m = first.shape[0], n = first.shape[1]
        var all = [Double]()
        all.reserveCapacity(matrices.count * m * n)
        for (l, a) in matrices.enumerated() {
            guard a.shape == first.shape else {
                throw CalibrationInputError.invalidSensing("sensing matrix \(l) has shape \(a.shape), expected \(first.shape) like matrix 0")
            }
            all += a.storage
        }
        try self.init(checked: all, snapshots: matrices.count, sensors: m, unknowns: n)
    }

    /// User-given (p·m)×n row-major entries, validated (count, finiteness, no all-zero block).
    public init(checked matrix: [Double], snapshots p: Int, sensors m: Int, unknowns n: Int) throws {
        guard p > 0, m > 0, n > 0 else {
            throw CalibrationInputError.invalidSensing("n, m and p must be positive, got n = \(n), m = \(m), p = \(p)")
        }
        guard matrix.count == p * m * n else {
            throw CalibrationInputError.invalidSensing("sensing matrices: expected p·m·n = \(p)·\(m)·\(n) = \(p * m * n) values, got \(matrix.count)")
        }
        if let bad = matrix.firstIndex(where: { !$0.isFinite }) {
            throw CalibrationInputError.invalidSensing("sensing matrices contain \(matrix[bad]) at flat index \(bad)")
        }
        guard p * m <= Int(Int32.max), n <= Int(Int32.max) else {
            throw CalibrationInputError.invalidSensing("sensing matrices too large for 32-bit BLAS indexing")
        }
        for l in 0..<p where !matrix[(l * m * n)..<((l + 1) * m * n)].contains(where: { $0 != 0 }) {
            throw CalibrationInputError.invalidSensing("sensing matrix \(l) is all zero")
        }
        self.init(snapshots: p, sensors: m, unknowns: n, matrix: matrix)
    }
}

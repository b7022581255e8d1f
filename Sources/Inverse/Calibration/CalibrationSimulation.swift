#if canImport(Glibc)
import Glibc
#endif

/// Seeded calibration problems: the spec's common set-up (§7) and the problems that
/// `wb simulate calibration` writes.
public enum CalibrationSimulation {
    /// d = 1 + u with u uniform in [−1, 1]ᵐ, centred (1ᵀu = 0) and scaled to ‖u‖_∞ = ρ, so
    /// 1ᵀd = m and d ∈ [1 − ρ, 1 + ρ].
    public static func gains(sensors m: Int, range rho: Double, rng: inout RandomSource) -> [Double] {
        var u = (0..<m).map { _ in 2 * rng.uniform() - 1 }
        BlindCalibration<DenseSensing>.removeMean(&u)
        let peak = u.reduce(0) { Swift.max($0, abs($1)) }
        return u.map { 1 + (peak > 0 ? rho / peak : 0) * $0 }
    }

    /// d = 1 + B b with b ~ N(0, I_h) drawn from `rng`, scaled so that ‖B b‖_∞ = ρ (spec §7 E2).
    /// B has no DC column (``SubspaceBasis/dct(rows:atoms:)``), so 1ᵀd = m.
    public static func subspaceGains(basis b: SubspaceBasis, range rho: Double, rng: inout RandomSource) -> [Double] {
        let v = b.synthesis(of: (0..<b.columns).map { _ in rng.gaussian() })
        let peak = v.reduce(0) { Swift.max($0, abs($1)) }
        return v.map { 1 + (peak > 0 ? rho / peak : 0) * $0 }
    }

    /// x = Z z with z ~ N(0, I_k) drawn from `rng`.
    public static func subspaceSignal(basis z: SubspaceBasis, rng: inout RandomSource) -> [Double] {
        z.synthesis(of: (0..<z.columns).map { _ in rng.gaussian() })
    }

    /// `d` divided by its mean, so 1ᵀd = m (the normalisation the solver's estimate lives in).
    public static func normalizedGains(_ d: [Double]) -> [Double] {
        let mean = d.reduce(0, +) / Double(d.count)
        return d.map { $0 / mean }
    }

    /// σ of white Gaussian noise at `snr` dB for clean measurements y (p·m values), with the spec's
    /// definition SNR = 20 log10(‖y_clean‖ / (σ √(mp))), i.e. σ = ‖y_clean‖ / (√(mp) · 10^{SNR/20}).
    public static func noiseSigma(clean y: [Double], snr: Double) -> Double {
        let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm / (Double(y.count).squareRoot() * pow(10, snr / 20))
    }

    /// y_l = diag(d) A_l x + ν_l with ν i.i.d. N(0, σ²), σ = ``noiseSigma(clean:snr:)``
    /// (`snr` = nil: no noise). Returns the p·m measurements.
    public static func measurements<A: SensingOperator>(_ sensing: A, signal x: [Double], gains d: [Double],
                                                        snr: Double? = nil, rng: inout RandomSource) -> [Double] {
        let p = sensing.snapshots, m = sensing.sensors
        var y = sensing(Grid(shape: sensing.domain, storage: x)).storage
        for l in 0..<p { for i in 0..<m { y[l * m + i] *= d[i] } }
        if let snr {
            let sigma = noiseSigma(clean: y, snr: snr)
            for k in y.indices { y[k] += sigma * rng.gaussian() }
        }
        return y
    }

    /// Where the signal comes from.
    public enum SignalSource: Sendable, Equatable {
        /// x ~ N(0, I_n).
        case random
        /// A given signal of n finite values (e.g. a flattened image).
        case given([Double])
        /// x = Z z with z ~ N(0, I_k) (``subspaceSignal(basis:rng:)``; Algorithm 2 problems).
        case subspace(SubspaceBasis)
    }

    /// Where the gains come from.
    public enum GainSource: Sendable, Equatable {
        /// ``gains(sensors:range:rng:)`` with range ρ ∈ [0, 1).
        case random(range: Double)
        /// Given positive gains of m finite values (stored as the truth as given; the solver's
        /// estimate is compared after the normalisation 1ᵀd = m, see ``CalibrationErrors``).
        case given([Double])
        /// Given positive gains rescaled to mean 1 (``normalizedGains(_:)``), stored as the truth so.
        case givenNormalized([Double])
        /// d = 1 + B b with ‖B b‖_∞ = ρ (``subspaceGains(basis:range:rng:)``; Algorithm 2 problems).
        case subspace(SubspaceBasis, range: Double)
    }

    /// Everything `wb simulate calibration` needs.
    public struct Configuration: Sendable {
        public var unknowns: Int
        public var sensors: Int
        public var snapshots: Int
        public var signal: SignalSource = .random
        public var gains: GainSource = .random(range: 0.5)
        /// "gaussian", "bernoulli", "convolution" or "matrices" (``SensingDescription/kinds``).
        public var sensing: String = "gaussian"
        /// For "matrices": the (p·m)×n row-major entries of A_1 … A_p.
        public var matrix: [Double]? = nil
        /// Noise level in dB (``noiseSigma(clean:snr:)``); nil = noiseless.
        public var snr: Double? = nil
        /// The one seed; signal, gains, operator and noise use the derived seeds "signal", "gains",
        /// "sensing" and "noise" (``RandomSource/derivedSeed(_:_:)``).
        public var seed: UInt64 = 1
        public init(unknowns: Int, sensors: Int, snapshots: Int) {
            self.unknowns = unknowns; self.sensors = sensors; self.snapshots = snapshots
        }
    }

    /// Makes a problem: validates the configuration, draws signal and gains (unless given), builds
    /// the operator, and measures with noise at the requested SNR.
    public static func simulate(_ c: Configuration) throws -> CalibrationProblem {
        let n = c.unknowns, m = c.sensors, p = c.snapshots
        guard n > 0, m > 0, p > 0 else {
            throw CalibrationInputError.invalidOption("n, m and p must be positive, got n = \(n), m = \(m), p = \(p)")
        }
        let kindSeed: UInt64? = c.sensing == "matrices" ? nil : RandomSource.derivedSeed(c.seed, "sensing")
        let description = try SensingDescription(kind: c.sensing, seed: kindSeed)
        let sensing = try description.makeOperator(unknowns: n, sensors: m, snapshots: p, matrix: c.matrix)
        let x: [Double]
        switch c.signal {
        case .random:
            var rng = RandomSource(seed: RandomSource.derivedSeed(c.seed, "signal"))
            x = (0..<n).map { _ in rng.gaussian() }
        case .given(let v):
            guard v.count == n else { throw CalibrationInputError.invalidOption("signal: expected n = \(n) values, got \(v.count)") }
            guard v.allSatisfy(\.isFinite) else { throw CalibrationInputError.invalidOption("signal contains NaN or infinity") }
            guard v.contains(where: { $0 != 0 }) else { throw CalibrationInputError.invalidOption("signal is all zero") }
            x = v
        case .subspace(let z):
            guard z.rows == n else { throw CalibrationInputError.invalidOption("signal basis has \(z.rows) rows, expected n = \(n)") }
            var rng = RandomSource(seed: RandomSource.derivedSeed(c.seed, "signal"))
            x = subspaceSignal(basis: z, rng: &rng)
        }
        let d: [Double]
        switch c.gains {
        case .random(let rho):
            guard rho >= 0, rho < 1 else { throw CalibrationInputError.invalidOption("gain range ρ must be in [0, 1), got \(rho)") }
            var rng = RandomSource(seed: RandomSource.derivedSeed(c.seed, "gains"))
            d = gains(sensors: m, range: rho, rng: &rng)
        case .given(let v), .givenNormalized(let v):
            guard v.count == m else { throw CalibrationInputError.invalidOption("gains: expected m = \(m) values, got \(v.count)") }
            if let bad = v.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
                throw CalibrationInputError.invalidOption("gains must be finite and positive, got \(v[bad]) at index \(bad)")
            }
            if case .givenNormalized = c.gains { d = normalizedGains(v) } else { d = v }
        case .subspace(let b, let rho):
            guard b.rows == m else { throw CalibrationInputError.invalidOption("gain basis has \(b.rows) rows, expected m = \(m)") }
            guard rho >= 0, rho < 1 else { throw CalibrationInputError.invalidOption("gain range ρ must be in [0, 1), got \(rho)") }
            var rng = RandomSource(seed: RandomSource.derivedSeed(c.seed, "gains"))
            d = subspaceGains(basis: b, range: rho, rng: &rng)
        }
        if let snr = c.snr, !snr.isFinite {
            throw CalibrationInputError.invalidOption("SNR must be finite, got \(snr)")
        }
        var noise = RandomSource(seed: RandomSource.derivedSeed(c.seed, "noise"))
        let clean = measurements(sensing, signal: x, gains: d, rng: &noise)
        var y = clean
        var sigma = 0.0
        if let snr = c.snr {
            sigma = noiseSigma(clean: clean, snr: snr)
            for k in y.indices { y[k] += sigma * noise.gaussian() }
        }
        return CalibrationProblem(unknowns: n, sensors: m, snapshots: p, sensing: description,
                                  measurements: y, trueSignal: x, trueGains: d, noiseSigma: sigma, snr: c.snr)
    }
}

/// A simulated calibration problem with its ground truth.
public struct CalibrationProblem: Sendable, Equatable {
    public var unknowns: Int
    public var sensors: Int
    public var snapshots: Int
    /// How to rebuild the operator (user matrices are not repeated here).
    public var sensing: SensingDescription
    /// y, p·m values, snapshot l at l·m ..< (l+1)·m.
    public var measurements: [Double]
    public var trueSignal: [Double]
    public var trueGains: [Double]
    /// σ of the added noise (0 when noiseless).
    public var noiseSigma: Double
    /// The requested SNR in dB (nil when noiseless).
    public var snr: Double?

    public init(unknowns: Int, sensors: Int, snapshots: Int, sensing: SensingDescription, measurements: [Double],
                trueSignal: [Double], trueGains: [Double], noiseSigma: Double, snr: Double?) {
        self.unknowns = unknowns; self.sensors = sensors; self.snapshots = snapshots
        self.sensing = sensing; self.measurements = measurements
        self.trueSignal = trueSignal; self.trueGains = trueGains
        self.noiseSigma = noiseSigma; self.snr = snr
    }

    /// The operator (pass the matrices for `.matrices`).
    public func makeOperator(matrix: [Double]? = nil) throws -> AnySensing {
        try sensing.makeOperator(unknowns: unknowns, sensors: sensors, snapshots: snapshots, matrix: matrix)
    }
}

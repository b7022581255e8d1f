import Imaging
import RealModule

/// Seeded parameter initialisation as in the reference implementations.
///
/// - ``fanInUniform(shape:fanIn:rng:)``: PyTorch's default for `nn.Linear` and `nn.Conv*d`
///   (`kaiming_uniform_(a = √5)` for the weight, which works out to U(−1/√fan_in, 1/√fan_in), and
///   the same bound for the bias).
/// - ``logNormal(shape:mean:standardDeviation:rng:)``: exp(N(μ, σ²)) elementwise, with LPN's
///   μ = −10, σ = 0.1 for the non-negative (constrained) weights of an input-convex network.
///
/// ``initialize(_:seed:)`` applies these to every parameter of a layer tree, each from its own
/// sub-seed `RandomSource.derivedSeed(seed, "<index>:<name>")`, so the draw of one tensor does
/// not depend on how many numbers the others used.
public enum Initialization {
    /// LPN's mean and standard deviation of log w for constrained weights.
    public static let constrainedLogMean = -10.0
    public static let constrainedLogStandardDeviation = 0.1

    /// U(−1/√fanIn, 1/√fanIn) elementwise (PyTorch's default weight and bias init).
    public static func fanInUniform<Scalar: NNScalar>(shape: [Int], fanIn: Int, rng: inout RandomSource) -> Tensor<Scalar> {
        precondition(fanIn > 0, "Initialization.fanInUniform: fan-in must be positive, got \(fanIn)")
        let bound = 1 / Double(fanIn).squareRoot()
        return Tensor.uniform(shape: shape, lower: -bound, upper: bound, rng: &rng)
    }

    /// exp(N(mean, standardDeviation²)) elementwise (strictly positive).
    public static func logNormal<Scalar: NNScalar>(shape: [Int], mean: Double = constrainedLogMean,
                                                   standardDeviation: Double = constrainedLogStandardDeviation,
                                                   rng: inout RandomSource) -> Tensor<Scalar> {
        var t = Tensor<Scalar>(shape: shape)
        for i in 0..<t.count { t.storage[i] = Scalar(Double.exp(mean + standardDeviation * rng.gaussian())) }
        return t
    }

    /// The fan-in PyTorch uses for a weight of `shape` laid out `[out, in, k…]`: `in · Π k`
    /// (for a rank-1 tensor, its length).
    public static func fanIn(ofWeightShape shape: [Int]) -> Int {
        shape.count >= 2 ? shape.dropFirst().reduce(1, *) : shape[0]
    }

    /// Re-draws every trainable parameter of `layer` from `seed`:
    /// - `.nonNegative` parameters: exp(N(−10, 0.1²)) (LPN);
    /// - parameters of rank ≥ 2 (weights, PyTorch layout `[out, in, k…]`): U(±1/√fan_in);
    /// - rank-1 parameters (biases): U(±1/√fan_in) with the fan-in of the closest preceding
    ///   weight of the parameter list (PyTorch's bias rule); its own length when none precedes.
    /// Fixed (non-trainable) tensors, e.g. fixed Fourier frequencies, are left as they are.
    public static func initialize<L: Layer>(_ layer: L, seed: UInt64) {
        var lastFanIn: Int?
        for (index, p) in layer.parameters.enumerated() {
            let shape = p.value.shape
            if shape.count >= 2 { lastFanIn = fanIn(ofWeightShape: shape) }
            guard p.isTrainable, p.value.count > 0 else { continue }
            var rng = RandomSource(seed: RandomSource.derivedSeed(seed, "\(index):\(p.name)"))
            if p.constraint == .nonNegative {
                p.value = logNormal(shape: shape, rng: &rng)
            } else {
                let f = shape.count >= 2 ? fanIn(ofWeightShape: shape) : (lastFanIn ?? shape[0])
                p.value = fanInUniform(shape: shape, fanIn: f, rng: &rng)
            }
        }
    }
}

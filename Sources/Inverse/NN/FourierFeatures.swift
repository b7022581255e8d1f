/// Fourier-feature encoding of points, in the convention of OReX (shape-reconstruction.md §2.1):
/// for x ∈ ℝ^d and frequency vectors ω_c, ω_s ∈ ℝ^K (shared by all coordinates),
///
///     y = [ x  (if includesInput) | cos(x_j · ω_c[k]) | sin(x_j · ω_s[k]) ],
///
/// each trigonometric block coordinate-major (index `j·K + k`), so the output has
/// `(includesInput ? d : 0) + 2·d·K` features (OReX: d = 3, K = 5 → 33). There is no 2π factor:
/// the frequencies are angular (OReX initialises both vectors to 2⁰ … 2^(K−1)). With
/// `learned: false` the frequencies are saved with the model but not trained (`isTrainable = false`;
/// OReX's fixed iteration code is d = 1, K = 16, no input; its NeRF-style interleaved
/// order sin f₀, cos f₀, … is a fixed permutation of this layout). Gradients with respect to the
/// frequencies are accumulated in both reverse passes either way.
///
/// Layouts: input `[B, d]`, output `[B, F]`; parameters "cos_frequencies" `[K]`, "sin_frequencies" `[K]`.
public final class FourierFeatures<Scalar: NNScalar>: Layer {
    public let inputDimension: Int
    public let includesInput: Bool
    public let learned: Bool
    public let cosFrequencies: Parameter<Scalar>
    public let sinFrequencies: Parameter<Scalar>

    private var x = Tensor<Scalar>(shape: [0])
    private var xdot = Tensor<Scalar>(shape: [0])
    /// cos(x ω_c), sin(x ω_c), cos(x ω_s), sin(x ω_s) at the cached point, `[B·d·K]` each.
    private var cc: [Scalar] = [], sc: [Scalar] = [], cs: [Scalar] = [], ss: [Scalar] = []

    /// - Parameters:
    ///   - frequencies: initial ω_c = ω_s (default 2⁰ … 2⁴, OReX).
    /// - Throws: ``NNError`` for d < 1 or no frequencies.
    public init(inputDimension: Int, frequencies: [Double] = [1, 2, 4, 8, 16], includesInput: Bool = true,
                learned: Bool = true) throws {
        guard inputDimension >= 1 else { throw NNError("FourierFeatures: input dimension must be ≥ 1, got \(inputDimension)") }
        guard !frequencies.isEmpty, frequencies.allSatisfy({ $0.isFinite }) else {
            throw NNError("FourierFeatures: need at least one finite frequency, got \(frequencies)")
        }
        self.inputDimension = inputDimension
        self.includesInput = includesInput
        self.learned = learned
        let w = Tensor<Scalar>(shape: [frequencies.count], storage: frequencies.map { Scalar($0) })
        cosFrequencies = Parameter(name: "cos_frequencies", value: w, isTrainable: learned)
        sinFrequencies = Parameter(name: "sin_frequencies", value: w, isTrainable: learned)
    }

    /// Number of frequencies K.
    public var frequencyCount: Int { cosFrequencies.value.count }
    /// Output features per sample.
    public var outputDimension: Int { (includesInput ? inputDimension : 0) + 2 * inputDimension * frequencyCount }

    public var parameters: [Parameter<Scalar>] { [cosFrequencies, sinFrequencies] }

    public var descriptor: LayerDescriptor {
        LayerDescriptor(kind: "fourier_features", attributes: [
            "input_dim": .int(inputDimension), "frequencies": .int(frequencyCount),
            "include_input": .bool(includesInput), "learned": .bool(learned)])
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape[1] == inputDimension else {
            throw NNError("FourierFeatures: input shape \(inputShape) is not [B, \(inputDimension)]")
        }
        return [inputShape[0], outputDimension]
    }

    private var inputOffset: Int { includesInput ? inputDimension : 0 }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        do { _ = try outputShape(for: input.shape) } catch { preconditionFailure("\(error)") }
        x = input
        let B = input.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        let n = B * d * K
        // Locals and raw pointers in the loops: stored properties of a class accessed per element
        // cost a dynamic exclusivity check each (measured: ~15 % of a training step).
        var cosC = [Scalar](repeating: 0, count: n), sinC = cosC, cosS = cosC, sinS = cosC
        var y = Tensor<Scalar>(shape: [B, F])
        let wc = cosFrequencies.value.storage, ws = sinFrequencies.value.storage
        let inc = includesInput
        input.storage.withUnsafeBufferPointer { xp in
        y.storage.withUnsafeMutableBufferPointer { yp in
        cosC.withUnsafeMutableBufferPointer { ccp in
        sinC.withUnsafeMutableBufferPointer { scp in
        cosS.withUnsafeMutableBufferPointer { csp in
        sinS.withUnsafeMutableBufferPointer { ssp in
            for b in 0..<B {
                for j in 0..<d {
                    let xj = xp[b * d + j]
                    if inc { yp[b * F + j] = xj }
                    let row = b * F + off
                    for k in 0..<K {
                        let i = (b * d + j) * K + k
                        let ac = xj * wc[k], asn = xj * ws[k]
                        let c = Scalar.cos(ac), sn = Scalar.sin(asn)
                        ccp[i] = c; scp[i] = Scalar.sin(ac)
                        csp[i] = Scalar.cos(asn); ssp[i] = sn
                        yp[row + j * K + k] = c
                        yp[row + d * K + j * K + k] = sn
                    }
                }
            }
        }}}}}}
        cc = cosC; sc = sinC; cs = cosS; ss = sinS
        return y
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func backward(_ ybar: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(ybar.shape == [x.batchSize, outputDimension], "FourierFeatures.backward: gradient \(ybar.shape) does not match output")
        let B = x.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        var xbar = Tensor<Scalar>(shape: x.shape)
        let wc = cosFrequencies.value.storage, ws = sinFrequencies.value.storage
        var gc = [Scalar](repeating: 0, count: K), gs = gc
        let inc = includesInput
        let (sinC, cosS) = (sc, cs)
        x.storage.withUnsafeBufferPointer { xp in
        ybar.storage.withUnsafeBufferPointer { yb in
        xbar.storage.withUnsafeMutableBufferPointer { xbp in
        sinC.withUnsafeBufferPointer { scp in
        cosS.withUnsafeBufferPointer { csp in
        gc.withUnsafeMutableBufferPointer { gcp in
        gs.withUnsafeMutableBufferPointer { gsp in
            for b in 0..<B {
                for j in 0..<d {
                    let xj = xp[b * d + j]
                    var g: Scalar = inc ? yb[b * F + j] : 0
                    let row = b * F + off
                    for k in 0..<K {
                        let i = (b * d + j) * K + k
                        let yc = yb[row + j * K + k], ys = yb[row + d * K + j * K + k]
                        g += -yc * wc[k] * scp[i] + ys * ws[k] * csp[i]
                        gcp[k] += -yc * xj * scp[i]
                        gsp[k] += ys * xj * csp[i]
                    }
                    xbp[b * d + j] = g
                }
            }
        }}}}}}}
        cosFrequencies.gradient.add(Tensor(shape: cosFrequencies.gradient.shape, storage: gc))
        sinFrequencies.gradient.add(Tensor(shape: sinFrequencies.gradient.shape, storage: gs))
        return xbar
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(inputTangent.shape == x.shape, "FourierFeatures.tangent: direction \(inputTangent.shape) does not match input \(x.shape)")
        xdot = inputTangent
        let B = x.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        var ydot = Tensor<Scalar>(shape: [B, F])
        let wc = cosFrequencies.value.storage, ws = sinFrequencies.value.storage
        for b in 0..<B {
            for j in 0..<d {
                let v = inputTangent[b * d + j]
                if includesInput { ydot[b * F + j] = v }
                for k in 0..<K {
                    let i = (b * d + j) * K + k
                    ydot[b * F + off + j * K + k] = -wc[k] * sc[i] * v
                    ydot[b * F + off + d * K + j * K + k] = ws[k] * cs[i] * v
                }
            }
        }
        return ydot
    }

    /// With a = x·ω: cos block ẏ = −ω sin(a) ẋ, sin block ẏ = ω cos(a) ẋ, so
    /// x̄ = ȳ·∂y/∂x + ẏ̄·∂ẏ/∂x, ẋ̄ = ẏ̄·∂ẏ/∂ẋ, ω̄ += ȳ·∂y/∂ω + ẏ̄·∂ẏ/∂ω (see docs/nn-kit.md).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func tangentBackward(_ ybar: Tensor<Scalar>, _ ydotbar: Tensor<Scalar>) -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        precondition(ybar.shape == [x.batchSize, outputDimension] && ydotbar.shape == ybar.shape,
                     "FourierFeatures.tangentBackward: gradients \(ybar.shape), \(ydotbar.shape) do not match output")
        precondition(xdot.shape == x.shape, "FourierFeatures.tangentBackward called before tangent")
        let B = x.batchSize, d = inputDimension, K = frequencyCount, F = outputDimension, off = inputOffset
        var xbar = Tensor<Scalar>(shape: x.shape), xdotbar = Tensor<Scalar>(shape: x.shape)
        let wc = cosFrequencies.value.storage, ws = sinFrequencies.value.storage
        for b in 0..<B {
            for j in 0..<d {
                let xj = x[b * d + j], v = xdot[b * d + j]
                var gx: Scalar = includesInput ? ybar[b * F + j] : 0
                var gv: Scalar = includesInput ? ydotbar[b * F + j] : 0
                for k in 0..<K {
                    let i = (b * d + j) * K + k
                    let ic = b * F + off + j * K + k, isn = b * F + off + d * K + j * K + k
                    let yc = ybar[ic], ydc = ydotbar[ic], ys = ybar[isn], yds = ydotbar[isn]
                    let w = wc[k], u = ws[k]
                    // cos block: y = cos(xw), ẏ = −w sin(xw) v
                    gx += -yc * w * sc[i] - ydc * w * w * cc[i] * v
                    gv += -ydc * w * sc[i]
                    cosFrequencies.gradient[k] += -yc * xj * sc[i] + ydc * v * (-sc[i] - w * xj * cc[i])
                    // sin block: y = sin(xu), ẏ = u cos(xu) v
                    gx += ys * u * cs[i] - yds * u * u * ss[i] * v
                    gv += yds * u * cs[i]
                    sinFrequencies.gradient[k] += ys * xj * cs[i] + yds * v * (cs[i] - u * xj * ss[i])
                }
                xbar[b * d + j] = gx
                xdotbar[b * d + j] = gv
            }
        }
        return (xbar, xdotbar)
    }
}

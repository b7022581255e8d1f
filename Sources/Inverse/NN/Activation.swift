import Imaging

/// An elementwise activation layer y = s(x) for any ``ActivationFunction`` (any input shape).
///
/// Passes (a = cached input, ȧ = cached tangent):
/// - forward: y = s(a);  backward: ā = ȳ ⊙ s'(a);  tangent: ẏ = s'(a) ⊙ ȧ;
/// - tangentBackward: ā = ȳ ⊙ s'(a) + ẏ̄ ⊙ s''(a) ⊙ ȧ,  ẋ̄ = ẏ̄ ⊙ s'(a)  (LPN §1.4).
/// s'(a) is computed once per forward point (by the first pass that needs it) and reused.
public final class Activation<Function: ActivationFunction>: Layer {
    public typealias Scalar = Function.Scalar
    public let function: Function

    private var input = Tensor<Scalar>(shape: [0])
    private var inputTangent = Tensor<Scalar>(shape: [0])
    /// s'(input), valid when `slopeIsCurrent`.
    private var slope: [Scalar] = []
    private var slopeIsCurrent = false

    public init(_ function: Function) { self.function = function }

    public var parameters: [Parameter<Scalar>] { [] }
    public var descriptor: LayerDescriptor { function.descriptor }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    @_specialize(where Function == Softplus<Float>)
    @_specialize(where Function == Softplus<Double>)
    @_specialize(where Function == Sigmoid<Float>)
    @_specialize(where Function == Sigmoid<Double>)
    @_specialize(where Function == Tanh<Float>)
    @_specialize(where Function == Tanh<Double>)
    @_specialize(where Function == Sine<Float>)
    @_specialize(where Function == Sine<Double>)
    @_specialize(where Function == LeakyReLU<Float>)
    @_specialize(where Function == LeakyReLU<Double>)
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        input = x
        slopeIsCurrent = false
        var y = Tensor<Scalar>(uninitializedShape: x.shape)   // the loop writes every element
        let n = x.count
        guard n > 0 else { return y }
        let f = function
        x.withBase { xp in
            y.withMutableBase { yp in
                let xs = NNSendablePointer(xp), ys = NNSendablePointer(yp)
                elementwiseLoop(count: n, workPerElement: Function.cost) { r in
                    for i in r { ys.base[i] = f.value(xs.base[i]) }
                }
            }
        }
        return y
    }

    /// Fills `slope` with s'(input) unless it already holds it.
    private func updateSlope() {
        if slopeIsCurrent { return }
        let n = input.count
        if slope.count != n { slope = [Scalar](repeating: 0, count: n) }
        slopeIsCurrent = true
        guard n > 0 else { return }
        let f = function
        input.withBase { xp in
            slope.withUnsafeMutableBufferPointer { sp in
                let xs = NNSendablePointer(xp), ss = NNSendablePointer(sp.baseAddress!)
                elementwiseLoop(count: n, workPerElement: Function.cost) { r in
                    for i in r { ss.base[i] = f.derivative(xs.base[i]) }
                }
            }
        }
    }

    /// out = slope ⊙ v.
    private func scaledBySlope(_ v: Tensor<Scalar>, _ what: String) -> Tensor<Scalar> {
        precondition(v.count == input.count, "\(descriptor.kind): \(what) has \(v.count) elements, the cached input \(input.count)")
        var out = Tensor<Scalar>(uninitializedShape: input.shape)   // the loop writes every element
        let n = v.count
        guard n > 0 else { return out }
        if Function.cost <= 2 {
            // A cheap s' (LeakyReLU/ReLU): recomputing it in the same pass beats reading a cached
            // slope array (one pass over memory instead of two).
            let f = function
            input.withBase { xp in
                v.withBase { vp in
                    out.withMutableBase { op in
                        let xs = NNSendablePointer(xp), vs = NNSendablePointer(vp), os = NNSendablePointer(op)
                        elementwiseLoop(count: n, workPerElement: 2) { r in
                            for i in r { os.base[i] = vs.base[i] * f.derivative(xs.base[i]) }
                        }
                    }
                }
            }
            return out
        }
        updateSlope()
        v.withBase { vp in
            out.withMutableBase { op in
                slope.withUnsafeBufferPointer { sp in
                    let ss = NNSendablePointer(sp.baseAddress!), vs = NNSendablePointer(vp), os = NNSendablePointer(op)
                    elementwiseLoop(count: n, workPerElement: 1) { r in
                        for i in r { os.base[i] = ss.base[i] * vs.base[i] }
                    }
                }
            }
        }
        return out
    }

    @_specialize(where Function == Softplus<Float>)
    @_specialize(where Function == Softplus<Double>)
    @_specialize(where Function == Sigmoid<Float>)
    @_specialize(where Function == Sigmoid<Double>)
    @_specialize(where Function == Tanh<Float>)
    @_specialize(where Function == Tanh<Double>)
    @_specialize(where Function == Sine<Float>)
    @_specialize(where Function == Sine<Double>)
    @_specialize(where Function == LeakyReLU<Float>)
    @_specialize(where Function == LeakyReLU<Double>)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        scaledBySlope(outputGradient, "output gradient")
    }

    @_specialize(where Function == Softplus<Float>)
    @_specialize(where Function == Softplus<Double>)
    @_specialize(where Function == Sigmoid<Float>)
    @_specialize(where Function == Sigmoid<Double>)
    @_specialize(where Function == Tanh<Float>)
    @_specialize(where Function == Tanh<Double>)
    @_specialize(where Function == Sine<Float>)
    @_specialize(where Function == Sine<Double>)
    @_specialize(where Function == LeakyReLU<Float>)
    @_specialize(where Function == LeakyReLU<Double>)
    public func tangent(_ inputTangent: Tensor<Scalar>) -> Tensor<Scalar> {
        self.inputTangent = inputTangent
        return scaledBySlope(inputTangent, "input tangent")
    }

    @_specialize(where Function == Softplus<Float>)
    @_specialize(where Function == Softplus<Double>)
    @_specialize(where Function == Sigmoid<Float>)
    @_specialize(where Function == Sigmoid<Double>)
    @_specialize(where Function == Tanh<Float>)
    @_specialize(where Function == Tanh<Double>)
    @_specialize(where Function == Sine<Float>)
    @_specialize(where Function == Sine<Double>)
    @_specialize(where Function == LeakyReLU<Float>)
    @_specialize(where Function == LeakyReLU<Double>)
    public func tangentBackward(_ outputGradient: Tensor<Scalar>, _ tangentGradient: Tensor<Scalar>)
        -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) {
        let n = input.count
        precondition(outputGradient.count == n && tangentGradient.count == n && inputTangent.count == n,
                     "\(descriptor.kind).tangentBackward: gradients (\(outputGradient.count), \(tangentGradient.count)) and tangent (\(inputTangent.count)) must match the cached input (\(n))")
        var xbar = Tensor<Scalar>(uninitializedShape: input.shape)      // the loop writes every element
        var xdotbar = Tensor<Scalar>(uninitializedShape: input.shape)
        guard n > 0 else { return (xbar, xdotbar) }
        let f = function
        input.withBase { ap in
            inputTangent.withBase { adp in
                outputGradient.withBase { ybp in
                    tangentGradient.withBase { ydbp in
                        xbar.withMutableBase { xbp in
                            xdotbar.withMutableBase { xdbp in
                                let a = NNSendablePointer(ap), ad = NNSendablePointer(adp)
                                let yb = NNSendablePointer(ybp), ydb = NNSendablePointer(ydbp)
                                let xb = NNSendablePointer(xbp), xdb = NNSendablePointer(xdbp)
                                elementwiseLoop(count: n, workPerElement: Function.cost) { r in
                                    for i in r {
                                        let (s1, s2) = f.derivatives(a.base[i])
                                        xb.base[i] = yb.base[i] * s1 + ydb.base[i] * s2 * ad.base[i]
                                        xdb.base[i] = ydb.base[i] * s1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (xbar, xdotbar)
    }
}

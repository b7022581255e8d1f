import Imaging
@testable import Inverse

/// Tensor-relative errors of the four derivative modes of a layer against central finite
/// differences in Double (learned-proximal-networks.md §9): ‖g_fd − g_an‖ / max(‖g_fd‖, floor).
struct LayerCheckReport: CustomStringConvertible {
    /// x̄ of ``Layer/backward(_:)`` vs ∂⟨ȳ, F(x)⟩/∂x.
    var inputGradient = 0.0
    /// θ̄ of ``Layer/backward(_:)`` vs ∂⟨ȳ, F(x; θ)⟩/∂θ, worst tensor.
    var parameterGradient = 0.0
    /// ẏ of ``Layer/tangent(_:)`` vs (F(x + hẋ) − F(x − hẋ)) / 2h.
    var tangent = 0.0
    /// x̄ of ``Layer/tangentBackward(_:_:)`` vs ∂S/∂x with S = ⟨ȳ, F(x)⟩ + ⟨ẏ̄, J_x(x) ẋ⟩.
    var secondOrderInput = 0.0
    /// ẋ̄ of ``Layer/tangentBackward(_:_:)`` vs ∂S/∂ẋ.
    var secondOrderTangent = 0.0
    /// θ̄ of ``Layer/tangentBackward(_:_:)`` vs ∂S/∂θ, worst tensor.
    var secondOrderParameter = 0.0
    /// Name of the worst parameter tensor (for messages).
    var worstParameter = ""

    var worst: Double {
        [inputGradient, parameterGradient, tangent, secondOrderInput, secondOrderTangent, secondOrderParameter].max()!
    }
    var description: String {
        "VJP x \(inputGradient), VJP θ \(parameterGradient), JVP \(tangent), 2nd-order x \(secondOrderInput), ẋ \(secondOrderTangent), θ \(secondOrderParameter) (worst tensor \(worstParameter))"
    }
}

/// ‖a − b‖ / max(‖b‖, floor), for the tensor-relative comparisons of the layer checks.
func tensorRelativeError(_ analytic: Tensor<Double>, _ numeric: Tensor<Double>, floor: Double = 1e-12) -> Double {
    precondition(analytic.count == numeric.count, "tensorRelativeError: counts differ")
    var d = 0.0
    for i in 0..<analytic.count { let e = analytic[i] - numeric[i]; d += e * e }
    return d.squareRoot() / max(numeric.squaredNorm.squareRoot(), floor)
}

/// Checks all four passes of `layer` at input `x` with random output/tangent weights and a random
/// input direction drawn from `seed`. Every element of x, ẋ and θ is perturbed (central
/// differences at step h), so keep layers small (≲ 2 000 parameters + inputs).
///
/// The second-order scalar is S(x, ẋ, θ) = ⟨ȳ, F(x; θ)⟩ + ⟨ẏ̄, J_x(x; θ) ẋ⟩, with J_x ẋ from the
/// layer's own tangent pass (itself checked against finite differences of F here).
func checkLayer(_ layer: some Layer<Double>, input x: Tensor<Double>, seed: UInt64, h: Double = 1e-5) -> LayerCheckReport {
    var rng = RandomSource(seed: seed)
    var report = LayerCheckReport()
    let y0 = layer.forward(x)
    let ybar = Tensor<Double>.gaussian(shape: y0.shape, rng: &rng)
    let ydotbar = Tensor<Double>.gaussian(shape: y0.shape, rng: &rng)
    let xdot = Tensor<Double>.gaussian(shape: x.shape, rng: &rng)
    let params = layer.parameters

    func firstOrder(_ x: Tensor<Double>) -> Double { ybar.dot(layer.forward(x)) }
    func secondOrder(_ x: Tensor<Double>, _ xd: Tensor<Double>) -> Double {
        let y = layer.forward(x)
        let yd = layer.tangent(xd)
        return ybar.dot(y) + ydotbar.dot(yd)
    }
    func numericGradient(of value: Tensor<Double>, _ f: (Tensor<Double>) -> Double) -> Tensor<Double> {
        var g = Tensor<Double>(shape: value.shape)
        var v = value
        for i in 0..<v.count {
            let v0 = v[i]
            v[i] = v0 + h; let fp = f(v)
            v[i] = v0 - h; let fm = f(v)
            v[i] = v0
            g[i] = (fp - fm) / (2 * h)
        }
        return g
    }
    func numericParameterGradient(_ p: Parameter<Double>, _ f: () -> Double) -> Tensor<Double> {
        var g = Tensor<Double>(shape: p.value.shape)
        for i in 0..<p.value.count {
            let v0 = p.value[i]
            p.value[i] = v0 + h; let fp = f()
            p.value[i] = v0 - h; let fm = f()
            p.value[i] = v0
            g[i] = (fp - fm) / (2 * h)
        }
        return g
    }

    // 1. Reverse mode.
    layer.zeroGradients()
    _ = layer.forward(x)
    let xbar = layer.backward(ybar)
    let analyticParams = params.map { $0.gradient }
    report.inputGradient = tensorRelativeError(xbar, numericGradient(of: x, firstOrder))
    for (p, g) in zip(params, analyticParams) {
        let e = tensorRelativeError(g, numericParameterGradient(p) { firstOrder(x) })
        if e > report.parameterGradient { report.parameterGradient = e; report.worstParameter = p.name }
    }

    // 2. Forward mode.
    _ = layer.forward(x)
    let ydot = layer.tangent(xdot)
    var plus = x, minus = x
    plus.add(xdot, scaledBy: h); minus.add(xdot, scaledBy: -h)
    var fd = layer.forward(plus)
    fd.add(layer.forward(minus), scaledBy: -1)
    fd.scale(by: 1 / (2 * h))
    report.tangent = tensorRelativeError(ydot, fd)

    // 3. Reverse of the tangent pass.
    layer.zeroGradients()
    _ = layer.forward(x)
    _ = layer.tangent(xdot)
    let (sx, sxd) = layer.tangentBackward(ybar, ydotbar)
    let analyticSecond = params.map { $0.gradient }
    report.secondOrderInput = tensorRelativeError(sx, numericGradient(of: x) { secondOrder($0, xdot) })
    report.secondOrderTangent = tensorRelativeError(sxd, numericGradient(of: xdot) { secondOrder(x, $0) })
    for (p, g) in zip(params, analyticSecond) {
        let e = tensorRelativeError(g, numericParameterGradient(p) { secondOrder(x, xdot) })
        if e > report.secondOrderParameter { report.secondOrderParameter = e; report.worstParameter = p.name }
    }
    layer.zeroGradients()
    return report
}

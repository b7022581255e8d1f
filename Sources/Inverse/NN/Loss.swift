import RealModule

/// A training loss ℓ(prediction, target) with its gradient with respect to the prediction.
///
/// Reductions follow PyTorch: MSE, L1 and BCE are means over **all elements**; proximal matching
/// is per sample 1 − exp(−‖e_b‖²/γ²) (e_b = prediction − target of sample b, all its elements)
/// averaged over the batch (LPN §2). Values are accumulated in Double.
public enum Loss: Sendable, Equatable {
    /// mean (p − t)².
    case meanSquaredError
    /// mean |p − t| (gradient sign(p − t)/N, 0 at a tie, as PyTorch).
    case meanAbsoluteError
    /// mean of −t log σ(p) − (1 − t) log(1 − σ(p)) for logits p and targets t ∈ [0, 1], computed
    /// as max(p, 0) − p t + log1p(e^{−|p|}) (no overflow); gradient (σ(p) − t)/N.
    case binaryCrossEntropyWithLogits
    /// mean_b 1 − exp(−‖e_b‖²/γ²); gradient (2/γ²) exp(−‖e_b‖²/γ²) e_b / B.
    case proximalMatching(gamma: Double)

    /// The loss value and ∂ℓ/∂prediction (same shape as `prediction`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluate<Scalar: NNScalar>(_ prediction: Tensor<Scalar>, target: Tensor<Scalar>)
        -> (value: Double, gradient: Tensor<Scalar>) {
        precondition(prediction.count == target.count,
                     "\(self): prediction has \(prediction.count) elements, target \(target.count)")
        var gradient = Tensor<Scalar>(shape: prediction.shape)
        let n = prediction.count
        guard n > 0 else { return (0, gradient) }
        var total = 0.0
        prediction.withBase { p in
            target.withBase { t in
                gradient.withMutableBase { g in
                    switch self {
                    case .meanSquaredError:
                        let scale = 2 / Scalar(n)
                        for i in 0..<n {
                            let e = p[i] - t[i]
                            total += Double(e * e)
                            g[i] = scale * e
                        }
                        total /= Double(n)
                    case .meanAbsoluteError:
                        let scale = 1 / Scalar(n)
                        for i in 0..<n {
                            let e = p[i] - t[i]
                            total += Double(Swift.abs(e))
                            g[i] = e > 0 ? scale : (e < 0 ? -scale : 0)
                        }
                        total /= Double(n)
                    case .binaryCrossEntropyWithLogits:
                        let scale = 1 / Scalar(n)
                        for i in 0..<n {
                            let x = p[i], y = t[i]
                            let e = Scalar.exp(-Swift.abs(x))
                            total += Double(Swift.max(x, 0) - x * y + Scalar.log(onePlus: e))
                            let sigma = x >= 0 ? 1 / (1 + e) : e / (1 + e)
                            g[i] = scale * (sigma - y)
                        }
                        total /= Double(n)
                    case .proximalMatching(let gamma):
                        precondition(gamma > 0, "proximal matching: γ must be positive (got \(gamma))")
                        let batch = prediction.batchSize, per = prediction.sampleCount
                        let invGamma2 = 1 / (gamma * gamma)
                        for b in 0..<batch {
                            var d2 = 0.0
                            for i in (b * per)..<((b + 1) * per) { let e = Double(p[i] - t[i]); d2 += e * e }
                            let w = Double.exp(-d2 * invGamma2)
                            total += 1 - w
                            let scale = Scalar(2 * invGamma2 * w / Double(batch))
                            for i in (b * per)..<((b + 1) * per) { g[i] = scale * (p[i] - t[i]) }
                        }
                        total /= Double(batch)
                    }
                }
            }
        }
        return (total, gradient)
    }
}

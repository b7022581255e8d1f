/// The learning rate as a function of the optimiser step index (0 for the first step).
public enum LearningRateSchedule: Sendable, Equatable {
    /// One stage of a ``stages(_:)`` schedule: from step `start` on, the rate is `learningRate`.
    public struct Stage: Sendable, Equatable {
        public var start: Int
        public var learningRate: Double
        public init(start: Int, learningRate: Double) {
            self.start = start
            self.learningRate = learningRate
        }
    }

    /// The same rate at every step.
    case constant(Double)
    /// PyTorch's `StepLR`: `initial · gamma^⌊step / period⌋`.
    case stepDecay(initial: Double, period: Int, gamma: Double)
    /// Piecewise constant: the rate of the last stage whose `start` ≤ step (stages sorted by
    /// `start`; the first stage must start at 0). LPN's image schedule is
    /// `[(0, 1e-3), (20 000, 1e-4)]`.
    case stages([Stage])

    /// The rate for step `step` (0-based).
    public func learningRate(atStep step: Int) -> Double {
        switch self {
        case .constant(let lr):
            return lr
        case .stepDecay(let initial, let period, let gamma):
            var lr = initial
            for _ in 0..<(step / period) { lr *= gamma }   // PyTorch's chainable form: repeated products
            return lr
        case .stages(let stages):
            var lr = stages[0].learningRate
            for s in stages where s.start <= step { lr = s.learningRate }
            return lr
        }
    }

    /// Checks the hyper-parameters; errors say what is wrong.
    public func validate() throws {
        func positive(_ x: Double) -> Bool { x > 0 && x.isFinite }
        switch self {
        case .constant(let lr):
            guard positive(lr) else { throw NNError("learning rate must be finite and > 0, got \(lr)") }
        case .stepDecay(let initial, let period, let gamma):
            guard positive(initial) else { throw NNError("step-decay schedule: initial rate must be finite and > 0, got \(initial)") }
            guard period >= 1 else { throw NNError("step-decay schedule: period must be ≥ 1, got \(period)") }
            guard positive(gamma) else { throw NNError("step-decay schedule: gamma must be finite and > 0, got \(gamma)") }
        case .stages(let stages):
            guard let first = stages.first else { throw NNError("stage schedule: no stages") }
            guard first.start == 0 else { throw NNError("stage schedule: the first stage must start at step 0, got \(first.start)") }
            for (a, b) in zip(stages, stages.dropFirst()) where b.start <= a.start {
                throw NNError("stage schedule: stage starts must increase, got \(a.start) then \(b.start)")
            }
            if let s = stages.first(where: { !positive($0.learningRate) }) {
                throw NNError("stage schedule: rate at step \(s.start) must be finite and > 0, got \(s.learningRate)")
            }
        }
    }
}

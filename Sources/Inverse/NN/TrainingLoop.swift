import Imaging

/// What the training loop reports to its callbacks.
public struct TrainingProgress: Sendable, Equatable {
    /// Optimiser steps taken so far (1 after the first step).
    public var step: Int
    /// 0-based epoch of the step.
    public var epoch: Int
    /// Loss of the step's minibatch (before the step).
    public var loss: Double
    /// Rate used by the step.
    public var learningRate: Double
    /// The latest validation loss, if one was computed at or before this step.
    public var validationLoss: Double?
}

/// Loss history of a training run.
public struct TrainingHistory: Sendable, Equatable {
    /// One validation evaluation: after `step` steps, `loss`.
    public struct ValidationPoint: Sendable, Equatable {
        public var step: Int
        public var loss: Double
    }
    /// Minibatch loss of every step, in order.
    public var losses: [Double] = []
    /// Sample-weighted mean minibatch loss of every completed (or last, partial) epoch.
    public var epochLosses: [Double] = []
    /// Validation losses at the requested interval and after the last step.
    public var validation: [ValidationPoint] = []
    /// Steps taken.
    public var steps: Int { losses.count }
}

/// A minibatch training loop for any loss: the caller's closure receives the sample indices of
/// one minibatch, evaluates the model on them and **accumulates** ∂loss/∂θ into the parameters'
/// gradients (forward + backward, or forward + tangent + tangentBackward for LPN's
/// double-backprop loss), and returns the loss. The loop zeroes the gradients before the call and
/// runs the optimiser step (with its schedule and projection) after it.
///
/// Shuffling: epoch `e` visits the samples in a Fisher–Yates permutation drawn from
/// `RandomSource(seed: RandomSource.derivedSeed(seed, "epoch-<e>"))` (identity order when
/// `shuffle` is false), in batches of `batchSize` (the last one smaller unless `dropLast`).
/// Inverse never prints: progress and checkpoints are callbacks (wb prints and writes files).
public struct TrainingLoop: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    public var shuffle = true
    public var dropLast = false
    /// Stop after this many steps even if epochs remain.
    public var maxSteps: Int?
    /// Call `progress` every this many steps (and after the last step).
    public var progressInterval = 1
    /// Evaluate `validation` every this many steps (and after the last step).
    public var validationInterval: Int?
    /// Call `checkpoint` every this many steps (and after the last step).
    public var checkpointInterval: Int?

    public init(epochs: Int, batchSize: Int, seed: UInt64, shuffle: Bool = true, dropLast: Bool = false,
                maxSteps: Int? = nil, progressInterval: Int = 1, validationInterval: Int? = nil,
                checkpointInterval: Int? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.maxSteps = maxSteps
        self.progressInterval = progressInterval
        self.validationInterval = validationInterval
        self.checkpointInterval = checkpointInterval
    }

    /// The sample order of epoch `epoch` for `sampleCount` samples.
    public func order(epoch: Int, sampleCount: Int) -> [Int] {
        var order = Array(0..<sampleCount)
        guard shuffle, sampleCount > 1 else { return order }
        var rng = RandomSource(seed: RandomSource.derivedSeed(seed, "epoch-\(epoch)"))
        for i in stride(from: sampleCount - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// The minibatches (sample indices) of epoch `epoch`.
    public func batches(epoch: Int, sampleCount: Int) -> [[Int]] {
        let order = order(epoch: epoch, sampleCount: sampleCount)
        return stride(from: 0, to: sampleCount, by: batchSize).compactMap { start in
            let end = min(start + batchSize, sampleCount)
            if dropLast && end - start < batchSize { return nil }
            return Array(order[start..<end])
        }
    }

    func validate(sampleCount: Int) throws {
        guard epochs >= 1 else { throw NNError("training: epochs must be ≥ 1, got \(epochs)") }
        guard batchSize >= 1 else { throw NNError("training: batch size must be ≥ 1, got \(batchSize)") }
        guard sampleCount >= 1 else { throw NNError("training: no samples") }
        guard !dropLast || sampleCount >= batchSize else {
            throw NNError("training: \(sampleCount) samples make no full batch of \(batchSize) (dropLast)")
        }
        if let m = maxSteps, m < 1 { throw NNError("training: maxSteps must be ≥ 1, got \(m)") }
        guard progressInterval >= 1 else { throw NNError("training: progress interval must be ≥ 1, got \(progressInterval)") }
        if let v = validationInterval, v < 1 { throw NNError("training: validation interval must be ≥ 1, got \(v)") }
        if let c = checkpointInterval, c < 1 { throw NNError("training: checkpoint interval must be ≥ 1, got \(c)") }
    }

    /// Runs the loop. A non-finite minibatch or validation loss stops training with an error
    /// naming the step (parameters are left as after the previous step).
    public func run<O: Optimizer>(optimizer: O, sampleCount: Int,
                                  loss: (_ batch: [Int]) throws -> Double,
                                  validation: (() throws -> Double)? = nil,
                                  progress: ((TrainingProgress) -> Void)? = nil,
                                  checkpoint: ((TrainingProgress) throws -> Void)? = nil) throws -> TrainingHistory {
        try validate(sampleCount: sampleCount)
        var history = TrainingHistory()
        var lastValidation: Double?
        let limit = maxSteps ?? Int.max
        var done = false
        for epoch in 0..<epochs where !done {
            var sum = 0.0, seen = 0
            let batches = batches(epoch: epoch, sampleCount: sampleCount)
            for (b, batch) in batches.enumerated() {
                optimizer.zeroGradients()
                let value = try loss(batch)
                guard value.isFinite else {
                    throw NNError("training: loss is \(value) at step \(history.steps + 1) (epoch \(epoch))")
                }
                let rate = optimizer.currentLearningRate
                optimizer.step()
                history.losses.append(value)
                sum += value * Double(batch.count)
                seen += batch.count
                let step = history.steps
                done = step >= limit
                let last = done || (epoch == epochs - 1 && b == batches.count - 1)
                let validationDue = validationInterval.map { step % $0 == 0 } ?? false
                if let validation, validationDue || last {
                    let value = try validation()
                    guard value.isFinite else { throw NNError("training: validation loss is \(value) after step \(step)") }
                    lastValidation = value
                    history.validation.append(.init(step: step, loss: value))
                }
                let report = TrainingProgress(step: step, epoch: epoch, loss: value, learningRate: rate,
                                              validationLoss: lastValidation)
                if let progress, step % progressInterval == 0 || last { progress(report) }
                if let checkpoint, let c = checkpointInterval, step % c == 0 || last { try checkpoint(report) }
                if done { break }
            }
            history.epochLosses.append(sum / Double(max(seen, 1)))
        }
        return history
    }
}

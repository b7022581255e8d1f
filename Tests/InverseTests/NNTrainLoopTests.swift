import Imaging
import Testing
@testable import Inverse

@Suite struct NNTrainLoopTests {
    @Test func batchesAreSeededPermutationsCoveringEverySample() {
        let loop = TrainingLoop(epochs: 3, batchSize: 7, seed: 5)
        for epoch in 0..<3 {
            let batches = loop.batches(epoch: epoch, sampleCount: 30)
            #expect(batches.map(\.count) == [7, 7, 7, 7, 2])
            #expect(batches.flatMap { $0 }.sorted() == Array(0..<30))
        }
        #expect(loop.batches(epoch: 0, sampleCount: 30) == TrainingLoop(epochs: 3, batchSize: 7, seed: 5).batches(epoch: 0, sampleCount: 30))
        #expect(loop.batches(epoch: 0, sampleCount: 30) != loop.batches(epoch: 1, sampleCount: 30))
        #expect(loop.batches(epoch: 0, sampleCount: 30) != TrainingLoop(epochs: 3, batchSize: 7, seed: 6).batches(epoch: 0, sampleCount: 30))
        var fixed = loop
        fixed.shuffle = false
        fixed.dropLast = true
        #expect(fixed.batches(epoch: 2, sampleCount: 15) == [Array(0..<7), Array(7..<14)])
    }

    /// Least squares y = a·t + b on 200 noisy samples with Adam: the loop recovers (a, b), records
    /// one loss per step, validates and checkpoints at the requested intervals and at the end.
    @Test func fitsALineWithCallbacksAtTheRequestedSteps() throws {
        var rng = RandomSource(seed: 9)
        let n = 200
        let t = (0..<n).map { _ in rng.uniform() * 2 - 1 }
        let y = t.map { 1.5 * $0 - 0.25 + 0.01 * rng.gaussian() }
        let p = Parameter<Double>(name: "ab", value: Tensor(shape: [2]))
        let adam = try Adam(parameters: [p], schedule: .stepDecay(initial: 0.05, period: 300, gamma: 0.3))
        func loss(_ batch: [Int]) -> Double {
            var s = 0.0
            for i in batch {
                let r = p.value[0] * t[i] + p.value[1] - y[i]
                s += r * r
                p.gradient[0] += 2 * r * t[i] / Double(batch.count)
                p.gradient[1] += 2 * r / Double(batch.count)
            }
            return s / Double(batch.count)
        }
        var progressSteps: [Int] = [], checkpoints: [Int] = []
        var rates: [Double] = []
        let loop = TrainingLoop(epochs: 100, batchSize: 32, seed: 1, progressInterval: 50, validationInterval: 100,
                                checkpointInterval: 250)
        let history = try loop.run(optimizer: adam, sampleCount: n, loss: loss,
                                   validation: { loss(Array(0..<n)) - 0 },
                                   progress: { progressSteps.append($0.step); rates.append($0.learningRate) },
                                   checkpoint: { checkpoints.append($0.step) })
        p.zeroGradient()
        #expect(history.steps == 700 && adam.stepCount == 700)   // 7 batches × 100 epochs
        #expect(history.epochLosses.count == 100)
        #expect(abs(p.value[0] - 1.5) < 0.01 && abs(p.value[1] + 0.25) < 0.01, "fit \(p.value.storage)")
        #expect(history.epochLosses.last! < 2e-4, "final epoch loss \(history.epochLosses.last!)")
        #expect(progressSteps == Array(stride(from: 50, through: 700, by: 50)))
        #expect(rates.first == 0.05 && abs(rates.last! - 0.05 * 0.09) < 1e-15)
        #expect(history.validation.map(\.step) == Array(stride(from: 100, through: 700, by: 100)))
        #expect(checkpoints == [250, 500, 700])
    }

    @Test func maxStepsStopsAndBadLossesAndSettingsAreRejected() throws {
        let p = Parameter<Double>(name: "x", value: Tensor(shape: [1]))
        let sgd = try SGD(parameters: [p], learningRate: 0.1)
        let h = try TrainingLoop(epochs: 10, batchSize: 4, seed: 0, maxSteps: 5).run(optimizer: sgd, sampleCount: 10) { _ in 1 }
        #expect(h.steps == 5 && h.epochLosses.count == 2)
        var calls = 0
        #expect { _ = try TrainingLoop(epochs: 1, batchSize: 4, seed: 0).run(optimizer: sgd, sampleCount: 10) { _ in
            calls += 1; return calls == 2 ? .nan : 1 } } throws: { ($0 as? NNError)?.message.contains("loss is nan at step 2") == true }
        for bad in [TrainingLoop(epochs: 0, batchSize: 4, seed: 0), TrainingLoop(epochs: 1, batchSize: 0, seed: 0),
                    TrainingLoop(epochs: 1, batchSize: 20, seed: 0, dropLast: true)] {
            #expect(throws: NNError.self) { try bad.run(optimizer: sgd, sampleCount: 10) { _ in 1 } }
        }
    }
}

import Foundation
import Imaging
import Testing
@testable import Inverse

/// A test-only layer kind with attributes, registered by the tests (shows that apps can add kinds).
final class TestScaleLayer<Scalar: NNScalar>: Layer {
    let width: Int
    let tag: String
    let parameters: [Parameter<Scalar>]
    init(width: Int, tag: String) {
        self.width = width
        self.tag = tag
        parameters = [Parameter(name: "weight", value: Tensor(shape: [width, width])),
                      Parameter(name: "scale", value: Tensor(shape: [width]), constraint: .nonNegative)]
    }
    var descriptor: LayerDescriptor {
        LayerDescriptor(kind: "test-scale", attributes: ["width": .int(width), "tag": .string(tag), "gain": .double(0.5),
                                                         "flags": .ints([1, -2]), "on": .bool(true)])
    }
    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
    /// y = diag(scale)·W x per sample.
    func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var y = Tensor<Scalar>(shape: x.shape)
        let w = parameters[0].value, s = parameters[1].value
        for b in 0..<x.batchSize { for i in 0..<width {
            var acc: Scalar = 0
            for j in 0..<width { acc += w[i * width + j] * x[b * width + j] }
            y[b * width + i] = s[i] * acc
        } }
        return y
    }
    func backward(_ g: Tensor<Scalar>) -> Tensor<Scalar> { g }
    func tangent(_ t: Tensor<Scalar>) -> Tensor<Scalar> { t }
    func tangentBackward(_ g: Tensor<Scalar>, _ t: Tensor<Scalar>) -> (input: Tensor<Scalar>, tangent: Tensor<Scalar>) { (g, t) }
}

@Suite struct NNTrainArchiveTests {
    static func temporaryFile(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wb-nn-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.appendingPathComponent(name).path
    }

    static func factory<S: NNScalar>(_: S.Type) -> LayerFactory<S> {
        var f = LayerFactory<S>.standard
        f.register("test-scale") { d, _ in TestScaleLayer<S>(width: try d.int("width"), tag: try d.string("tag")) }
        return f
    }

    @Test func descriptorJSONRoundTripsExactly() throws {
        let d = LayerDescriptor(kind: "sequential", children: [
            LayerDescriptor(kind: "dense", attributes: ["inputs": .int(3), "outputs": .int(64), "bias": .bool(true)]),
            LayerDescriptor(kind: "softplus", attributes: ["beta": .double(10), "tiny": .double(1e-300), "third": .double(1.0 / 3)]),
            LayerDescriptor(kind: "conv2d", attributes: ["kernel": .ints([3, 3]), "empty": .ints([]), "padding": .string("re\"flect\\\n")]),
        ])
        let text = try d.jsonText()
        #expect(try LayerDescriptor(jsonText: text) == d)
        #expect(try LayerDescriptor(jsonText: " { \"kind\" : \"relu\" } ") == LayerDescriptor(kind: "relu"))
        for bad in ["", "{", "{\"kind\": 3}", "{\"kind\":\"a\",\"attributes\":{\"x\":[1.5]}}", "{\"kind\":\"a\"} x", "[1]"] {
            #expect(throws: NNError.self, "\(bad)") { try LayerDescriptor(jsonText: bad) }
        }
        #expect(throws: NNError.self) { try LayerDescriptor(kind: "x", attributes: ["v": .double(.nan)]).jsonText() }
    }

    func roundTrip<S: NNScalar>(_: S.Type) throws {
        let model = TestScaleLayer<S>(width: 4, tag: "t")
        Initialization.initialize(model, seed: 11)
        var rng = RandomSource(seed: 3)
        let x = Tensor<S>.gaussian(shape: [5, 4], rng: &rng)
        let y = model.forward(x)
        let path = try Self.temporaryFile("model.h5")
        try ModelArchive(model: model, metadata: ["seed": "11", "command_line": "test"]).file().write(to: path)

        let file = try TensorArchiveFile.read(path)
        #expect(file.precision.rawValue == S.typeName)
        #expect(file.tensors.map(\.name) == ["000.weight", "001.scale"])
        #expect(file.metadata["seed"] == "11")
        #expect(file.provenance["program"] == "wb")
        let loaded = try ModelArchive(file: file).makeModel(factory: Self.factory(S.self))
        #expect(loaded.descriptor == model.descriptor)
        #expect(zip(loaded.parameters, model.parameters).allSatisfy { $0.value == $1.value && $0.constraint == $1.constraint })
        #expect(loaded.forward(x) == y, "reloaded model gives bit-identical outputs")
    }

    @Test func modelReloadsBitIdenticallyInFloatAndDouble() throws {
        try roundTrip(Double.self)
        try roundTrip(Float.self)
    }

    /// Every kit layer kind: build, initialise, write, rebuild from the file with the standard
    /// factory, compare outputs bit for bit (Float and Double).
    func kitRoundTrip<S: NNScalar>(_: S.Type) throws {
        var icnnRNG = RandomSource(seed: 50)
        let icnn = try InputConvexNetwork<S>(inputCount: 2, hiddenCount: 6, depth: 2, activation: .softplus(beta: 10),
                                             strongConvexity: 0.01, firstBias: true, rng: &icnnRNG)
        let models: [(any Layer<S>, [Int])] = [
            (icnn, [4, 2]),
            (Sequential<S>([
                try FourierFeatures<S>(inputDimension: 3),
                Dense<S>(weight: Tensor(shape: [8, 33]), bias: Tensor(shape: [8])), Activation(Softplus<S>(beta: 10)),
                Residual<S>(Sequential<S>([Dense<S>(weight: Tensor(shape: [8, 8]), bias: nil, weightConstraint: .nonNegative),
                                           Activation(Tanh<S>())])),
                Dense<S>(weight: Tensor(shape: [16, 8]), bias: Tensor(shape: [16])),
                try Reshape<S>(sampleShape: [1, 4, 4]),
                try Conv2D<S>(inChannels: 1, outChannels: 2, kernelSize: 3, paddingMode: .reflect), Activation(LeakyReLU<S>(slope: 0.1)),
                try Downsample<S>.averagePool(kernelSize: 2),
                Reshape<S>.flatten(),
                Dense<S>(weight: Tensor(shape: [1, 8]), bias: Tensor(shape: [1])), Activation(Sigmoid<S>()),
            ]), [5, 3]),
            (Sequential<S>([
                try Reshape<S>(sampleShape: [2, 8]),
                try Conv1D<S>(inChannels: 2, outChannels: 3, kernelSize: 3), Activation(LeakyReLU<S>(slope: 0)),
                try Downsample<S>(filter: .binomial, kernelSize: 3, factor: 2, padding: .same, paddingMode: .periodic, dimensions: 1),
                Reshape<S>.flatten(),
                Dense<S>(weight: Tensor(shape: [1, 12]), bias: nil), Activation(Sine<S>(frequency: 2)),
            ]), [4, 16]),
        ]
        for (index, (model, inputShape)) in models.enumerated() {
            Initialization.initialize(model, seed: 30 + UInt64(index))
            var rng = RandomSource(seed: 40)
            let x = Tensor<S>.uniform(shape: inputShape, lower: -1, upper: 1, rng: &rng)
            let y = model.forward(x)
            let path = try Self.temporaryFile("kit\(index).h5")
            try ModelArchive(model: model).file().write(to: path)
            let loaded: any Layer<S> = try ModelArchive(file: TensorArchiveFile.read(path)).makeModel()
            #expect(loaded.descriptor == model.descriptor, "model \(index)")
            #expect(loaded.forward(x) == y, "model \(index) (\(S.typeName)): reloaded outputs differ")
        }
    }

    @Test func everyKitLayerKindReloadsBitIdentically() throws {
        try kitRoundTrip(Double.self)
        try kitRoundTrip(Float.self)
    }

    @Test func badFilesAndMismatchesGiveClearErrors() throws {
        let model = TestScaleLayer<Double>(width: 3, tag: "a")
        let archive = ModelArchive(model: model)

        // Unknown kind.
        #expect {
            _ = try archive.makeModel(factory: LayerFactory<Double>.standard)
        } throws: { ($0 as? NNError)?.message.contains("unknown layer kind 'test-scale'") == true }

        // Shape mismatch and count mismatch.
        var wrong = archive
        wrong.tensors[0].shape = [9, 1]
        #expect { try wrong.restore(into: model) } throws: { ($0 as? NNError)?.message.contains("'000.weight' has shape [9, 1]") == true }
        wrong = archive
        wrong.tensors.removeLast()
        #expect(throws: NNError.self) { try wrong.restore(into: model) }
        #expect(throws: NNError.self) { try archive.restore(into: TestScaleLayer<Double>(width: 3, tag: "b")) }

        // A file that is not a model.
        let path = try Self.temporaryFile("other.h5")
        try FieldOfExpertsModelFile(filters: Grid(shape: Shape(1, 3, 3), repeating: 0.1), weights: [1], smoothings: [0.1]).write(to: path)
        #expect { _ = try TensorArchiveFile.read(path) } throws: { "\($0)".contains("not a wb model file") }

        // A model file with a missing tensor dataset.
        let modelPath = try Self.temporaryFile("model.h5")
        try archive.file().write(to: modelPath)
        do {
            let f = try HDF5File(modelPath, mode: .readWrite)
            defer { f.close() }
            try f.setAttribute("tensor_names", .strings(["000.weight", "001.scale", "002.extra"]), on: "/model")
        }
        #expect { _ = try TensorArchiveFile.read(modelPath) } throws: { "\($0)".contains("/model/tensors/002.extra is missing") }
        #expect(throws: NNError.self) {
            try ModelArchive(file: TensorArchiveFile(kind: "other", architecture: "{}", precision: .float64, tensors: []))
        }
    }
}


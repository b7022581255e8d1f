import Imaging

/// A trained model in neutral, in-memory form: its architecture (root ``LayerDescriptor``), its
/// tensors in parameter order with names and shapes, and free-form metadata. The HDF5 file form
/// is Imaging's ``TensorArchiveFile`` (``file()`` / ``init(file:)``); the caller (wb) reads and
/// writes files, Inverse only converts.
///
/// Tensor names are `<index>.<parameter name>` with a zero-padded index ("000.weight",
/// "001.bias" …), so the file lists them in parameter order.
public struct ModelArchive: Sendable, Equatable {
    /// The ``TensorArchiveFile/kind`` of neural-network models.
    public static let fileKind = "nn-model"

    /// One tensor: values widened to Double (exact for float32).
    public struct NamedTensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Double]
        public init(name: String, shape: [Int], values: [Double]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public var architecture: LayerDescriptor
    /// "float32" or "float64": the scalar type the model was trained (and is stored) in.
    public var scalarType: String
    public var tensors: [NamedTensor]
    public var metadata: [String: String]

    public init(architecture: LayerDescriptor, scalarType: String, tensors: [NamedTensor], metadata: [String: String] = [:]) {
        self.architecture = architecture
        self.scalarType = scalarType
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The archive of `model`'s current architecture and parameter values.
    public init<L: Layer>(model: L, metadata: [String: String] = [:]) {
        let params = model.parameters
        let width = max(3, String(params.count).count)
        self.architecture = model.descriptor
        self.scalarType = L.Scalar.typeName
        self.tensors = params.enumerated().map { i, p in
            let index = String(i)
            return NamedTensor(name: String(repeating: "0", count: width - index.count) + index + "." + p.name,
                               shape: p.value.shape, values: p.value.storage.map { Double($0) })
        }
        self.metadata = metadata
    }

    /// Copies the archived values into `model`'s parameters. The model must have the archived
    /// architecture (equal descriptors) and the same parameter names and shapes in order.
    public func restore<L: Layer>(into model: L) throws {
        guard model.descriptor == architecture else {
            throw NNError("model archive: the model's architecture differs from the archived one (archived root kind '\(architecture.kind)', model root kind '\(model.descriptor.kind)')")
        }
        let params = model.parameters
        guard params.count == tensors.count else {
            throw NNError("model archive: \(tensors.count) tensors for a model with \(params.count) parameters")
        }
        for (p, t) in zip(params, tensors) {
            guard t.name.hasSuffix("." + p.name) else {
                throw NNError("model archive: tensor '\(t.name)' is stored where the model has parameter '\(p.name)'")
            }
            guard t.shape == p.value.shape else {
                throw NNError("model archive: tensor '\(t.name)' has shape \(t.shape) but the model's '\(p.name)' has shape \(p.value.shape)")
            }
            guard t.values.count == p.value.count else {
                throw NNError("model archive: tensor '\(t.name)' holds \(t.values.count) values for shape \(t.shape)")
            }
        }
        for (p, t) in zip(params, tensors) {
            p.value = Tensor(shape: t.shape, storage: t.values.map { L.Scalar($0) })
            p.zeroGradient()
        }
    }

    /// Builds the archived architecture with `factory` and restores the values into it.
    /// Errors: unknown layer kinds or bad attributes (from the factory), tensor mismatches.
    public func makeModel<Scalar: NNScalar>(factory: LayerFactory<Scalar> = .standard) throws -> any Layer<Scalar> {
        let model = try factory.make(architecture)
        try restore(into: model)
        return model
    }

    /// The file form (architecture as JSON, tensors in their trained precision).
    public func file() throws -> TensorArchiveFile {
        let precision: HDF5Precision
        switch scalarType {
        case "float32": precision = .float32
        case "float64": precision = .float64
        default: throw NNError("model archive: scalar type '\(scalarType)' is not float32 or float64")
        }
        return TensorArchiveFile(kind: Self.fileKind, architecture: try architecture.jsonText(), precision: precision,
                                 tensors: tensors.map { .init(name: $0.name, shape: $0.shape, values: $0.values) },
                                 metadata: metadata)
    }

    /// The archive of a file read by ``TensorArchiveFile/read(_:)``; errors if the file holds
    /// something other than a neural-network model or its architecture text is malformed.
    public init(file: TensorArchiveFile) throws {
        guard file.kind == Self.fileKind else {
            throw NNError("model archive: the file holds a '\(file.kind)', not a neural-network model ('\(Self.fileKind)')")
        }
        self.architecture = try LayerDescriptor(jsonText: file.architecture)
        self.scalarType = file.precision.rawValue
        self.tensors = file.tensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
        self.metadata = file.metadata
    }
}

import Imaging

/// A learned or hand-made denoising model as the tools exchange it: read from a model file
/// (`file.h5` holds it at `/model`; `file.h5:/group` names another group, e.g. a pipeline's
/// `/entry/<step>/model`), or held in memory by a pipeline step (`wb learn tv|foe`).
enum DenoisingModel: Sendable {
    case tv(TVModelFile)
    case foe(FieldOfExpertsModelFile)

    /// `model` attribute values, for messages.
    var kind: String {
        switch self {
        case .tv: return TVModelFile.kind
        case .foe: return "field-of-experts"
        }
    }

    /// Reads the model referenced by `reference` (for option `option`); errors name both.
    static func read(_ reference: String, option: String) throws -> DenoisingModel {
        let r = DatasetReference(parsing: reference)
        guard DatasetReference.isHDF5Path(r.file) else {
            throw WBError("\(option) \(reference): a model file must be HDF5 (.h5, .hdf5 or .nxs)")
        }
        guard AtomicOutput.exists(r.file) else { throw ImagingError.fileNotFound(path: r.file) }
        let group = r.dataset ?? "/model"
        switch try TVModelFile.modelKind(of: r.file, group: group) {
        case TVModelFile.kind?: return .tv(try TVModelFile.read(r.file, group: group))
        case "field-of-experts"?: return .foe(try FieldOfExpertsModelFile.read(r.file, group: group))
        case let other?: throw WBError("\(option) \(reference): unknown model kind '\(other)' in \(group)@model (known: \(TVModelFile.kind), field-of-experts)")
        case nil: throw WBError("\(option) \(reference): no \(group) group with a 'model' attribute; not a model file (write one with wb learn tv|foe or wb foe-model)")
        }
    }

    /// Writes the model as `group` into an open HDF5 file.
    func write(in file: HDF5File, group: String) throws {
        switch self {
        case .tv(let m): try m.write(in: file, group: group)
        case .foe(let m): try m.write(in: file, group: group)
        }
    }
}

extension ToolContext {
    /// The model named by option `option` (value `reference`): the in-memory model of an earlier
    /// pipeline step when the pipeline linked the option to one, otherwise read from the file.
    func model(option: String, reference: String) throws -> DenoisingModel {
        if let m = stepModels[option] { return m }
        return try DenoisingModel.read(reference, option: "--\(option)")
    }
}

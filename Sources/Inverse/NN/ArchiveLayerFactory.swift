/// Rebuilds layer trees from ``LayerDescriptor``s (model files store only descriptors and
/// tensors). Every layer kind of the kit is registered in ``standard``; applications add their
/// own kinds with ``register(_:_:)`` (a builder receives the descriptor and the factory, so
/// containers build their children with it).
///
/// The rebuilt layer has freshly initialised parameters; ``ModelArchive/restore(into:)``
/// overwrites them with the archived values.
public struct LayerFactory<Scalar: NNScalar> {
    public typealias Builder = (_ descriptor: LayerDescriptor, _ factory: LayerFactory<Scalar>) throws -> any Layer<Scalar>

    private var builders: [String: Builder] = [:]

    /// A factory that knows no kinds.
    public init() {}

    /// A factory with every layer kind of the NN kit registered.
    public static var standard: LayerFactory {
        var f = LayerFactory()
        f.registerKitLayers()
        return f
    }

    /// The registered kinds, sorted.
    public var kinds: [String] { builders.keys.sorted() }

    /// Registers (or replaces) the builder of `kind`.
    public mutating func register(_ kind: String, _ builder: @escaping Builder) {
        builders[kind] = builder
    }

    /// The layer described by `descriptor` (children built recursively by the builders).
    public func make(_ descriptor: LayerDescriptor) throws -> any Layer<Scalar> {
        guard let build = builders[descriptor.kind] else {
            throw NNError("unknown layer kind '\(descriptor.kind)' (known: \(kinds.joined(separator: ", ")))")
        }
        return try build(descriptor, self)
    }

    /// The children of `descriptor`, each built by this factory.
    public func makeChildren(of descriptor: LayerDescriptor) throws -> [any Layer<Scalar>] {
        try descriptor.children.map { try make($0) }
    }
}

/// Typed access to descriptor attributes for layer builders; errors name the kind and attribute.
extension LayerDescriptor {
    func missing(_ key: String, _ type: String) -> NNError {
        NNError("layer '\(kind)': attribute '\(key)' must be \(type), got \(attributes[key].map { "\($0)" } ?? "nothing")")
    }

    public func int(_ key: String) throws -> Int {
        guard case .int(let v)? = attributes[key] else { throw missing(key, "an integer") }
        return v
    }

    /// A double attribute (an integer value is accepted and converted).
    public func double(_ key: String) throws -> Double {
        switch attributes[key] {
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw missing(key, "a number")
        }
    }

    public func string(_ key: String) throws -> String {
        guard case .string(let v)? = attributes[key] else { throw missing(key, "a string") }
        return v
    }

    public func bool(_ key: String) throws -> Bool {
        guard case .bool(let v)? = attributes[key] else { throw missing(key, "a boolean") }
        return v
    }

    public func ints(_ key: String) throws -> [Int] {
        guard case .ints(let v)? = attributes[key] else { throw missing(key, "an array of integers") }
        return v
    }

    /// Throws unless the descriptor has exactly `count` children.
    public func requireChildren(_ count: Int) throws {
        guard children.count == count else {
            throw NNError("layer '\(kind)': expected \(count) child layer\(count == 1 ? "" : "s"), got \(children.count)")
        }
    }
}

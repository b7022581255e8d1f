@_exported import Imaging

/// The version of the Inverse module (same as wb's).
public let inverseModuleVersion = imagingVersion

/// wb's version, recorded in every output file.
public let imagingVersion = "0.1.0"

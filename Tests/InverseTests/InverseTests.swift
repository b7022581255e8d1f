import Testing
@testable import Inverse
@Test func inverseLinks() { #expect(inverseModuleVersion == imagingVersion) }

import Testing
@Test func placeholderSuiteCompiles() {}

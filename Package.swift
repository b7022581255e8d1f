// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "wb",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Inverse", targets: ["Inverse"]),
        .executable(name: "wb", targets: ["wb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3",
                       providers: [.apt(["libfftw3-dev"]), .brew(["fftw"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16",
                       providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .target(name: "Imaging",
                dependencies: ["CFFTW", "CHDF5", "CPNG", "CBLAS",
                               .product(name: "ComplexModule", package: "swift-numerics"),
                               .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "Inverse", dependencies: ["Imaging", "CBLAS",
                                                .product(name: "RealModule", package: "swift-numerics")]),
        .executableTarget(name: "wb", dependencies: [
            "Imaging", "Inverse",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "wb-bench", dependencies: ["Imaging", "Inverse", "CFFTW"],
                          path: "bench/Sources/wb-bench"),
        .testTarget(name: "ImagingTests", dependencies: [
            "Imaging", .product(name: "PropertyBased", package: "swift-property-based")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "InverseTests", dependencies: [
            "Inverse", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "wbTests", dependencies: ["wb", "Imaging"]),
    ]
)

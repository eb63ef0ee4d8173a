// swift-tools-version:6.0
import PackageDescription

// The C kernels are built with -O3 in every configuration because debug-build
// physics would make the tests minutes slower, and with -ffp-contract=off so
// that no path fuses multiply-add: the AVX-512, AVX2 and baseline clones then
// round identically and a run is bit-identical on any x86-64 machine.
let kernelFlags: [CSetting] = [
    .unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-psabi"])
]

let package = Package(
    name: "Galaxy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "galaxy", targets: ["galaxy"]),
        .library(name: "GalaxyServer", targets: ["GalaxyServer"]),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(
            name: "CPhysicsKernels",
            path: "Sources/CPhysicsKernels",
            cSettings: kernelFlags,
            linkerSettings: [.linkedLibrary("m"), .linkedLibrary("openblas")]
        ),
        .systemLibrary(
            name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(
            name: "CGateway",
            path: "Sources/CGateway",
            cSettings: [.unsafeFlags(["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"])],
            linkerSettings: [.linkedLibrary("websockets"), .linkedLibrary("z")]
        ),
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "GalaxyServer",
            dependencies: ["CPhysicsKernels", "COpenBLAS", "CSQLite", "CPostgres", "CGateway", "CSodium", "CHiredis"],
            path: "Sources/GalaxyServer"
        ),
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CPostgres", path: "Sources/CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .executableTarget(
            name: "galaxy",
            dependencies: ["GalaxyServer"],
            path: "Sources/galaxy"
        ),
        .executableTarget(
            name: "GalaxyBench",
            dependencies: ["GalaxyServer", "CPhysicsKernels"],
            path: "Benchmarks/GalaxyBench"
        ),
        .testTarget(
            name: "GalaxyServerTests",
            dependencies: ["GalaxyServer", "CPhysicsKernels", "COpenBLAS", "CZlib"],
            path: "Tests/GalaxyServerTests",
            resources: [.copy("Fixtures")]
        ),
    ]
)

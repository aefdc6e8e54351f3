// swift-tools-version:6.0
import PackageDescription

// Layers, one way: LaunchModel (domain) <- LaunchStore (backend, artifacts) <- launchdeck (commands).
// LaunchAgent, LaunchServer, DeckUI and CNCursesW join later between the store and the commands.
let package = Package(
    name: "LaunchDeck",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "launchdeck", targets: ["launchdeck"]),
        .library(name: "LaunchModel", targets: ["LaunchModel"]),
        .library(name: "LaunchStore", targets: ["LaunchStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .target(
            name: "LaunchModel",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LaunchStore",
            dependencies: [
                "LaunchModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "launchdeck",
            dependencies: [
                "LaunchModel",
                "LaunchStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "LaunchModelTests", dependencies: ["LaunchModel"]),
        .testTarget(name: "LaunchStoreTests", dependencies: ["LaunchStore", "LaunchModel"]),
        .testTarget(name: "LaunchCLITests", dependencies: ["launchdeck", "LaunchModel", "LaunchStore"]),
    ]
)

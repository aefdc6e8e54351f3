// swift-tools-version:6.0
import PackageDescription

// Layers, one way: LaunchModel (domain) <- LaunchAPI (the backend contract: role protocols, their request and
// reply types, error kinds, the HTTP route list; no storage) <- LaunchStore (the embedded SQLite backend,
// artifacts), LaunchPostgres (the shared backend), LaunchClient (the contract over HTTP) <- LaunchServer (serves a backend over HTTP), LaunchAgent,
// DeckUI <- launchdeck (commands). DeckTerminal is the one module that touches ncurses.
let package = Package(
    name: "LaunchDeck",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "launchdeck", targets: ["launchdeck"]),
        .library(name: "LaunchModel", targets: ["LaunchModel"]),
        .library(name: "LaunchAPI", targets: ["LaunchAPI"]),
        .library(name: "LaunchStore", targets: ["LaunchStore"]),
        .library(name: "LaunchAgent", targets: ["LaunchAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "LaunchModel",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // What every backend implements and every client holds: the model, Foundation, and SHA-256 for token hashes.
        .target(name: "LaunchAPI", dependencies: ["LaunchModel", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "LaunchStore",
            dependencies: [
                "LaunchModel",
                "LaunchAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LaunchAgent",
            dependencies: [
                "LaunchModel",
                "LaunchAPI",
                "LaunchStore",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `launchdeck server`: the contract over HTTP, in front of a backend (the embedded SQLite store today).
        .target(
            name: "LaunchServer",
            dependencies: [
                "LaunchModel",
                "LaunchAPI",
                "LaunchStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The API's OpenAPI document, served at /api/v1/openapi.json and checked against APIOperation by a test.
            resources: [.copy("openapi.json")]
        ),
        // The contract's client side: a LaunchBackend that talks to `launchdeck server`.
        .target(
            name: "LaunchClient",
            dependencies: [
                "LaunchModel",
                "LaunchAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // ncursesw from libncurses-dev; only DeckTerminal imports it.
        .systemLibrary(name: "CNCursesW", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        // The dashboard: state store, snapshots, views, themes, actions; the model and the contract only, no storage
        // and no ncurses.
        .target(name: "DeckUI", dependencies: ["LaunchModel", "LaunchAPI"]),
        // The one thin module that touches ncurses.
        .target(name: "DeckTerminal", dependencies: ["DeckUI", "CNCursesW"]),
        // A tiny C program each job runs under, so a job dies with its agent (see its header comment).
        // Plain C, started once per job, so linked fully static: no dynamic loader work at each start. Nothing of the
        // Swift runtime is used (see the end of main.c); dynamically linked, the runtime's libstdc++ and libm were
        // still loaded for nothing, and a guarded `true` took 1.5 ms instead of 0.7.
        .executableTarget(name: "launchdeck-guard", linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .executableTarget(
            name: "launchdeck",
            dependencies: [
                "LaunchModel",
                "LaunchAPI",
                "LaunchStore",
                "LaunchAgent",
                "LaunchServer",
                "LaunchClient",
                "LaunchPostgres",
                "DeckUI",
                "DeckTerminal",
                "launchdeck-guard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Every command is a process start: with the Swift runtime and Foundation linked in, the dynamic loader
            // binds a few hundred symbols instead of some 40,000 across twenty libraries (the HTTP client and server
            // doubled those), and `launchdeck --version` starts faster than it did before them. Release builds only:
            // debug builds link faster without. `-static-stdlib` alone leaves Foundation's own C and Swift parts
            // unresolved (what `--static-swift-stdlib` adds on the command line); they are named after it.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCollections", "-l_FoundationCShims"], .when(platforms: [.linux], configuration: .release))]
        ),
        // The shared backend of `launchdeck server`, in PostgreSQL (docs/postgres-backend.md): the contract, schema
        // migrations run once under an advisory lock, and LISTEN/NOTIFY between the servers of one database.
        .target(name: "LaunchPostgres", dependencies: [
            "LaunchModel", "LaunchAPI", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
        ]),
        // What several test targets need (scratch directories, the chaos scale, a server in process): test targets
        // cannot share files.
        .target(name: "TestSupport", dependencies: [
            "LaunchAPI", "LaunchModel", "LaunchStore", "LaunchServer", "LaunchClient", "LaunchPostgres",
            .product(name: "Logging", package: "swift-log"), .product(name: "PostgresNIO", package: "postgres-nio"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "LaunchModelTests", dependencies: ["LaunchModel", "TestSupport"]),
        .testTarget(name: "LaunchAPITests", dependencies: ["LaunchAPI", "LaunchModel"]),
        // One suite every backend must pass, run against each (BackendKind).
        .testTarget(name: "BackendConformanceTests", dependencies: [
            "LaunchAPI", "LaunchModel", "LaunchStore", "LaunchServer", "LaunchClient", "LaunchPostgres", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The server's own: its document against its routes, every route with every role, bad input.
        .testTarget(name: "LaunchServerTests", dependencies: [
            "LaunchServer", "LaunchClient", "LaunchAPI", "LaunchModel", "LaunchStore", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The PostgreSQL backend's own, against the real cluster of scripts/postgres-local: migrations, the change
        // feed with writers committing out of order, the plans of the hot queries.
        .testTarget(name: "LaunchPostgresTests", dependencies: [
            "LaunchPostgres", "LaunchStore", "LaunchAPI", "LaunchModel", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "LaunchStoreTests", dependencies: ["LaunchStore", "LaunchAPI", "LaunchModel", "TestSupport"]),
        .testTarget(name: "LaunchAgentTests", dependencies: ["LaunchAgent", "LaunchAPI", "LaunchStore", "LaunchModel", "TestSupport"]),
        .testTarget(name: "DeckUITests", dependencies: ["DeckUI", "LaunchModel", "LaunchAPI", "LaunchStore", "LaunchAgent"]),
        // The command line as a user runs it, and the real components (tmux, Podman, Slurm, PostgreSQL) it needs.
        .testTarget(name: "LaunchCLITests", dependencies: [
            "launchdeck", "LaunchModel", "LaunchAPI", "LaunchStore", "LaunchPostgres", "TestSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
    ]
)

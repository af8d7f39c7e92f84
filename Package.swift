// swift-tools-version:6.1
import PackageDescription

// llama.cpp is built from its pinned source by `make` (scripts/setup-llama.sh) into a cache
// outside the work tree; `.deps/llama` links to it. Nothing of it is committed.
let llama = Context.packageDirectory + "/.deps/llama"
// whisper.cpp likewise (scripts/setup-whisper.sh): a shared library that exports whisper_*
// alone, its own ggml hidden inside; `.deps/whisper` links to it (and the binary finds it there).
let whisper = Context.packageDirectory + "/.deps/whisper"
// sherpa-onnx (text to speech), unpacked from its wheel by scripts/setup-sherpa.sh.
let sherpa = Context.packageDirectory + "/.deps/sherpa"
// openWakeWord's TensorFlow Lite library, from its wheel by scripts/setup-wakeword.sh.
let wakeword = Context.packageDirectory + "/.deps/wakeword"

// Vector search is compiled for the building machine's CPU (AVX2 or AVX-512 distance
// kernels), as llama.cpp is (GGML_NATIVE): Hearth is built where it runs.
let nativeCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "hearth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hearth", targets: ["hearth"]),
        .executable(name: "aish", targets: ["aish"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.4.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Traces over OTLP/HTTP only (the gRPC exporter's packages are not built).
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .systemLibrary(name: "CLlama", path: "Sources/CLlama"),
        // llama.cpp's chat library (C++) behind a C header: Jinja templates with tools,
        // tool-call grammars and parsers, JSON schema to grammar.
        .target(
            name: "CLlamaChat",
            cxxSettings: [.unsafeFlags(["-I\(llama)/include", "-I\(llama)/include/common", "-std=c++17"])]
        ),
        .target(
            name: "HearthCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: nativeCPU
        ),
        .target(
            name: "HearthEngine",
            dependencies: ["HearthCore", "CLlama", "CLlamaChat", .product(name: "Logging", package: "swift-log")],
            cSettings: [.unsafeFlags(["-I\(llama)/include"])],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llama)/include"])],
            linkerSettings: [
                .unsafeFlags(["-L\(llama)/lib"]),
                .linkedLibrary("llama-common"), .linkedLibrary("llama-common-base"), .linkedLibrary("llama"), .linkedLibrary("ggml"),
                .linkedLibrary("ggml-cpu"),
                .linkedLibrary("ggml-base"), .linkedLibrary("stdc++"),
                .linkedLibrary("m"),
            ]
        ),
        // whisper.cpp (speech to text) behind a C interface free of ggml's types.
        .target(
            name: "CWhisper",
            cSettings: [.unsafeFlags(["-I\(whisper)/include"])],
            linkerSettings: [
                .unsafeFlags(["-L\(whisper)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(whisper)/lib"]),
                .linkedLibrary("hearth-whisper"),
            ]
        ),
        // Audio files and resampling: libsndfile and libsamplerate from Debian.
        .systemLibrary(name: "CAudio", path: "Sources/CAudio"),
        // TensorFlow Lite's C API (openWakeWord's models), declared by Hearth.
        .target(
            name: "CTensorFlowLite",
            linkerSettings: [
                .unsafeFlags(["-L\(wakeword)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(wakeword)/lib"]),
                .linkedLibrary("tensorflowlite_c"),
            ]
        ),
        // Piper voices through sherpa-onnx (scripts/setup-sherpa.sh), phonemes from espeak-ng.
        .systemLibrary(name: "CSherpa", path: "Sources/CSherpa"),
        .target(
            name: "HearthSpeech",
            dependencies: [
                "HearthCore", "HearthModels", "CWhisper", "CAudio", "CSherpa", "CTensorFlowLite",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(sherpa)/include"])],
            linkerSettings: [.unsafeFlags(["-L\(sherpa)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(sherpa)/lib"])]
        ),
        .target(
            name: "HearthModels",
            dependencies: [
                "HearthCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .target(name: "HearthWire", dependencies: ["HearthCore"]),
        .target(
            name: "HearthKnowledge",
            dependencies: [
                "HearthCore", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "HearthVectors", dependencies: ["HearthCore"], swiftSettings: nativeCPU),
        .target(
            name: "HearthSQLite", dependencies: ["HearthCore", "HearthVectors", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: nativeCPU),
        // The scale-out store: the same protocols on PostgreSQL with pgvector.
        .target(
            name: "HearthPostgres",
            dependencies: [
                "HearthCore", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ]),
        // Shared limits, caches and notices for replicas: a RESP3 client of Redis on SwiftNIO.
        .target(
            name: "HearthRedis",
            dependencies: [
                "HearthCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ]),
        // Events, workers and Neuralux's subjects for replicas: a NATS client on SwiftNIO.
        .target(
            name: "HearthNATS",
            dependencies: [
                "HearthCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Inference workers over NATS: `hearth worker` and the gateway's provider that sends to them.
        .target(
            name: "HearthWorkers",
            dependencies: ["HearthCore", "HearthNATS", "HearthModels", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "hearth-bench", dependencies: ["HearthCore", "HearthVectors", "HearthSQLite", "HearthPostgres"]),
        .target(
            name: "HearthProviders",
            dependencies: [
                "HearthCore", "HearthEngine", "HearthModels", "HearthWire", .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "HearthServices",
            dependencies: [
                "HearthCore", "HearthModels", "HearthProviders", "HearthKnowledge", "HearthShell", "HearthSpeech",
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // MCP (the official swift-sdk) over the services: skills as tools, collections and
        // documents as resources, profiles as prompts.
        .target(
            name: "HearthMCP",
            dependencies: [
                "HearthCore", "HearthServices", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HearthServer",
            dependencies: [
                "HearthCore", "HearthWire", "HearthModels", "HearthServices", "HearthKnowledge", "HearthMCP", "HearthNATS", "HearthSpeech",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            plugins: ["WebBundle"]
        ),
        // The web UI's files into Swift source, at build time (see Plugins/WebBundle).
        .executableTarget(name: "WebBundler"),
        .plugin(name: "WebBundle", capability: .buildTool(), dependencies: ["WebBundler"]),
        .target(
            name: "HearthClient",
            dependencies: [
                "HearthCore", "HearthWire", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        .target(
            name: "HearthApp",
            dependencies: [
                "HearthCore", "HearthEngine", "HearthModels", "HearthProviders", "HearthServer", "HearthServices",
                "HearthKnowledge", "HearthSQLite", "HearthPostgres", "HearthRedis", "HearthNATS", "HearthWorkers", "HearthMCP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The shell-command parser and risk check, shared by aish and the shell_risk skill.
        .target(name: "HearthShell"),
        .target(name: "AishKit", dependencies: ["HearthClient", "HearthShell"]),
        .executableTarget(
            name: "aish",
            dependencies: ["AishKit", "HearthCore", "HearthShell", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "HearthTesting", dependencies: ["HearthCore", "HearthModels"], path: "Tests/HearthTesting"),
        .executableTarget(
            name: "hearth",
            dependencies: [
                "HearthApp", "HearthClient", "HearthCore", "HearthModels", "HearthWire", "HearthSpeech",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OTel", package: "swift-otel"), .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "HearthCoreTests", dependencies: ["HearthCore", "HearthTesting"]),
        .testTarget(name: "HearthWireTests", dependencies: ["HearthCore", "HearthWire"]),
        .testTarget(
            name: "HearthServerTests",
            dependencies: [
                "HearthClient",
                "HearthSpeech",
                "HearthApp", "HearthServer", "HearthServices", "HearthWire", "HearthTesting", "HearthKnowledge", "HearthSQLite",
                "HearthMCP",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        .testTarget(
            name: "HearthModelsTests",
            dependencies: [
                "HearthModels", "HearthTesting", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(
            name: "AishTests",
            dependencies: [
                "AishKit", "HearthCore", "HearthShell", "HearthTesting", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "HearthKnowledgeTests", dependencies: ["HearthKnowledge", "HearthSQLite", "HearthTesting"]),
        .testTarget(name: "HearthClientTests", dependencies: ["HearthClient"]),
        .testTarget(name: "HearthProvidersTests", dependencies: ["HearthProviders", "HearthCore", "HearthTesting"]),
        .testTarget(name: "HearthVectorsTests", dependencies: ["HearthVectors", "HearthCore"]),
        .testTarget(name: "HearthSpeechTests", dependencies: ["HearthSpeech", "CAudio", "HearthCore", "HearthModels", "HearthTesting"]),
        // The store protocols' behaviour, run on SQLite and on a PostgreSQL the tests start.
        .testTarget(name: "HearthStoreTests", dependencies: ["HearthCore", "HearthSQLite", "HearthPostgres", "HearthTesting"]),
        // The Redis client and what replicas share through it, against a Redis the tests start.
        .testTarget(name: "HearthRedisTests", dependencies: ["HearthCore", "HearthRedis", "HearthTesting"]),
        // The NATS client against a NATS server the tests start.
        .testTarget(name: "HearthNATSTests", dependencies: ["HearthCore", "HearthNATS", "HearthTesting"]),
        // Workers and the gateway's worker provider, over a NATS server the tests start.
        .testTarget(name: "HearthWorkersTests", dependencies: ["HearthCore", "HearthNATS", "HearthWorkers", "HearthTesting"]),
        // Model-free: `make unit-tests` runs every target but the *LiveTests and the integration tests.
        .testTarget(name: "HearthEngineTests", dependencies: ["HearthEngine", "HearthCore"]),
        // Need the real models the set-up installs.
        .testTarget(name: "HearthEngineLiveTests", dependencies: ["HearthEngine", "HearthTesting"]),
        .testTarget(
            name: "HearthIntegrationTests",
            dependencies: [
                "HearthApp", "HearthClient", "HearthWire", "HearthTesting", "HearthKnowledge", "HearthSQLite", "HearthPostgres",
                "HearthRedis", "HearthModels",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // Read by the tests from the source tree.
            exclude: ["Data"]
        ),
    ]
)

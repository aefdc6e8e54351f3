import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import LaunchAPI
import LaunchModel
import LaunchStore
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// How `launchdeck server` listens and what it allows.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); `onListening` is told which.
    public var port = 7420
    /// PEM files; both or neither.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// A JSON body larger than this is refused (400, invalid input): a batch of 10,000 enqueues is about 2 MiB.
    public var maximumBodyBytes = 8 << 20
    public var maximumBlobBytes: Int64 = 2 << 30
    /// A request (besides the wait it asked for) that takes longer is answered 503, transient.
    public var requestTimeout: Duration = .seconds(30)
    /// The longest a long poll (`wait=`) is held.
    public var maximumWait: Duration = .seconds(60)
    public var version = "dev"
    /// How often expired leases are returned to their queues between requests; nil leaves it to the leases
    /// themselves (each lease reclaims first), for tests that move the store's clock by hand.
    public var reclaimInterval: Duration? = .seconds(1)

    public init() {}
}

/// `launchdeck server`: the backend contract over HTTP (`APIOperation`), in front of a backend (the embedded SQLite
/// store), with content-addressed blobs for job code. Runs until cancelled, or until SIGTERM/SIGINT when asked to
/// listen for them: then it stops accepting, lets the requests in flight finish, and returns.
public final class LaunchServer: Sendable {
    let backend: any LaunchBackend
    let artifacts: ArtifactStore
    let runtime: RuntimeDirectory?
    let options: ServerOptions
    let logger: Logger
    let signals = ServerSignals()
    let handler: APIHandler
    let authenticator: TokenAuthenticator
    let metrics = ServerMetrics()
    private let group = Mutex<ServiceGroup?>(nil)

    /// `runtime`: where this machine's enqueuers ring their doorbell, so local writes to the same store wake the
    /// server's waiting requests too.
    public init(backend: any LaunchBackend, artifacts: ArtifactStore, runtime: RuntimeDirectory?, options: ServerOptions, logger: Logger) {
        self.backend = backend
        self.artifacts = artifacts
        self.runtime = runtime
        self.options = options
        self.logger = logger
        authenticator = TokenAuthenticator(tokens: backend)
        handler = APIHandler(backend: backend, signals: signals, statuses: LiveAgentStatuses(), authenticator: authenticator,
                             version: options.version, metrics: metrics, maximumWait: options.maximumWait)
    }

    public func run(gracefulShutdownSignals: [UnixSignal] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        let routes = APIRoutes(server: self)
        routes.register(on: router)
        var configuration = ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "launchdeck/\(options.version)")
        configuration.backlog = 1024
        let server: HTTPServerBuilder
        if let certificate = options.tlsCertificate, let key = options.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(.http1(configuration: .init(idleTimeout: .seconds(90))), tlsConfiguration: tls)
        } else {
            server = .http1(configuration: .init(idleTimeout: .seconds(90)))
        }
        let app = Application(router: router, server: server, configuration: configuration,
                              onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        let maintenance = MaintenanceService(backend: backend, signals: signals, runtime: runtime, reclaimInterval: options.reclaimInterval,
                                             logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app, maintenance], gracefulShutdownSignals: gracefulShutdownSignals,
                                                      logger: logger))
        self.group.withLock { $0 = group }
        try await group.run()
    }

    /// As SIGTERM does: stop accepting, let the requests in flight finish, then `run` returns.
    public func shutdown() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }
}

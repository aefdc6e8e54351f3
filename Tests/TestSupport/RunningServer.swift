import Foundation
import LaunchAPI
import LaunchClient
import LaunchModel
import LaunchServer
import LaunchStore
import Logging

/// A `LaunchServer` on a free loopback port, with an admin token made directly in its store.
public final class RunningServer: Sendable {
    public let url: String
    public let adminToken: String
    let server: LaunchServer
    let task: Task<Void, any Error>

    init(url: String, adminToken: String, server: LaunchServer, task: Task<Void, any Error>) {
        self.url = url
        self.adminToken = adminToken
        self.server = server
        self.task = task
    }

    public static func start(store: SQLiteBackend, artifacts: ArtifactStore, maximumWait: Duration = .seconds(60)) async throws -> RunningServer {
        let secret = AccessToken.generate()
        try await store.createToken(APIToken(id: ItemID.make(), name: "admin", role: .admin, createdAt: Date()), secretHash: AccessToken.hash(secret))
        var options = ServerOptions()
        options.port = 0
        options.reclaimInterval = nil
        options.maximumWait = maximumWait
        var logger = Logger(label: "launchdeck.server.test")
        logger.logLevel = .warning
        let server = LaunchServer(backend: store, artifacts: artifacts, runtime: nil, options: options, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await server.run { port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw LaunchError.unavailable("the test server did not start") }
        return RunningServer(url: "http://127.0.0.1:\(port)", adminToken: secret, server: server, task: task)
    }

    public func client(token: String? = nil) throws -> HTTPBackend {
        try HTTPBackend(url: url, token: token ?? adminToken)
    }

    public func stop() {
        let server = self.server
        Task { await server.shutdown() }
    }
}

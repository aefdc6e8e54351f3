import ArgumentParser
import Foundation
import LaunchAPI
import LaunchModel
import LaunchServer
import LaunchStore
import Logging

/// `launchdeck server`: one set of queues for agents, CLIs and dashboards on many machines.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Serve the store over an authenticated HTTP API (/api/v1) for other machines.",
        discussion: """
            The first start makes an admin token, prints it once and keeps it in admin-token (mode 0600) beside the \
            database. Clients use --backend URL (or LAUNCHDECK_BACKEND) with LAUNCHDECK_TOKEN, or a profile. SIGTERM \
            stops accepting, lets requests in flight finish, and exits.
            """)
    @Option(help: ArgumentHelp("Address to listen on: HOST:PORT ([::1]:PORT for IPv6).", valueName: "host:port")) var listen = "127.0.0.1:7420"
    @Option(help: ArgumentHelp("The SQLite database (default: the data directory's launchdeck.db).", valueName: "path")) var db: String?
    @Option(help: ArgumentHelp("PEM certificate chain for HTTPS.", valueName: "file")) var tlsCert: String?
    @Option(help: ArgumentHelp("PEM private key for HTTPS.", valueName: "file")) var tlsKey: String?

    func run() async throws {
        var options = ServerOptions()
        options.version = Launchdeck.version
        (options.host, options.port) = try Self.parseListen(listen)
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationFailure([ValidationIssue(path: tlsCert == nil ? "--tls-cert" : "--tls-key", message: "--tls-cert and --tls-key go together")])
        }
        for (option, path) in [("--tls-cert", tlsCert), ("--tls-key", tlsKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationFailure([ValidationIssue(path: option, message: "\(path): cannot read")])
            }
        }
        options.tlsCertificate = tlsCert
        options.tlsKey = tlsKey
        let directory: DataDirectory
        let store: SQLiteBackend
        if let db {
            if db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") {
                throw ValidationFailure([ValidationIssue(path: "--db", message: "PostgreSQL is not supported by this version; give a SQLite file")])
            }
            let url = URL(fileURLWithPath: db)
            directory = DataDirectory(url: url.deletingLastPathComponent())
            try directory.create()
            store = try SQLiteBackend(path: url.path, doorbell: AgentDoorbell(runtime: RuntimeDirectory.resolve(for: directory)))
        } else {
            directory = DataDirectory.resolve()
            store = try SQLiteBackend(directory: directory)
        }
        if let reason = store.readOnlyReason {
            throw CommandExit(code: 1, message: "\(reason): a server records every request it takes, so it cannot start")
        }
        try await Self.firstAdminToken(store, directory: directory)

        var logger = Logger(label: "launchdeck.server")
        logger.logLevel = .info
        let server = LaunchServer(backend: store, artifacts: ArtifactStore(root: directory.artifactsURL),
                                  runtime: RuntimeDirectory.resolve(for: directory), options: options, logger: logger)
        let scheme = tlsCert == nil ? "http" : "https"
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        let path = store.path
        try await server.run(gracefulShutdownSignals: [.sigterm, .sigint]) { port in
            FileHandle.standardOutput.write(Data("launchdeck server listening on \(scheme)://\(host):\(port) (store: \(path))\n".utf8))
        }
        FileHandle.standardOutput.write(Data("launchdeck server stopped\n".utf8))
    }

    /// `127.0.0.1:7420`, `[::1]:7420`, `:7420` (all addresses).
    static func parseListen(_ text: String) throws -> (String, Int) {
        let invalid = ValidationFailure([ValidationIssue(path: "--listen", message: "expected HOST:PORT such as 127.0.0.1:7420, got \"\(text.escapedForMessage)\"")])
        guard let colon = text.lastIndex(of: ":") else { throw invalid }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        guard let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { throw invalid }
        return (host, port)
    }

    /// A store without tokens gets an admin token on the server's first start: printed once, and kept in a file
    /// only its owner can read.
    static func firstAdminToken(_ store: SQLiteBackend, directory: DataDirectory) async throws {
        guard try await store.tokens().isEmpty else { return }
        let reply = try await TokenIssuer.issue(CreateTokenRequest(name: "admin", role: .admin, queues: nil, expiresAt: nil), in: store)
        let file = directory.url.appendingPathComponent("admin-token")
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LaunchError.storage("cannot write \(file.path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data((reply.secret + "\n").utf8))
        fchmod(descriptor, 0o600)
        // Written at once: with stdout a file or a pipe, print's buffer would hold it until the server stops.
        FileHandle.standardOutput.write(Data("admin token (shown once; kept in \(file.path), mode 0600):\n\(reply.secret)\n".utf8))
    }
}

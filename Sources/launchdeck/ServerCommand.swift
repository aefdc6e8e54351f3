import ArgumentParser
import Foundation
import LaunchAPI
import LaunchModel
import LaunchPostgres
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
    @Option(help: ArgumentHelp("""
        The store: a SQLite file (default: the data directory's launchdeck.db), or a PostgreSQL database, \
        postgres://USER@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require], shared by every server given it.
        """, valueName: "path|url")) var db: String?
    @Option(help: ArgumentHelp("PostgreSQL's password, in a file only its owner can read (or PGPASSWORD; never in the URL).",
                               valueName: "file")) var dbPasswordFile: String?
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
        if let db, db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") {
            try await servePostgres(url: db, options: options)
            return
        }
        if dbPasswordFile != nil {
            throw ValidationFailure([ValidationIssue(path: "--db-password-file", message: "goes with a postgres:// --db")])
        }
        let directory: DataDirectory
        let store: SQLiteBackend
        if let db {
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
        try await serve(store, directory: directory, runtime: RuntimeDirectory.resolve(for: directory), storeName: store.path, options: options)
    }

    /// Several servers may share one database: each migrates it under an advisory lock (once between them), and the
    /// data directory keeps only what is this machine's: job code blobs and the admin token's file.
    private func servePostgres(url: String, options: ServerOptions) async throws {
        let location = try PostgresLocation(url: url)
        let password = try PostgresLocation.password(environment: ProcessInfo.processInfo.environment, passwordFile: dbPasswordFile)
        let directory = DataDirectory.resolve()
        try directory.create()
        var logger = Logger(label: "launchdeck.postgres")
        logger.logLevel = .info
        let backend = PostgresBackend(location: location, password: password, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await backend.run() }
            let migrated = try await Self.reachable(location) { try await backend.migrate() }
            if let version = migrated.max() {
                FileHandle.standardOutput.write(Data("migrated \(location.description) to schema version \(version)\n".utf8))
            }
            try await serve(backend, directory: directory, runtime: nil, storeName: location.description, options: options)
            group.cancelAll()
        }
    }

    /// The first query at start, given a while: the pool would otherwise wait for a database that never answers.
    private static func reachable<T: Sendable>(_ location: PostgresLocation, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { try await Task.sleep(for: .seconds(30)); return nil }
            defer { group.cancelAll() }
            guard let value = try await group.next() ?? nil else {
                throw CommandExit(code: 1, message: "PostgreSQL at \(location.description) did not answer within 30 s")
            }
            return value
        }
    }

    private func serve(_ store: any LaunchBackend, directory: DataDirectory, runtime: RuntimeDirectory?, storeName: String,
                       options: ServerOptions) async throws {
        try await Self.firstAdminToken(store, directory: directory)
        var logger = Logger(label: "launchdeck.server")
        logger.logLevel = .info
        let server = LaunchServer(backend: store, artifacts: ArtifactStore(root: directory.artifactsURL), runtime: runtime,
                                  options: options, logger: logger)
        let scheme = tlsCert == nil ? "http" : "https"
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        try await server.run(gracefulShutdownSignals: [.sigterm, .sigint]) { port in
            FileHandle.standardOutput.write(Data("launchdeck server listening on \(scheme)://\(host):\(port) (store: \(storeName))\n".utf8))
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
    /// With servers sharing a database, the first to start makes it; one starting at the same moment finds the name
    /// taken and leaves it.
    static func firstAdminToken(_ store: any LaunchBackend, directory: DataDirectory) async throws {
        guard try await store.tokens().isEmpty else { return }
        let reply: CreateTokenReply
        do {
            reply = try await TokenIssuer.issue(CreateTokenRequest(name: "admin", role: .admin, queues: nil, expiresAt: nil), in: store)
        } catch LaunchError.conflict {
            return
        }
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

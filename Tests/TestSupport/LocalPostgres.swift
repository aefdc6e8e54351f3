import Foundation
import LaunchPostgres
import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL cluster of `scripts/postgres-local`, for tests: its URL and password, and databases of a test's
/// own (`launchdeck_test_PID_...`), dropped afterwards; those a crashed test process left are dropped by the next.
public enum LocalPostgres {
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-local").path
    /// Errors only: postgres-nio warns when a pool is asked for a connection a moment before its `run()` starts.
    public static let logger: Logger = {
        var logger = Logger(label: "launchdeck.tests.postgres")
        logger.logLevel = .error
        return logger
    }()

    /// The cluster's URL (`sslmode=disable`: loopback) and password, or nil when it is not running (a printed
    /// skip, or an issue in CI: `RequiredComponent`).
    public static func cluster() throws -> (location: PostgresLocation, password: String)? {
        guard RequiredComponent.available("PostgreSQL (run scripts/postgres-local start)", probe: ["bash", script, "status"]) else { return nil }
        guard let (url, file) = try status() else { return nil }
        return (try PostgresLocation(url: url + "?sslmode=disable"), try PostgresLocation.password(environment: [:], passwordFile: file) ?? "")
    }

    /// The file holding the cluster's password, for a server's `--db-password-file`.
    public static func passwordFile() throws -> String? {
        try status()?.passwordFile
    }

    /// What `postgres-local status` prints: the URL and the password file.
    private static func status() throws -> (url: String, passwordFile: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", script, "status"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n").map(String.init)
        guard let url = lines.first(where: { $0.hasPrefix("postgres://") }),
              let file = lines.first(where: { $0.hasPrefix("password file: ") }).map({ String($0.dropFirst("password file: ".count)) })
        else { return nil }
        return (url, file)
    }

    @discardableResult
    public static func withClient<T: Sendable>(_ configuration: PostgresClient.Configuration,
                                               _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    private static let sweptLeftovers = Mutex(false)

    /// A new, empty database on the cluster.
    public static func createDatabase(_ cluster: (location: PostgresLocation, password: String)) async throws -> PostgresLocation {
        let name = "launchdeck_test_\(getpid())_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))"
        let sweep = sweptLeftovers.withLock { swept in defer { swept = true }; return !swept }
        try await withClient(cluster.location.configuration(password: cluster.password)) { client in
            if sweep {
                for try await database in try await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'launchdeck_test_%'",
                                                                 logger: logger).decode(String.self) {
                    let pid = database.split(separator: "_").dropFirst(2).first.flatMap { Int32($0) }
                    if let pid, pid != getpid(), kill(pid, 0) != 0 {
                        _ = try? await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"), logger: logger)
                    }
                }
            }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var location = cluster.location
        location.database = name
        return location
    }

    public static func dropDatabase(_ location: PostgresLocation, _ cluster: (location: PostgresLocation, password: String)) async throws {
        try await withClient(cluster.location.configuration(password: cluster.password)) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(location.database) WITH (FORCE)"), logger: logger)
        }
    }

    /// A database of the test's own for `body`, dropped afterwards; nothing runs (a skip) without the cluster.
    public static func withScratchDatabase(_ body: @Sendable (PostgresLocation, String) async throws -> Void) async throws {
        guard let cluster = try cluster() else { return }
        let scratch = try await createDatabase(cluster)
        do {
            try await body(scratch, cluster.password)
        } catch {
            try? await dropDatabase(scratch, cluster)
            throw error
        }
        try await dropDatabase(scratch, cluster)
    }
}

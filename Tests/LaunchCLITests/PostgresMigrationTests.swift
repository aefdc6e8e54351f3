import Foundation
import LaunchModel
import LaunchPostgres
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL backend's first parts against the real cluster of `scripts/postgres-local`: where the database is
/// (no password in a URL or a file others can read), and migrations that servers starting together apply once.
@Suite struct PostgresMigrationTests {
    static let logger = Logger(label: "launchdeck.tests.postgres")

    /// The local cluster's URL and password, or nil (skipped, or an issue in CI) when it is not running.
    static func cluster() throws -> (location: PostgresLocation, password: String)? {
        guard RequiredComponent.available("PostgreSQL (run scripts/postgres-local start)",
                                          probe: ["bash", PostgresLocalTests.script, "status"]) else { return nil }
        let lines = try PostgresLocalTests.run(["bash", PostgresLocalTests.script, "status"]).output.split(separator: "\n").map(String.init)
        guard let url = lines.first(where: { $0.hasPrefix("postgres://") }),
              let file = lines.first(where: { $0.hasPrefix("password file: ") }).map({ String($0.dropFirst("password file: ".count)) })
        else { return nil }
        return (try PostgresLocation(url: url + "?sslmode=disable"), try PostgresLocation.password(environment: [:], passwordFile: file) ?? "")
    }

    @discardableResult
    static func withClient<T: Sendable>(_ configuration: PostgresClient.Configuration, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// A database of the test's own, dropped afterwards.
    static func withScratchDatabase(_ body: @Sendable (PostgresLocation, String) async throws -> Void) async throws {
        guard let (location, password) = try cluster() else { return }
        let name = "launchdeck_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await withClient(location.configuration(password: password)) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var scratch = location
        scratch.database = name
        let drop = { @Sendable in
            try await withClient(location.configuration(password: password)) { client in
                _ = try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
            }
        }
        do {
            try await body(scratch, password)
        } catch {
            _ = try? await drop()
            throw error
        }
        try await drop()
    }

    @Test func serversStartingTogetherMigrateOnce() async throws {
        try await Self.withScratchDatabase { location, password in
            let configuration = location.configuration(password: password)
            let runs = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Self.withClient(configuration) { try await PostgresMigrations.migrate($0, logger: Self.logger) } }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            let every = PostgresMigrations.all.map(\.version)
            #expect(runs.filter { !$0.isEmpty } == [every], "one of four applied every version, the others none: \(runs)")
            try await Self.withClient(configuration) { client in
                #expect(try await PostgresMigrations.migrate(client, logger: Self.logger).isEmpty)
                var versions: [Int] = []
                for try await version in try await client.query("SELECT version FROM launchdeck_migrations ORDER BY version", logger: Self.logger).decode(Int.self) {
                    versions.append(version)
                }
                #expect(versions == every)
                var tables: [String] = []
                for try await table in try await client.query("""
                    SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
                    """, logger: Self.logger).decode(String.self) {
                    tables.append(table)
                }
                #expect(tables == ["agents", "api_tokens", "deleted_queues", "item_leases", "item_logs", "items", "jobs",
                                   "launchdeck_migrations", "queues", "store_health"])
            }
        }
    }

    /// The change feed's tag: every update of a row records the transaction that made it, later than the insert's.
    @Test func everyUpdateTagsTheRowWithItsTransaction() async throws {
        try await Self.withScratchDatabase { location, password in
            try await Self.withClient(location.configuration(password: password)) { client in
                try await PostgresMigrations.migrate(client, logger: Self.logger)
                try await client.query("""
                    INSERT INTO queues (name, target, config_text, created_at) VALUES ('gpu', 'local-process', '', now())
                    """, logger: Self.logger)
                func tag() async throws -> String {
                    var found = ""
                    for try await value in try await client.query("SELECT changed_xid::text FROM queues WHERE name = 'gpu'", logger: Self.logger).decode(String.self) {
                        found = value
                    }
                    return found
                }
                let inserted = try await tag()
                try await client.query("UPDATE queues SET paused = true WHERE name = 'gpu'", logger: Self.logger)
                let updated = try await tag()
                #expect(UInt64(updated)! > UInt64(inserted)!, "\(inserted) then \(updated)")
            }
        }
    }

    @Test func theURLNeverCarriesThePasswordAndItsFileIsTheOwnersOnly() throws {
        let location = try PostgresLocation(url: "postgres://launchdeck@db.example:6543/queues?sslmode=require")
        #expect(location.host == "db.example" && location.port == 6543 && location.user == "launchdeck" && location.database == "queues")
        #expect(location.sslMode == .require)
        #expect(try PostgresLocation(url: "postgresql://me@localhost/x").port == 5432)
        for bad in ["postgres://me:secret@localhost/x", "mysql://me@localhost/x", "postgres://localhost/x", "postgres://me@localhost/",
                    "postgres://me@localhost/x?sslmode=maybe", "postgres://me@localhost/x?password=p"] {
            #expect(throws: LaunchError.self, "\(bad)") { try PostgresLocation(url: bad) }
        }
        #expect(throws: LaunchError.self) { try PostgresLocation(url: "postgres://me:secret@localhost/x") }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("launchdeck-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("password").path
        try "s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect(throws: LaunchError.self, "a password file others can read is refused") {
            try PostgresLocation.password(environment: [:], passwordFile: file)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        #expect(try PostgresLocation.password(environment: [:], passwordFile: file) == "s3cret")
        #expect(try PostgresLocation.password(environment: ["PGPASSWORD": "from-env"], passwordFile: file) == "from-env")
        #expect(try PostgresLocation.password(environment: [:], passwordFile: nil) == nil)
        #expect(!location.description.contains("s3cret"))
    }
}

import Foundation
import LaunchModel
import LaunchPostgres
import Logging
import PostgresNIO
import Testing
import TestSupport

/// The PostgreSQL backend's first parts against the real cluster of `scripts/postgres-local`: where the database is
/// (no password in a URL or a file others can read), and migrations that servers starting together apply once.
@Suite struct PostgresMigrationTests {
    static let logger = LocalPostgres.logger

    @Test func serversStartingTogetherMigrateOnce() async throws {
        try await LocalPostgres.withScratchDatabase { location, password in
            let configuration = location.configuration(password: password)
            let runs = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await LocalPostgres.withClient(configuration) { try await PostgresMigrations.migrate($0, logger: Self.logger) } }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            let every = PostgresMigrations.all.map(\.version)
            #expect(runs.filter { !$0.isEmpty } == [every], "one of four applied every version, the others none: \(runs)")
            try await LocalPostgres.withClient(configuration) { client in
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
                #expect(tables == ["agents", "api_tokens", "item_logs", "items", "jobs",
                                   "launchdeck_migrations", "queues", "store_health"])
            }
        }
    }

    /// The change feed's tag: every update of a row records the transaction that made it, later than the insert's.
    @Test func everyUpdateTagsTheRowWithItsTransaction() async throws {
        try await LocalPostgres.withScratchDatabase { location, password in
            try await LocalPostgres.withClient(location.configuration(password: password)) { client in
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

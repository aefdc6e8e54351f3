import ArgumentParser
import Foundation
import LaunchAPI
import LaunchModel
import LaunchPostgres
import LaunchStore
import Logging

/// `launchdeck migrate`: an embedded store copied into PostgreSQL, for a team that grows from one machine to servers.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Copy an embedded store (SQLite) into an empty PostgreSQL database for launchdeck server.",
        discussion: """
            Jobs and their versions, queues, items with their logs, agents and API tokens are copied as they are (ids, \
            order, states, attempts), in one transaction: on any error the database is left as it was. The source is \
            read from one snapshot and never changed, so it can stay in use meanwhile; what is written to it after \
            the copy began is not copied. Job code stays in the data directory's blob store: start the servers with \
            that data directory (LAUNCHDECK_HOME) or copy its artifacts/ beside them.
            """)

    @Option(help: ArgumentHelp("The SQLite store (default: the data directory's launchdeck.db).", valueName: "path")) var from: String?
    @Option(help: ArgumentHelp("The PostgreSQL database: postgres://USER@HOST[:PORT]/DATABASE[?sslmode=...].", valueName: "url")) var to: String
    @Option(help: ArgumentHelp("Its password, in a file only its owner can read (or PGPASSWORD; never in the URL).", valueName: "file"))
    var toPasswordFile: String?

    func run() async throws {
        let location = try PostgresLocation(url: to)
        let password = try PostgresLocation.password(environment: ProcessInfo.processInfo.environment, passwordFile: toPasswordFile)
        let path = from ?? DataDirectory.resolve().databaseURL.path
        let source = try SQLiteStoreExport(path: path)
        var logger = Logger(label: "launchdeck.migrate")
        // postgres-nio warns of a lease that came before its pool's run() started, which is harmless here.
        logger.logLevel = .error
        let target = PostgresBackend(location: location, password: password, connections: 2, logger: logger)
        let started = ContinuousClock.now
        let counts = try await withThrowingTaskGroup(of: [String: Int]?.self) { group in
            group.addTask { await target.run(); return nil }
            defer { group.cancelAll() }
            try await target.migrate()
            return try await target.copy(from: source, pageSize: 1000)
        }
        let names = ["jobs": "job versions", "queues": "queues", "items": "items", "item_logs": "log lines", "agents": "agents", "api_tokens": "tokens"]
        let summary = StoreTable.all.map { "\(names[$0.name] ?? $0.name) \(counts[$0.name] ?? 0)" }.joined(separator: ", ")
        let seconds = (ContinuousClock.now - started).milliseconds / 1000
        print("copied \(path) into \(location.description) in \(String(format: "%.1f", seconds)) s: \(summary)")
    }
}

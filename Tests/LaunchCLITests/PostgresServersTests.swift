import Foundation
import LaunchPostgres
import TestSupport
import Testing

/// Servers side by side on one PostgreSQL database, through the real binaries: agents spread over them, and each
/// part (a server, the database itself) killed mid-burst. The servers share one data directory, as they would share
/// a volume for job code (blobs stay in the blob store; the queue state is in the database).
@Suite(.serialized) struct PostgresServersTests {
    /// `launchdeck server --db URL --db-password-file FILE` against `cluster`, on `home` (shared) and `listen`.
    static func server(_ cluster: (location: PostgresLocation, passwordFile: String), home: LaunchdeckProcess? = nil,
                       listen: String = "127.0.0.1:0") async throws -> ServerProcess {
        try await ServerProcess.start(home: home, listen: listen, extra: [
            "--db", cluster.location.description + "?sslmode=disable", "--db-password-file", cluster.passwordFile,
        ])
    }

    /// A database of the test's own on the local cluster, and the cluster's password file.
    static func scratchDatabase() async throws -> (location: PostgresLocation, passwordFile: String, drop: @Sendable () async -> Void)? {
        guard let cluster = try LocalPostgres.cluster() else { return nil }
        let location = try await LocalPostgres.createDatabase(cluster)
        let file = try #require(try LocalPostgres.passwordFile())
        return (location, file, { try? await LocalPostgres.dropDatabase(location, cluster) })
    }

    /// Job `t` (code from a directory: its blob goes through the shared data directory) and queue `q`.
    static func makeJobAndQueue(_ admin: LaunchdeckProcess) async throws {
        _ = try admin.write("job/run.sh", "true\n")
        let created = try await admin.run("job", "create", "t", "--dir", admin.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try await admin.run("queue", "create", "q", "--target", "local-process").status == 0)
    }

    @Test func twoServersFourAgentsTwoThousandItemsEachRunOnce() async throws {
        guard let database = try await Self.scratchDatabase() else { return }
        let a = try await Self.server((database.location, database.passwordFile))
        let b = try await Self.server((database.location, database.passwordFile), home: a.home)
        defer { a.process.terminate(); b.process.terminate() }
        let admin = try a.client()
        try await Self.makeJobAndQueue(admin)
        let agents = try [a, a, b, b].enumerated().map { index, server in
            try server.client().startAgent(queues: ["q"], maxJobs: 4, name: "agent-\(index)")
        }
        defer { for agent in agents { agent.terminate() } }
        // Enqueued through both servers at once.
        let writers = try [a, b].map { server in
            let client = try server.client()
            return try client.start(["debug", "enqueue-burst", "--job", "t", "--queue", "q", "--count", "1000"],
                                    stdout: client.home.appendingPathComponent("burst.out"), stderr: client.home.appendingPathComponent("burst.err"))
        }
        for writer in writers { await writer.exited() }
        #expect(writers.allSatisfy { $0.terminationStatus == 0 })
        let finished = await eventually(timeout: 300, every: 1) {
            let items = (try? await admin.items()) ?? [:]
            return items.count == 2_000 && items.values.allSatisfy { ($0["state"] as? String) == "succeeded" }
        }
        let items = try await admin.items()
        #expect(finished, "\(items.values.reduce(into: [String: Int]()) { $0[$1["state"] as? String ?? "?", default: 0] += 1 })")
        #expect(items.count == 2_000, "none lost")
        #expect(items.values.allSatisfy { ($0["attempts"] as? Int) == 1 }, "none leased twice")
        // Every agent took part, whichever server it talks to.
        let byAgent = Dictionary(grouping: items.values, by: { $0["agent"] as? String ?? "?" })
        #expect(byAgent.count == 4, "\(byAgent.mapValues(\.count))")
        for agent in agents { agent.terminate() }
        await database.drop()
    }
}

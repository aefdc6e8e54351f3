import Foundation
import LaunchPostgres
import TestSupport
import Subprocess
import SystemPackage
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

/// The database itself stopped as a crash would (`pg_ctl stop -m immediate`) mid-burst, on a cluster of the test's
/// own (the shared one serves the other tests meanwhile), and one server killed with SIGKILL mid-burst.
@Suite(.serialized) struct PostgresCrashTests {
    /// A cluster in a scratch directory on its own port, for as long as `body` runs.
    static func withOwnCluster(_ body: (_ cluster: (location: PostgresLocation, passwordFile: String),
                                        _ control: @escaping @Sendable (String...) async throws -> Void) async throws -> Void) async throws {
        guard try LocalPostgres.cluster() != nil else { return }
        let directory = TestScratch.directory("postgres-crash")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = 56_000 + Int(getpid() % 1_000)
        var settings: [Subprocess.Environment.Key: String?] = ["LAUNCHDECK_POSTGRES_DIR": directory.path, "LAUNCHDECK_POSTGRES_PORT": String(port)]
        for key in ProcessInfo.processInfo.environment.keys where key.hasPrefix("PG") { settings[.init(stringLiteral: key)] = .some(nil) }
        let environment = settings
        let log = directory.appendingPathComponent("control.log").path
        // Output to a file and Subprocess's wait, not Foundation's Process: the server pg_ctl starts inherits what
        // the script had open, so neither a pipe nor Process's own termination socket would ever close.
        let control: @Sendable (String...) async throws -> Void = { arguments in
            let output = try FileDescriptor.open(FilePath(log), .writeOnly, options: [.create, .truncate], permissions: .ownerReadWrite)
            let result = try await Subprocess.run(.path("/usr/bin/env"), arguments: Arguments(["bash", LocalPostgres.script] + arguments),
                                                  environment: .inherit.updating(environment),
                                                  output: .fileDescriptor(output, closeAfterSpawningProcess: true), error: .combinedWithOutput)
            guard case .exited(0) = result.terminationStatus else {
                throw LaunchdeckProcess.Failure(message: "postgres-local \(arguments): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
        }
        try await control("start")
        let location = try PostgresLocation(url: "postgres://launchdeck@127.0.0.1:\(port)/launchdeck?sslmode=disable")
        do {
            try await body((location, directory.appendingPathComponent("password").path), control)
        } catch {
            try? await control("stop", "--immediate")
            throw error
        }
        try await control("stop", "--immediate")
    }

    @Test func everyAcknowledgedEnqueueSurvivesAKilledServerAndACrashedDatabaseOnce() async throws {
        try await Self.withOwnCluster { cluster, control in
            var a = try await PostgresServersTests.server(cluster)
            let b = try await PostgresServersTests.server(cluster, home: a.home)
            defer { a.process.terminate(); b.process.terminate() }
            let admin = try b.client()
            try await PostgresServersTests.makeJobAndQueue(admin)
            // One agent on each server: the one on a finds it gone and back; both see PostgreSQL gone and back.
            let agents = try [a.client().startAgent(queues: ["q"], maxJobs: 4, name: "on-a"),
                              b.client().startAgent(queues: ["q"], maxJobs: 4, name: "on-b")]
            defer { for agent in agents { agent.terminate() } }

            // Four writers, two on each server, one transaction per item, each id printed once acknowledged; small bursts, as
            // the test runs beside the whole suite on two cores.
            func burst(_ round: Int) throws -> (writers: [Process], acknowledged: () -> [String]) {
                let clients = try [a, a, b, b].map { try $0.client() }
                let writers = try clients.map { client in
                    try client.start(["debug", "enqueue-burst", "--job", "t", "--queue", "q", "--count", "120", "--retry-for", "60"],
                                     stdout: client.home.appendingPathComponent("burst-\(round).out"),
                                     stderr: client.home.appendingPathComponent("burst-\(round).err"))
                }
                return (writers, {
                    clients.flatMap { client in
                        ((try? String(contentsOf: client.home.appendingPathComponent("burst-\(round).out"), encoding: .utf8)) ?? "")
                            .split(separator: "\n").map(String.init).filter { $0.count == 26 }
                    }
                })
            }

            // 1: server a killed mid-burst and started again on its address; its writers' retries reach it there.
            let first = try burst(1)
            #expect(await eventually(timeout: 60, every: 0.01) { first.acknowledged().count >= 100 })
            kill(a.process.processIdentifier, SIGKILL)
            await a.process.exited()
            a = try await PostgresServersTests.server(cluster, home: a.home, listen: a.address)
            for writer in first.writers { await writer.exited() }

            // 2: PostgreSQL stopped at once mid-burst, then started again: both servers reconnect by themselves.
            let second = try burst(2)
            #expect(await eventually(timeout: 60, every: 0.01) { second.acknowledged().count >= 100 })
            try await control("stop", "--immediate")
            try await Task.sleep(for: .seconds(1))
            try await control("start")
            for writer in second.writers { await writer.exited() }

            let ids = first.acknowledged() + second.acknowledged()
            #expect(Set(ids).count == ids.count, "no id acknowledged twice")
            #expect(first.writers.allSatisfy { $0.terminationStatus == 0 } && second.writers.allSatisfy { $0.terminationStatus == 0 },
                    "every writer finished its burst through the outages (retrying with its idempotency keys)")
            let stored = try await admin.items()
            for id in ids { #expect(stored[id] != nil, "acknowledged \(id) is missing") }
            #expect(stored.count == ids.count, "\(stored.count) stored for \(ids.count) acknowledged: retried enqueues were stored once")
            // And the agent carries on: everything runs.
            #expect(await eventually(timeout: 240, every: 1) {
                ((try? await admin.items()) ?? [:]).values.allSatisfy { ($0["state"] as? String) == "succeeded" }
            })
        }
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import LaunchPostgres
import LaunchStore
import Logging
import Testing
import TestSupport

/// `launchdeck migrate`'s copy from an embedded store into PostgreSQL, against the real cluster: every record reads
/// back equal through the contract, the queues go on in the order they had, and a database that holds anything is
/// refused with nothing changed.
@Suite struct StoreCopyTests {
    /// A store with one of everything a team has after a while: job versions, a paused queue with an edited config,
    /// items queued at several priorities, running with logs and progress, succeeded, failed, cancelled and
    /// relaunched, agents (one asked to stop), and tokens (one revoked).
    static func busyStore(at path: String) async throws -> SQLiteBackend {
        let store = try SQLiteBackend(path: path)
        let code = JobSpec(source: .image(reference: "python:3.12"), entrypoint: ["python", "train.py"])
        _ = try await store.createJob(name: "train", spec: code)
        _ = try await store.createJob(name: "train", spec: JobSpec(source: .image(reference: "python:3.13"), entrypoint: ["python", "train.py"]))
        _ = try await store.createJob(name: "eval", spec: JobSpec(source: .image(reference: "alpine"), entrypoint: ["sh", "-c", "echo ok"]))
        _ = try await store.createQueue(name: "gpu", target: .localProcess, config: try QueueConfig.parse("max_attempts: 2\n", target: .localProcess))
        _ = try await store.updateQueueConfig(name: "gpu", config: try QueueConfig.parse("max_attempts: 3\n", target: .localProcess), expectedVersion: 1)
        _ = try await store.createQueue(name: "cpu", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        _ = try await store.setQueuePaused(name: "cpu", paused: true)

        let now = Date()
        // Heartbeats dated a day ahead: a read shows an agent whose heartbeat is 30 s old as lost, and on two cores
        // busy with the whole suite the reads before and after the copy have been more than 30 s apart.
        for (id, name) in [("agent-a", "gpu-box"), ("agent-b", "laptop")] {
            try await store.registerAgent(Agent(id: id, name: name, host: "\(name).lab", queues: ["gpu"], maxJobs: 2, version: "1.0",
                                                startedAt: now, lastHeartbeat: now.addingTimeInterval(86_400),
                                                environment: AgentEnvironment(hostname: "\(name).lab", cpuCount: 8, pid: 42, queues: ["gpu"])))
        }
        _ = try await store.requestAgentStop("laptop")

        var requests: [EnqueueRequest] = []
        for index in 0..<12 {
            requests.append(EnqueueRequest(job: try JobReference(parsing: index % 3 == 0 ? "eval" : "train:v\(index % 2 + 1)"), queue: "gpu",
                                           priority: [.low, .normal, .high][index % 3], hyperparameters: ["lr": .double(Double(index) / 10), "epochs": .int(index)],
                                           idempotencyKey: index == 4 ? "key-4" : nil))
        }
        _ = try await store.enqueue(batch: requests)
        _ = try await store.enqueue(EnqueueRequest(job: try JobReference(parsing: "eval"), queue: "cpu"))

        let leased = try await store.lease(agent: "agent-a", queues: ["gpu"], max: 4, leaseFor: 600)
        let attempts = leased.compactMap(\.currentAttempt)
        for attempt in attempts { try await store.reportState(attempt, to: .running, exitCode: nil, error: nil) }
        try await store.appendLog(attempts[0], stream: .stdout, lines: (1...50).map { "epoch \($0) loss=\(1.0 / Double($0))" })
        try await store.appendLog(attempts[0], stream: .stderr, lines: ["warning: \u{1B}[31mred\u{1B}[0m", "ünïcödé ✓"])
        try await store.reportProgress(attempts[0], phase: "train", current: 50, total: 100, message: "epoch 50")
        _ = try await store.reportState(attempts[1], to: .succeeded, exitCode: 0, error: nil)
        try await store.appendLog(attempts[2], stream: .stdout, lines: ["Traceback: boom"])
        _ = try await store.reportState(attempts[2], to: .failed, exitCode: 3, error: "exit status 3")
        _ = try await store.relaunch(itemID: leased[2].id, idempotencyKey: "relaunch-1")
        let queued = try await store.items(ItemFilter(queue: "gpu", states: [.queued]))
        _ = try await store.cancel(itemID: queued[0].id)

        try await store.createToken(APIToken(id: ItemID.make(), name: "ci", role: .operator, queues: ["gpu"], createdAt: now,
                                             expiresAt: now.addingTimeInterval(86_400)), secretHash: AccessToken.hash("ldk_ci"))
        try await store.createToken(APIToken(id: ItemID.make(), name: "old", role: .agent, createdAt: now), secretHash: AccessToken.hash("ldk_old"))
        _ = try await store.revokeToken("old")
        return store
    }

    /// Everything a client can read of a store, as JSON with dates at the microseconds PostgreSQL keeps.
    static func everything(_ backend: any LaunchBackend) async throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
        }
        func text<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var records: [String: String] = [:]
        let jobs = try await backend.jobs()
        records["jobs"] = try text(jobs)
        for job in jobs { records["versions \(job.name)"] = try text(try await backend.jobVersions(name: job.name)) }
        records["queues"] = try text(try await backend.queues())
        records["depths"] = try text(try await backend.queueDepths())
        let items = try await backend.items(ItemFilter())
        records["items"] = try text(items)
        for item in items {
            records["item \(item.id)"] = try text(try await backend.item(id: item.id))
            records["logs \(item.id)"] = try text(try await backend.logs(itemID: item.id, tail: nil))
            records["relaunches \(item.id)"] = try text(try await backend.relaunches(of: item.id))
        }
        records["agents"] = try text(try await backend.agents())
        records["tokens"] = try text(try await backend.tokens())
        for secret in ["ldk_ci", "ldk_old"] {
            records["token \(secret)"] = try text(try await backend.token(secretHash: AccessToken.hash(secret))?.token)
        }
        return records
    }

    @Test func everyRecordReadsBackEqualAfterTheCopy() async throws {
        try await LocalPostgres.withScratchDatabase { location, password in
            let directory = TestScratch.directory("store-copy")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("launchdeck.db").path
            let source = try await Self.busyStore(at: path)
            let before = try await Self.everything(source)

            let target = PostgresBackend(location: location, password: password, connections: 4, logger: LocalPostgres.logger)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await target.run() }
                defer { group.cancelAll() }
                try await target.migrate()
                let export = try SQLiteStoreExport(path: path)
                // Pages of 5 so that both paged tables take several.
                let counts = try await target.copy(from: export, pageSize: 5)
                var held: [String: Int] = [:]
                for table in StoreTable.all { held[table.name] = try await export.rows(of: table, after: nil, limit: 10_000).count }
                #expect(counts == held && held["items"] == 14 && held["jobs"] == 3 && held["queues"] == 2 && held["agents"] == 2
                        && held["api_tokens"] == 2 && (held["item_logs"] ?? 0) > 53, "\(counts) for \(held)")
                let after = try await Self.everything(target)
                #expect(after.keys.sorted() == before.keys.sorted())
                for key in before.keys.sorted() {
                    #expect(after[key] == before[key], "\(key) differs after the copy")
                }
                // Positions came along: both lease the same items in the same order, and a new item comes after them.
                let waitingHigh = try await target.items(ItemFilter(queue: "gpu", states: [.queued])).filter { $0.priority == .high }.count
                let fresh = try await target.enqueue(EnqueueRequest(job: try JobReference(parsing: "eval"), queue: "gpu", priority: .high))
                let fromSource = try await source.lease(agent: "agent-a", queues: ["gpu"], max: 20, leaseFor: 60).map(\.id)
                let fromTarget = try await target.lease(agent: "agent-a", queues: ["gpu"], max: 20, leaseFor: 60).map(\.id)
                #expect(fromSource.count >= 6)
                #expect(fromTarget.filter { $0 != fresh.id } == fromSource)
                #expect(fromTarget.firstIndex(of: fresh.id) == waitingHigh, "the new item after the copied ones of its priority")
            }
        }
    }

    @Test func aDatabaseThatHoldsAnythingIsRefusedAndKeptAsItWas() async throws {
        try await LocalPostgres.withScratchDatabase { location, password in
            let directory = TestScratch.directory("store-copy-refused")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("launchdeck.db").path
            _ = try await Self.busyStore(at: path)
            let target = PostgresBackend(location: location, password: password, connections: 2, logger: LocalPostgres.logger)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await target.run() }
                defer { group.cancelAll() }
                try await target.migrate()
                _ = try await target.createQueue(name: "theirs", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
                let error = await #expect(throws: LaunchError.self) { try await target.copy(from: try SQLiteStoreExport(path: path), pageSize: 5) }
                #expect("\(error.map { "\($0)" } ?? "")".contains("empty database only"))
                #expect(try await target.queues().map(\.name) == ["theirs"])
                let jobs = try await target.jobs(), items = try await target.items(ItemFilter())
                #expect(jobs.isEmpty && items.isEmpty)
            }
        }
    }

    @Test func aMissingStoreIsAnErrorNotANewFile() throws {
        let path = TestScratch.directory("no-store").appendingPathComponent("launchdeck.db").path
        #expect(throws: LaunchError.self) { try SQLiteStoreExport(path: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

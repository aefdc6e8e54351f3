import Foundation
import LaunchAPI
import LaunchModel
import LaunchPostgres
import Logging
import PostgresNIO

/// The PostgreSQL backend against a real server (`--postgres URL`, password from PGPASSWORD or
/// `--postgres-password-file`), in a scratch database made for the run and dropped after it: enqueue one at a time
/// and in batches, lease+finish with 1 and 8 agent connections, an enqueue through one server heard by another
/// through NOTIFY, and `changes(since:)` over a large table.
enum PostgresBench {
    static func run(into report: inout BenchReport, url: String, passwordFile: String?, rows: Int) async throws {
        var base = try PostgresLocation(url: url)
        let password = try PostgresLocation.password(environment: ProcessInfo.processInfo.environment, passwordFile: passwordFile)
        let logger: Logger = {
            var logger = Logger(label: "launchdeck.bench.postgres")
            logger.logLevel = .error
            return logger
        }()
        let name = "launchdeck_bench_\(getpid())"
        try await admin(base, password, logger, "CREATE DATABASE \(name)")
        let maintenance = base
        base.database = name
        let location = base
        do {
            report.results += try await measureAll(location, password, logger, rows: rows)
        } catch {
            try? await admin(maintenance, password, logger, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
        try await admin(maintenance, password, logger, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    static func measureAll(_ location: PostgresLocation, _ password: String?, _ logger: Logger, rows: Int) async throws -> [BenchResult] {
        let group = "postgres"
        return try await withBackends(2, location, password, logger) { backends -> [BenchResult] in
            var results: [BenchResult] = []
            let (server, other) = (backends[0], backends[1])
            try await server.migrate()
            try await StoreBench.prepare(server, queues: ["bench", "lease-1", "lease-8", "pool-1", "pool-8", "wake", "poll"])

            let (single, latency) = try await StoreBench.enqueueOneByOne(server)
            results.append(BenchResult(group: group, name: "enqueue, one per transaction", unit: "items/s", median: single,
                                       note: String(format: "latency p50 %.2f ms, p99 %.2f ms", latency.median, latency.p99)))
            let (_, batched) = try await measure {
                for _ in 0..<10 { _ = try await server.enqueue(batch: Array(repeating: StoreBench.request, count: 1000)) }
            }
            results.append(BenchResult(group: group, name: "enqueue, batches of 1000", unit: "items/s", median: 10_000 / batched))

            // Each agent connection a backend of its own with one connection (as if each agent were a server), leasing one
            // item at a time and reporting it running, then succeeded: the figures of earlier builds, kept to compare.
            for agents in [1, 8] {
                var request = StoreBench.request
                request.queue = "lease-\(agents)"
                let total = 4000
                let queue = request.queue
                _ = try await server.enqueue(batch: Array(repeating: request, count: total))
                let (ids, seconds) = try await measure {
                    try await withBackends(agents, location, password, logger, connections: 1) { workers in
                        try await withThrowingTaskGroup(of: [String].self) { tasks in
                            for (index, worker) in workers.enumerated() {
                                tasks.addTask { try await leaseAndFinish(worker, agent: "bench-\(agents)-\(index)", queue: queue) }
                            }
                            return try await tasks.reduce(into: []) { $0 += $1 }
                        }
                    }
                }
                let whole = ids.count == total && Set(ids).count == total
                results.append(BenchResult(group: group, name: "lease+finish, \(agents) agent connection\(agents == 1 ? "" : "s"), a backend each",
                                           unit: "items/s", median: Double(ids.count) / seconds, goal: "0 duplicates", met: whole,
                                           note: whole ? nil : "\(ids.count - Set(ids).count) duplicates, \(total - Set(ids).count) lost"))
            }

            // As in shared mode: agents' requests reach one server, whose backend holds a pool of connections (8 here),
            // and each agent runs `slots` items at once, leasing as many as it has free (as `AgentRunner` does) and
            // reporting each running, then succeeded, as it goes.
            for agents in [1, 8] {
                var request = StoreBench.request
                request.queue = "pool-\(agents)"
                let total = agents == 1 ? 4000 : 20_000
                let queue = request.queue
                _ = try await server.enqueue(batch: Array(repeating: request, count: total))
                let (ids, seconds) = try await measure {
                    try await withBackends(1, location, password, logger, connections: 8) { pool in
                        try await withThrowingTaskGroup(of: [String].self) { tasks in
                            for index in 0..<agents {
                                tasks.addTask { try await runAgent(pool[0], agent: "pool-\(agents)-\(index)", queue: queue, slots: Self.slots) }
                            }
                            return try await tasks.reduce(into: []) { $0 += $1 }
                        }
                    }
                }
                let whole = ids.count == total && Set(ids).count == total
                let rate = Double(ids.count) / seconds
                results.append(BenchResult(group: group, name: "lease+finish, \(agents) agent\(agents == 1 ? "" : "s") of \(Self.slots) slots, one pool of 8",
                                           unit: "items/s", median: rate, goal: agents == 8 ? ">= 5000, 0 duplicates" : "0 duplicates",
                                           met: whole && (agents == 1 || rate >= 5000),
                                           note: whole ? nil : "\(ids.count - Set(ids).count) duplicates, \(total - Set(ids).count) lost"))
            }

            // An enqueue committed through one server, heard by the other's LISTEN connection: the wake-up of its
            // waiting leases and long polls. A pair of its own, so nothing the runs above announced is still queued.
            let wake = try await withBackends(2, location, password, logger) { pair -> Samples in
                let (writer, listener) = (pair[0], pair[1])
                var heard = listener.writesElsewhere.makeAsyncIterator()
                // The first thing a listener says once it listens: look again (for what it missed before).
                _ = await heard.next()
                var wake = Samples()
                var request = StoreBench.request
                request.queue = "wake"
                for _ in 0..<200 {
                    try await Task.sleep(for: .milliseconds(10))
                    let started = ContinuousClock.now
                    _ = try await writer.enqueue(request)
                    while let kind = await heard.next(), kind != .work {}
                    wake.add((ContinuousClock.now - started).milliseconds)
                }
                return wake
            }
            results.append(BenchResult(group: group, name: "enqueue -> another server woken (NOTIFY), 200 items", unit: "ms",
                                       median: wake.median, p99: wake.p99, goal: "p50 < 10", met: wake.median < 10,
                                       note: "from the enqueue call to the other server hearing it, commit included"))

            var pollRequest = StoreBench.request
            pollRequest.queue = "poll"
            for start in stride(from: 0, to: rows, by: 10_000) {
                _ = try await server.enqueue(batch: Array(repeating: pollRequest, count: min(10_000, rows - start)))
            }
            let cursor = try await server.changes(since: 0, includingItems: false).cursor
            _ = try await server.enqueue(batch: Array(repeating: pollRequest, count: 10))
            let stored = try await server.queueDepths().values.reduce(0) { $0 + $1.total }
            var poll = Samples()
            for _ in 0..<20 {
                let (changes, seconds) = try await measure { try await other.changes(since: cursor) }
                guard changes.items.count == 10 else {
                    throw CommandExit(code: 1, message: "bench: changes(since:) returned \(changes.items.count) items, not the 10 changed")
                }
                poll.add(seconds * 1000)
            }
            results.append(BenchResult(group: group, name: "changes(since:) with \(stored) rows, 10 changed", unit: "ms",
                                       median: poll.median, p99: poll.p99))
            return results
        }
    }

    /// Leases one at a time until the queue is empty twice running, reporting each item running then succeeded.
    static func leaseAndFinish(_ backend: PostgresBackend, agent: String, queue: String) async throws -> [String] {
        var ids: [String] = []
        var idle = 0
        while idle < 2 {
            guard let item = try await backend.lease(agent: agent, queues: [queue], max: 1, leaseFor: 60).first, let attempt = item.currentAttempt else {
                idle += 1
                continue
            }
            idle = 0
            try await backend.reportState(attempt, to: .running, exitCode: nil, error: nil)
            try await backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil)
            ids.append(item.id)
        }
        return ids
    }

    /// The items an agent's slots hold at once in the pooled measurement.
    static let slots = 4

    /// An agent of `slots` slots: leases as many items as it has free, reports each running then succeeded in a task
    /// of its own, and stops when the queue is empty twice running with nothing in hand.
    static func runAgent(_ backend: PostgresBackend, agent: String, queue: String, slots: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { running in
            var ids: [String] = []
            var busy = 0
            var idle = 0
            while idle < 2 {
                let leased = busy < slots ? try await backend.lease(agent: agent, queues: [queue], max: slots - busy, leaseFor: 60) : []
                for item in leased {
                    guard let attempt = item.currentAttempt else { continue }
                    busy += 1
                    running.addTask {
                        try await backend.reportState(attempt, to: .running, exitCode: nil, error: nil)
                        try await backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil)
                        return item.id
                    }
                }
                if leased.isEmpty && busy == 0 {
                    idle += 1
                } else if leased.isEmpty || busy == slots, let id = try await running.next() {
                    idle = 0
                    ids.append(id)
                    busy -= 1
                }
            }
            return ids
        }
    }

    /// `count` backends on `location`, their pools running while `body` does.
    static func withBackends<T: Sendable>(_ count: Int, _ location: PostgresLocation, _ password: String?, _ logger: Logger, connections: Int = 8,
                                          _ body: @Sendable ([PostgresBackend]) async throws -> T) async throws -> T {
        let backends = (0..<count).map { _ in PostgresBackend(location: location, password: password, connections: connections, logger: logger) }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for backend in backends { group.addTask { await backend.run() } }
            defer { group.cancelAll() }
            return try await body(backends)
        }
    }

    static func admin(_ location: PostgresLocation, _ password: String?, _ logger: Logger, _ sql: String) async throws {
        let client = PostgresClient(configuration: location.configuration(password: password), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}

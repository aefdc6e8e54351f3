import Foundation
import LaunchAPI
import LaunchModel
import LaunchPostgres
import Logging
import PostgresNIO
import Testing
import TestSupport

/// The change feed with concurrent writers, against the real cluster: a writer that took its transaction id first
/// and commits last is not skipped by a follower that read in between (docs/postgres-backend.md).
@Suite struct PostgresChangeFeedTests {
    static let logger = LocalPostgres.logger

    /// A migrated backend on a database of the test's own, its pool running for `body`.
    static func withBackend(_ body: @Sendable (PostgresBackend, PostgresLocation, String) async throws -> Void) async throws {
        try await LocalPostgres.withScratchDatabase { location, password in
            let backend = PostgresBackend(location: location, password: password, connections: 4, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await backend.run() }
                defer { group.cancelAll() }
                try await backend.migrate()
                try await body(backend, location, password)
            }
        }
    }

    @Test func aWriterThatCommitsLateIsNotSkipped() async throws {
        try await Self.withBackend { backend, location, password in
            let job = try await backend.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"])).version
            _ = try await backend.createQueue(name: "q", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
            let start = try await backend.changes(since: 0).cursor
            try await LocalPostgres.withClient(location.configuration(password: password)) { client in
                try await client.withConnection { late in
                    // The late writer: its transaction id is taken first (an item it inserts by hand, as the
                    // backend's own insert would), and it stays open.
                    try await late.query("BEGIN", logger: Self.logger)
                    try await late.query("""
                        INSERT INTO items (id, queue, job_name, job_version, overrides, priority, state, max_attempts, enqueued_at, updated_at)
                        VALUES ('01LATELATELATELATELATELATE', 'q', \(job.name), \(job.version), '{"hyperparameters":{},"variables":{}}', 2, 'queued', 1, now(), now())
                        """, logger: Self.logger)
                    // An early writer commits meanwhile, through the backend.
                    let early = try await backend.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"))
                    // The follower reads after the early commit: it may not see the late row yet, and must not move
                    // its cursor past it.
                    let between = try await backend.changes(since: start)
                    #expect(!between.items.contains { $0.id == "01LATELATELATELATELATELATE" }, "an uncommitted row is not shown")
                    try await late.query("COMMIT", logger: Self.logger)
                    let after = try await backend.changes(since: between.cursor)
                    let seen = Set(between.items.map(\.id) + after.items.map(\.id))
                    #expect(seen.contains("01LATELATELATELATELATELATE"), "the late commit comes with a later read: \(between.cursor) \(after.cursor)")
                    #expect(seen.contains(early.id))
                    #expect(between.items.count + after.items.count == seen.count, "nothing comes twice")
                }
            }
        }
    }

    /// A lease renewal alone is no change a follower shows (the items' trigger fires for every other column), and
    /// stays on its page: no indexed column changes.
    @Test func aLeaseRenewalIsNoChange() async throws {
        try await Self.withBackend { backend, location, password in
            _ = try await backend.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
            _ = try await backend.createQueue(name: "q", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
            _ = try await backend.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"))
            let leased = try #require(try await backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 60).first)
            // The change tag itself, not the feed: the feed's cursor stops below any transaction still open in the
            // cluster (other tests run beside this one), so it may rightly hand the lease over again.
            let tag = { @Sendable () async throws -> String in
                try await LocalPostgres.withClient(location.configuration(password: password)) { client in
                    var tags: [String] = []
                    for try await tag in try await client.query("SELECT changed_xid::text FROM items WHERE id = \(leased.id)", logger: Self.logger)
                        .decode(String.self) { tags.append(tag) }
                    return tags.first ?? ""
                }
            }
            let before = try await tag()
            let cursor = try await backend.changes(since: 0).cursor
            let reply = try await backend.heartbeat(agent: "a", attempts: [leased.currentAttempt!], leaseFor: 120)
            #expect(reply.revoked.isEmpty)
            #expect(try await tag() == before, "a renewal alone is not shown as a change")
            let renewed = try await backend.item(id: leased.id)
            #expect(renewed.leaseExpiresAt! > leased.leaseExpiresAt!)
            try await backend.reportState(leased.currentAttempt!, to: .running, exitCode: nil, error: nil)
            #expect(try await backend.changes(since: cursor).items.map(\.id) == [leased.id])
        }
    }

    /// The lease, reclaim and change queries use their indexes on a table of 20,000 items; the plans are printed
    /// for the bench notes (docs/postgres-backend.md).
    @Test func theHotQueriesUseTheirIndexes() async throws {
        try await Self.withBackend { backend, location, password in
            _ = try await backend.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
            _ = try await backend.createQueue(name: "q", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
            for _ in 0..<10 {
                _ = try await backend.enqueue(batch: Array(repeating: EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"), count: 2_000))
            }
            _ = try await backend.lease(agent: "a", queues: ["q"], max: 50, leaseFor: 60)
            try await LocalPostgres.withClient(location.configuration(password: password)) { client in
                try await client.query("ANALYZE", logger: Self.logger)
            }
            let plans = try await backend.explainHotQueries()
            for (name, plan) in plans.sorted(by: { $0.key < $1.key }) { print("EXPLAIN \(name):\n\(plan)") }
            #expect(plans["lease"]?.contains("items_dispatch") == true, "\(plans["lease"] ?? "")")
            #expect(plans["lease (generic plan)"]?.contains("items_dispatch") == true, "\(plans["lease (generic plan)"] ?? "")")
            #expect(plans["reclaim"]?.contains("items_in_flight") == true, "\(plans["reclaim"] ?? "")")
            #expect(plans["item changes"]?.contains("items_changed") == true, "\(plans["item changes"] ?? "")")
            #expect(plans.values.allSatisfy { !$0.contains("Seq Scan on items") })
        }
    }
}

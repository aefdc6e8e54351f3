import Foundation
import LaunchAPI
import LaunchModel
import LaunchPostgres
import Logging
import PostgresNIO
import Synchronization
import Testing
import TestSupport

/// The database out of reach pauses reclaims, as a stalled SQLite store does (`StallWatch`): an agent whose
/// heartbeat failed because the server lost PostgreSQL is not dead, so its lease is not taken from it the moment the
/// database is back.
@Suite struct PostgresStallTests {
    static let logger = LocalPostgres.logger

    @Test func aWriteThatLostTheDatabasePausesReclaims() async throws {
        try await LocalPostgres.withScratchDatabase { location, password in
            let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
            let backend = PostgresBackend(location: location, password: password, connections: 4,
                                          clock: { now.withLock { $0 } }, logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await backend.run() }
                defer { group.cancelAll() }
                try await backend.migrate()
                _ = try await backend.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
                _ = try await backend.createQueue(name: "q", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
                let item = try await backend.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"))
                let attempt = try #require(try await backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
                #expect(try await backend.reclaimsPausedUntil() == nil)

                try await LocalPostgres.withClient(location.configuration(password: password)) { client in
                    try await client.withConnection { other in
                        // Another transaction holds the item's row, so the agent's report waits on it; then the
                        // report's connection is ended under it, as a database restart would.
                        try await other.query("BEGIN", logger: Self.logger)
                        try await other.query("SELECT id FROM items FOR UPDATE", logger: Self.logger)
                        async let report: Result<LaunchItem, any Error> = {
                            do { return .success(try await backend.reportState(attempt, to: .running, exitCode: nil, error: nil)) } catch { return .failure(error) }
                        }()
                        var terminated = false
                        for _ in 0..<100 where !terminated {
                            try await Task.sleep(for: .milliseconds(50))
                            let ended = try await other.query("""
                                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                                """, logger: Self.logger)
                            for try await end in ended.decode(Bool.self) where end { terminated = true }
                        }
                        #expect(terminated, "the report never waited on the row")
                        guard case .failure(let error) = await report else {
                            Issue.record("a report whose connection was ended succeeded")
                            return
                        }
                        guard case LaunchError.unavailable = error else {
                            Issue.record("a lost connection is not said to be out of reach: \(error)")
                            return
                        }
                        try await other.query("COMMIT", logger: Self.logger)
                    }
                }

                // The lease ran out while the agent could not report; the next write records the stall first.
                now.withLock { $0 = $0.addingTimeInterval(11) }
                #expect(try await backend.reclaimExpiredLeases().isEmpty, "a lease was reclaimed right after an outage")
                let pausedUntil = try #require(try await backend.reclaimsPausedUntil())
                #expect(pausedUntil > now.withLock { $0 })
                #expect(try await backend.heartbeat(agent: "a", attempts: [attempt], leaseFor: 10).revoked.isEmpty)
                // A lease that did run out is reclaimed once the pause is over.
                now.withLock { $0 = $0.addingTimeInterval(StallWatch.reclaimPause + 11) }
                #expect(try await backend.reclaimExpiredLeases().map(\.id) == [item.id])
            }
        }
    }
}

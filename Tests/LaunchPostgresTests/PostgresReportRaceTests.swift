import Foundation
import LaunchAPI
import LaunchModel
import LaunchPostgres
import Logging
import PostgresNIO
import Testing
import TestSupport

/// A report batch reads its items without locking them and writes each only if it is still as read: a writer that
/// changes the item between the read and the write makes the report be decided again, on what that writer left.
@Suite struct PostgresReportRaceTests {
    static let logger = LocalPostgres.logger

    /// The item is reclaimed (back to its queue) by another transaction while the agent's "running" report is on its
    /// way: the report read the item leased, so under a blind write it would have made a queued item running, and a
    /// second agent could then lease it and run it twice. Decided again on the reclaimed item, it is refused.
    @Test func aReportOnAnItemChangedAfterItsReadIsDecidedAgain() async throws {
        try await PostgresChangeFeedTests.withBackend { backend, location, password in
            _ = try await backend.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
            _ = try await backend.createQueue(name: "q", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
            _ = try await backend.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"))
            let leased = try #require(try await backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 60).first)
            let attempt = try #require(leased.currentAttempt)
            try await LocalPostgres.withClient(location.configuration(password: password)) { client in
                try await client.withConnection { rival in
                    // The rival's change is made but not committed: the report reads the item as leased, and its write
                    // waits for the rival's row lock.
                    try await rival.query("BEGIN", logger: Self.logger)
                    try await rival.query("""
                        UPDATE items SET state = 'queued', agent_id = NULL, reclaimed_from = 'a', lease_expires_at = NULL,
                                         updated_at = now() WHERE id = \(leased.id)
                        """, logger: Self.logger)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            await #expect(throws: LaunchError.self) {
                                try await backend.reportState(attempt, to: .running, exitCode: nil, error: nil)
                            }
                        }
                        let deadline = ContinuousClock.now + .seconds(30)
                        while try await Self.waitingForALock(client, database: location.database) == 0 {
                            guard ContinuousClock.now < deadline else { throw LaunchError.unavailable("the report never waited for the rival's lock") }
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        try await rival.query("COMMIT", logger: Self.logger)
                        try await group.waitForAll()
                    }
                }
            }
            let after = try await backend.item(id: leased.id)
            #expect(after.state == .queued, "the report did not overwrite the rival's change")
            #expect(after.agentID == nil)
            // The rival's change left the attempt's final report acceptable (its lease ran out, no other attempt
            // started): it is decided on what is stored now, and goes in.
            let finished = try await backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil)
            #expect(finished.state == .succeeded)
        }
    }

    static func waitingForALock(_ client: PostgresClient, database: String) async throws -> Int {
        var count = 0
        for try await waiting in try await client.query("""
            SELECT count(*) FROM pg_stat_activity WHERE datname = \(database) AND wait_event_type = 'Lock'
            """, logger: logger).decode(Int.self) { count = waiting }
        return count
    }
}

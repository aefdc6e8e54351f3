import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import Testing

/// What only the embedded store has: one file in WAL mode, shared by the processes of a machine. What every backend
/// does is checked once for all of them, in BackendConformanceTests.
@Suite struct SQLiteFileTests {

    @Test func databaseIsWALAndSharedAcrossConnections() async throws {
        let store = try StoreFixture()
        try await store.makeJob()
        let other = try store.reopen()
        #expect(try await other.jobs().map(\.name) == ["train"])
        let mode = try String(contentsOf: store.directory.appendingPathComponent("launchdeck.db"), encoding: .isoLatin1).prefix(20)
        #expect(mode.hasPrefix("SQLite format 3"))
        #expect(FileManager.default.fileExists(atPath: store.directory.appendingPathComponent("launchdeck.db-wal").path))
    }
}

/// A stalled store (another process holding SQLite's write lock) is the embedded store's own failure.
@Suite struct StallTests {

    /// Another process held the write lock longer than the leases: agents could not heartbeat, so their leases ran out
    /// without the agents being dead. Nobody reclaims them until the agents had time to heartbeat again.
    @Test func aStalledStorePausesReclaims() async throws {
        // The lease below must be asked while the lock is held; on a machine too busy to ask it in time, the stall
        // is made again (it never was on the project's VM).
        for _ in 0..<3 {
            let store = try StoreFixture()
            try await store.makeJob()
            try await store.makeQueue("q")
            let item = try await store.enqueue("q")[0]
            let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
            let hog = try store.reopen()
            let other = try store.reopen()
            let locked = AsyncStream<Void>.makeStream()
            async let held: Void = hog.holdWriteLock(for: 3) { locked.continuation.yield() }
            for await _ in locked.stream { break }
            store.clock.advance(11)
            let leased = try await other.lease(agent: "b", queues: ["q"], max: 1, leaseFor: 10)
            try await held
            // Whether that lease waited for the lock the store says itself: it records the stall it saw.
            guard try await other.reclaimsPausedUntil() != nil else { continue }
            // That lease waited for the lock: it reclaimed nothing, and the agent's heartbeat keeps its item.
            #expect(leased.isEmpty)
            #expect(try await store.backend.heartbeat(agent: "a", attempts: [attempt], leaseFor: 10).revoked.isEmpty)
            #expect(try await store.backend.item(id: item.id).agentID == "a")
            // A lease that did expire is reclaimed once the pause is over.
            store.clock.advance(13)
            #expect(try await other.lease(agent: "b", queues: ["q"], max: 1, leaseFor: 10).map(\.id) == [item.id])
            return
        }
        Issue.record("the lease was never asked while the write lock was held")
    }
}

/// The poll query must use the change index whatever the table size: checked on the query plan, not on timings.
@Suite struct PollPlanTests {
    @Test func changesSinceUsesTheChangeIndex() async throws {
        let store = try StoreFixture()
        try await store.makeJob()
        try await store.makeQueue("q")
        _ = try await store.enqueue("q", count: 50)
        let plan = try await store.backend.explainChangesPlan()
        #expect(plan.allSatisfy { !$0.contains("SCAN") }, "\(plan)")
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import Testing

/// A follower of the change feed, or an idle agent, waits on the server and hears of new work at once, not at its
/// next poll. Each wait asks for ten minutes (the server is let hold it that long), so what it returns tells why it
/// ended, without timing anything: a wait that ran out returns nothing.
@Suite struct LongPollTests {
    func ready() async throws -> (ServerFixture, any LaunchBackend, any LaunchBackend) {
        let fixture = try await ServerFixture()
        _ = try await fixture.store.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
        _ = try await fixture.store.createQueue(name: "q", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        return (fixture, try fixture.server.client(), try fixture.server.client())
    }

    @Test func aWaitingFollowerHearsOfAnEnqueueAtOnce() async throws {
        let (fixture, follower, writer) = try await ready()
        defer { withExtendedLifetime(fixture) {} }
        let cursor = try await follower.changes(since: 0).cursor
        async let changes = follower.changes(since: cursor, includingItems: true, waitingUpTo: .seconds(600))
        try await Task.sleep(for: .milliseconds(200))
        let item = try await writer.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"))
        let heard = try await changes
        #expect(heard.items.map(\.id) == [item.id])
    }

    @Test func anIdleAgentsLeaseTakesWorkTheMomentItComes() async throws {
        let (fixture, agent, writer) = try await ready()
        defer { withExtendedLifetime(fixture) {} }
        try await agent.registerAgent(Agent(id: "a1", name: "waiter", host: "h", queues: ["q"], maxJobs: 1, version: "t", startedAt: Date(), lastHeartbeat: Date()))
        async let leased = agent.lease(agent: "a1", queues: ["q"], max: 1, leaseFor: 30, waitingUpTo: .seconds(600))
        try await Task.sleep(for: .milliseconds(200))
        let item = try await writer.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"))
        #expect(try await leased.map(\.id) == [item.id])
    }

    @Test func aDrainingAgentsWaitEndsAtOnce() async throws {
        let (fixture, agent, other) = try await ready()
        defer { withExtendedLifetime(fixture) {} }
        try await agent.registerAgent(Agent(id: "a2", name: "drainer", host: "h", queues: ["q"], maxJobs: 1, version: "t", startedAt: Date(), lastHeartbeat: Date()))
        async let leased = agent.lease(agent: "a2", queues: ["q"], max: 1, leaseFor: 30, waitingUpTo: .seconds(600))
        try await Task.sleep(for: .milliseconds(200))
        try await other.updateAgent(id: "a2", state: .draining, environment: nil)
        // Work that comes after the drain must not be taken: a wait the drain did not end would take it.
        try await Task.sleep(for: .seconds(1))
        let later = try await other.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q"))
        #expect(try await leased.isEmpty)
        #expect(try await other.item(id: later.id).state == .queued)
    }
}

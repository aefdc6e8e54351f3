import Foundation
import LaunchModel
import LaunchAPI
import Testing

/// Reports name their attempt: a late one from an attempt that is no longer current changes nothing, while the final
/// report of an attempt whose lease merely ran out is still taken as long as no other attempt has started.
@Suite struct AttemptReportConformanceTests {
    @Test(arguments: BackendKind.allCases) func reportsFromAnEarlierAttemptAreRefused(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let item = try await store.enqueue("q")[0]
        let first = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        store.clock.advance(11)
        let second = try #require(try await store.backend.lease(agent: "b", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        #expect(first.item == item.id && second.item == item.id && second.number == 2)

        await #expect(throws: LaunchError.self) { try await store.backend.reportState(first, to: .succeeded, exitCode: 0, error: nil) }
        await #expect(throws: LaunchError.self) { try await store.backend.appendLog(first, stream: .stdout, lines: ["late line"]) }
        await #expect(throws: LaunchError.self) {
            try await store.backend.reportProgress(first, phase: "run", current: 9, total: 10, message: "late")
        }
        // The same agent under the same id, but an earlier attempt, is refused too.
        await #expect(throws: LaunchError.self) {
            try await store.backend.reportState(ItemAttempt(item: item.id, agent: "b", number: 1), to: .failed, exitCode: 1, error: nil)
        }
        #expect(try await store.backend.heartbeat(agent: "a", attempts: [first], leaseFor: 10).revoked == [item.id])

        let now = try await store.backend.item(id: item.id)
        #expect(now.state == .leased && now.agentID == "b" && now.attempts == 2 && now.progress == nil)
        // The late line never landed; the log has only the store's own word on the lost attempt.
        #expect(try await store.backend.logs(itemID: item.id, tail: nil).map(\.text) == [AttemptLog.leaseLost(number: 1, agent: "a", next: .queued)])
        try await store.backend.reportState(second, to: .succeeded, exitCode: 0, error: nil)
        #expect(try await store.backend.item(id: item.id).state == .succeeded)
    }

    @Test(arguments: BackendKind.allCases) func aLateFinalReportIsTakenUntilAnotherAttemptStarts(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let item = try await store.enqueue("q")[0]
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        try await store.backend.reportState(attempt, to: .running, exitCode: nil, error: nil)
        store.clock.advance(11)
        let reclaimed = try await store.backend.reclaimExpiredLeases()
        #expect(reclaimed.map(\.state) == [.queued])
        // The job had finished; its report comes after the lease ran out, before anyone took the item again.
        let done = try await store.backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil)
        #expect(done.state == .succeeded && done.attempts == 1 && done.agentID == "a")
        #expect(try await store.backend.lease(agent: "b", queues: ["q"], max: 1, leaseFor: 10).isEmpty, "a finished item ran again")
        // Delivered twice (the first reply was lost): nothing changes, nothing fails.
        #expect(try await store.backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil).state == .succeeded)
        #expect(try await store.backend.item(id: item.id).timestamps.finished != nil)
    }

    @Test(arguments: BackendKind.allCases) func aLateFinalReportReplacesAFailureByLeaseExpiry(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q", config: "max_attempts: 1\n")
        _ = try await store.enqueue("q")
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        store.clock.advance(11)
        #expect(try await store.backend.reclaimExpiredLeases().map(\.state) == [.failed])
        let done = try await store.backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil)
        #expect(done.state == .succeeded && done.error == nil)
    }

    @Test(arguments: BackendKind.allCases) func aLateReportAfterAnotherAttemptStartedIsRefused(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        _ = try await store.enqueue("q")
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        store.clock.advance(11)
        _ = try await store.backend.lease(agent: "b", queues: ["q"], max: 1, leaseFor: 10)
        await #expect(throws: LaunchError.self) { try await store.backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil) }
    }

    @Test(arguments: BackendKind.allCases) func aCancelWinsOverALateReport(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let item = try await store.enqueue("q")[0]
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        _ = try await store.backend.cancel(itemID: item.id)
        await #expect(throws: LaunchError.self) { try await store.backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil) }
        #expect(try await store.backend.item(id: item.id).state == .cancelled)
    }


    /// Each attempt's log begins with a line naming it, the agent and its host (from the agent's record), written when
    /// the attempt starts its work; an attempt lost before it started says so too, and describe lists both.
    @Test(arguments: BackendKind.allCases) func eachAttemptBeginsWithALineNamingItsAgentAndHost(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        for (id, name) in [("a", "gpu-box"), ("b", "cpu-box")] {
            try await store.backend.registerAgent(Agent(id: id, name: name, host: "node-\(id)", queues: ["q"], maxJobs: 1, version: "t",
                                                        startedAt: store.clock.now, lastHeartbeat: store.clock.now))
        }
        let item = try await store.enqueue("q")[0]
        let first = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        #expect(try await store.backend.logs(itemID: item.id, tail: nil).isEmpty, "a lease alone writes no line")
        try await store.backend.reportState(first, to: .running, exitCode: nil, error: nil)
        try await store.backend.appendLog(first, stream: .stdout, lines: ["epoch 1"])
        store.clock.advance(11)
        let second = try #require(try await store.backend.lease(agent: "b", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        store.clock.advance(11)
        let third = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.currentAttempt)
        try await store.backend.reportState(third, to: .building, exitCode: nil, error: nil)
        try await store.backend.reportState(third, to: .running, exitCode: nil, error: nil)
        try await store.backend.reportState(third, to: .succeeded, exitCode: 0, error: nil)

        let logs = try await store.backend.logs(itemID: item.id, tail: nil)
        #expect(logs.map(\.text) == [
            AttemptLog.started(number: 1, of: 3, agent: "gpu-box", host: "node-a"), "epoch 1",
            AttemptLog.leaseLost(number: 1, agent: "gpu-box", next: .queued),
            AttemptLog.leaseLost(number: 2, agent: "cpu-box", next: .queued),
            AttemptLog.started(number: 3, of: 3, agent: "gpu-box", host: "node-a"),
        ], "\(logs.map(\.text))")
        #expect(second.number == 2)
        let entries = AttemptLog.entries(in: logs)
        #expect(entries.map(\.number) == [1, 2, 3])
        #expect(entries.map(\.agent) == ["gpu-box", "cpu-box", "gpu-box"])
        #expect(entries[0].outcome?.hasPrefix("lost its lease") == true && entries[1].outcome?.hasPrefix("lost its lease") == true)
        #expect(entries[2].outcome == nil && entries[2].host == "node-a")
        #expect(try await store.backend.item(id: item.id).droppedLogLines == 0)
    }

    /// Reports that come at once (PostgreSQL writes them in one transaction): each gets its own answer, one the rules
    /// refuse fails alone, and each attempt's log begins with its one line.
    @Test(arguments: BackendKind.allCases) func reportsThatComeTogetherEachGetTheirOwnAnswer(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let ids = try await store.enqueue("q", count: 24).map(\.id)
        var attempts: [ItemAttempt] = []
        for agent in ["a", "b", "c"] {
            attempts += try await store.backend.lease(agent: agent, queues: ["q"], max: 8, leaseFor: 60).compactMap(\.currentAttempt)
        }
        #expect(Set(attempts.map(\.item)) == Set(ids))
        let backend = store.backend
        // Each item reported running and then succeeded, beside a refused report of a made-up attempt on it.
        let outcomes = try await withThrowingTaskGroup(of: (String, ItemState, Bool).self) { group in
            for attempt in attempts {
                group.addTask {
                    let intruder = ItemAttempt(item: attempt.item, agent: "intruder", number: attempt.number)
                    async let refused: Result<LaunchItem, any Error> = {
                        do { return .success(try await backend.reportState(intruder, to: .failed, exitCode: 1, error: nil)) } catch { return .failure(error) }
                    }()
                    let running = try await backend.reportState(attempt, to: .running, exitCode: nil, error: nil)
                    #expect(running.state == .running && running.id == attempt.item)
                    let done = try await backend.reportState(attempt, to: .succeeded, exitCode: 0, error: nil)
                    let wasRefused: Bool
                    // Refused is what counts (a conflict alone, but through HTTP on a machine busy with the whole suite the
                    // client may give up on a slow reply first); that it changed nothing is checked on the items below.
                    if case .failure = await refused { wasRefused = true } else { wasRefused = false }
                    return (done.id, done.state, wasRefused)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == ids.count)
        for (id, state, refused) in outcomes {
            #expect(state == .succeeded, "\(id)")
            #expect(refused, "the intruder's report on \(id) was taken")
        }
        for attempt in attempts {
            let item = try await backend.item(id: attempt.item)
            #expect(item.state == .succeeded && item.exitCode == 0 && item.agentID == attempt.agent)
            let lines = try await backend.logs(itemID: attempt.item, tail: nil).map(\.text)
            #expect(lines.count == 1 && lines[0].contains(attempt.agent), "\(lines)")
        }
    }
}

import Foundation
import LaunchModel
import LaunchAPI
import Testing

@Suite struct LeasingConformanceTests {
    @Test(arguments: BackendKind.allCases) func fifoWithinPriorityAndHighestPriorityFirst(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        var expected: [String: Int] = [:]
        let order: [Priority] = [.low, .normal, .critical, .normal, .high, .low, .critical]
        var ids: [String] = []
        for priority in order {
            ids.append(try await store.enqueue("q", priority)[0].id)
            store.clock.advance(0.001)
        }
        for (index, id) in ids.enumerated() { expected[id] = index }
        var leased: [String] = []
        while let item = try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 60).first {
            leased.append(item.id)
        }
        // critical(2), critical(6), high(4), normal(1), normal(3), low(0), low(5)
        #expect(leased == [2, 6, 4, 1, 3, 0, 5].map { ids[$0] })
    }

    @Test(arguments: BackendKind.allCases) func leaseSpansQueuesAndSkipsPausedOnes(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("a")
        try await store.makeQueue("b")
        try await store.makeQueue("c")
        let first = try await store.enqueue("a", .normal)[0]
        let urgent = try await store.enqueue("b", .high)[0]
        _ = try await store.enqueue("c", .critical)
        _ = try await store.backend.setQueuePaused(name: "c", paused: true)
        let leased = try await store.backend.lease(agent: "x", queues: ["a", "b", "c"], max: 5, leaseFor: 60)
        #expect(leased.map(\.id) == [urgent.id, first.id])
        #expect(leased.allSatisfy { $0.state == .leased && $0.agentID == "x" && $0.attempts == 1 })
    }

    /// Eight leasers at once, each through a connection of its own (another SQLite connection, another HTTP client).
    @Test(arguments: BackendKind.allCases) func concurrentLeasersNeverShareAnItem(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        _ = try await store.enqueue("q", count: 400)
        let backends = try await store.connections(4)
        let all = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, backend) in backends.enumerated() {
                for lane in 0..<2 {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let items = try await backend.lease(agent: "agent-\(index)-\(lane)", queues: ["q"], max: 3, leaseFor: 60)
                            if items.isEmpty { return mine }
                            mine += items.map(\.id)
                        }
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(all.count == 400)
        #expect(Set(all).count == 400)
    }

    /// Leases asked for at once (a backend may make them together, as PostgreSQL's does): each gets at most what it
    /// asked for, in priority and FIFO order, from the queues it named; none is given an item another got.
    @Test(arguments: BackendKind.allCases) func leasesThatComeTogetherEachGetTheirOwnItems(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        try await store.makeQueue("p")
        var order: [String: Int] = [:]
        for (index, item) in try await (store.enqueue("q", .low, count: 10) + store.enqueue("q", .high, count: 10)
                                        + store.enqueue("p", .normal, count: 10) + store.enqueue("q", .normal, count: 10)).enumerated() {
            order[item.id] = index
        }
        let backend = store.backend
        let asked = (0..<16).map { index in (agent: "agent-\(index)", queues: index % 2 == 0 ? ["q"] : ["p", "q"], max: 1 + index % 4) }
        let leased = try await withThrowingTaskGroup(of: (Int, [LaunchItem]).self) { group in
            for (index, request) in asked.enumerated() {
                group.addTask { (index, try await backend.lease(agent: request.agent, queues: request.queues, max: request.max, leaseFor: 60)) }
            }
            return try await group.reduce(into: [Int: [LaunchItem]]()) { $0[$1.0] = $1.1 }
        }
        var seen = Set<String>()
        for (index, request) in asked.enumerated() {
            let items = leased[index] ?? []
            #expect(items.count <= request.max, "\(request.agent) asked for \(request.max), got \(items.count)")
            for item in items {
                #expect(seen.insert(item.id).inserted, "\(item.id) leased twice")
                #expect(request.queues.contains(item.queue) && item.agentID == request.agent && item.state == .leased && item.attempts == 1)
            }
            let ranks = items.map { $0.priority.rank * 1_000 + (order[$0.id] ?? -1) }
            #expect(ranks == ranks.sorted(), "\(request.agent)'s items are not in priority and FIFO order")
        }
        // 40 slots asked for 40 items: whatever the order the requests were taken in, each found what was left.
        #expect(seen.count == asked.map(\.max).reduce(0, +))
    }

    @Test(arguments: BackendKind.allCases) func expiredLeaseReturnsItemToTheHeadOfItsQueue(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let items = try await store.enqueue("q", count: 3)
        let lost = try await store.backend.lease(agent: "dead", queues: ["q"], max: 1, leaseFor: 30)[0]
        #expect(lost.id == items[0].id)
        _ = try await store.backend.reportState(lost.currentAttempt!, to: .running, exitCode: nil, error: nil)

        store.clock.advance(29)
        #expect(try await store.backend.reclaimExpiredLeases().isEmpty)
        store.clock.advance(2)
        let again = try await store.backend.lease(agent: "alive", queues: ["q"], max: 1, leaseFor: 30)[0]
        #expect(again.id == items[0].id)
        #expect(again.attempts == 2)
        #expect(again.agentID == "alive")
        // This attempt's times, not the lost one's: a duration counts from this attempt's start.
        #expect(again.timestamps.running == nil)
        #expect(try await store.backend.item(id: again.id).timestamps.running == nil)
        // The dead agent can no longer report on it.
        await #expect(throws: LaunchError.self) {
            try await store.backend.reportState(lost.currentAttempt!, to: .succeeded, exitCode: 0, error: nil)
        }
    }

    @Test(arguments: BackendKind.allCases) func leaseExpiryFailsTheItemWhenAttemptsAreUsedUp(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q", config: "max_attempts: 2\n")
        let item = try await store.enqueue("q")[0]
        for _ in 0..<2 {
            #expect(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).first?.id == item.id)
            store.clock.advance(11)
        }
        let reclaimed = try await store.backend.reclaimExpiredLeases()
        #expect(reclaimed.map(\.state) == [.failed])
        let final = try await store.backend.item(id: item.id)
        #expect(final.state == .failed)
        #expect(final.error?.hasPrefix("lease expired after 2 attempts") == true)
        #expect(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 10).isEmpty)
    }

    @Test(arguments: BackendKind.allCases) func heartbeatExtendsLeasesAndRevokesCancelledItems(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        _ = try await store.enqueue("q", count: 2)
        let leased = try await store.backend.lease(agent: "a", queues: ["q"], max: 2, leaseFor: 10)
        store.clock.advance(8)
        var reply = try await store.backend.heartbeat(agent: "a", attempts: leased.map { $0.currentAttempt! }, leaseFor: 10)
        #expect(reply.revoked.isEmpty)
        store.clock.advance(8)
        #expect(try await store.backend.reclaimExpiredLeases().isEmpty)
        _ = try await store.backend.cancel(itemID: leased[1].id)
        reply = try await store.backend.heartbeat(agent: "a", attempts: leased.map { $0.currentAttempt! }, leaseFor: 10)
        #expect(reply.revoked == [leased[1].id])
    }

    @Test(arguments: BackendKind.allCases) func agentsReportStatesThroughTheStateMachine(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let item = try await store.enqueue("q")[0]
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 60).first?.currentAttempt)
        try await store.backend.reportState(attempt, to: .building, exitCode: nil, error: nil)
        try await store.backend.reportState(attempt, to: .running, exitCode: nil, error: nil)
        // An illegal move is a conflict on every backend (the embedded one says which move).
        let illegal = await #expect(throws: LaunchError.self) {
            try await store.backend.reportState(attempt, to: .building, exitCode: nil, error: nil)
        }
        #expect(illegal?.kind == .conflict)
        #expect(illegal?.description == "item \(item.id): cannot go from running to building")
        await #expect(throws: LaunchError.self) {
            try await store.backend.reportState(ItemAttempt(item: item.id, agent: "intruder", number: 1), to: .succeeded, exitCode: 0, error: nil)
        }
        let done = try await store.backend.reportState(attempt, to: .failed, exitCode: 3, error: "exit status 3, TOKEN=abc")
        #expect(done.state == .failed && done.exitCode == 3 && done.error == "exit status 3, TOKEN=[redacted]")
        #expect(done.timestamps.building != nil && done.timestamps.running != nil && done.timestamps.finished != nil)
        await #expect(throws: LaunchError.self) { try await store.backend.cancel(itemID: item.id) }
    }

    @Test(arguments: BackendKind.allCases) func handingAnItemBackOnDrainDoesNotUseAnAttempt(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let item = try await store.enqueue("q")[0]
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 60).first?.currentAttempt)
        #expect(attempt.item == item.id)
        let back = try await store.backend.reportState(attempt, to: .queued, exitCode: nil, error: nil)
        #expect(back.state == .queued && back.attempts == 0 && back.agentID == nil)
    }

    /// Each backend writes a lease and its reports in its own way (PostgreSQL leases in one SQL statement, and writes
    /// concurrent reports together); what they set must be what the lifecycle rules decide, also for a second attempt
    /// whose first left times, an exit code and progress behind.
    @Test(arguments: BackendKind.allCases) func leasesAndReportsSetWhatTheLifecycleRulesDecide(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let id = try await store.enqueue("q")[0].id
        for agent in ["a", "b"] {
            let before = try await store.backend.item(id: id)
            let leased = try #require(try await store.backend.lease(agent: agent, queues: ["q"], max: 2, leaseFor: 60).first)
            #expect(leased == (try ItemLifecycle.lease(before, to: agent, at: store.clock.now, for: 60)))
            #expect(try await store.backend.item(id: id) == leased)
            let attempt = try #require(leased.currentAttempt)
            var current = leased
            for state in [ItemState.building, .running] {
                store.clock.advance(1)
                let reported = try await store.backend.reportState(attempt, to: state, exitCode: nil, error: nil)
                current = try ItemLifecycle.report(StoredItem(current), from: attempt, to: state, exitCode: nil, error: nil, at: store.clock.now).item
                #expect(reported == current)
            }
            try await store.backend.reportProgress(attempt, phase: "epoch", current: 1, total: 4, message: "")
            if agent == "a" {
                // The first attempt's lease runs out: the item goes back with this attempt's times and progress.
                store.clock.advance(61)
                #expect(try await store.backend.reclaimExpiredLeases().map(\.id) == [id])
            } else {
                store.clock.advance(1)
                let done = try await store.backend.reportState(attempt, to: .failed, exitCode: 2, error: "exit status 2")
                let progressed = try await store.backend.item(id: id)
                current = try ItemLifecycle.report(StoredItem(current), from: attempt, to: .failed, exitCode: 2, error: "exit status 2",
                                                   at: store.clock.now).item
                current.progress = progressed.progress
                #expect(done == current)
                #expect(progressed == current)
            }
        }
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import Testing

@Suite struct BackendConformanceTests {
    @Test(arguments: BackendKind.allCases) func equalJobContentReturnsTheLatestVersion(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        let spec = JobSpec(source: .git(url: "https://example.com/r.git", commit: "0123abcd0123abcd0123abcd0123abcd0123abcd"), entrypoint: ["python", "t.py"],
                           hyperparameters: ["lr": 0.1])
        let first = try await store.backend.createJob(name: "t", spec: spec)
        let same = try await store.backend.createJob(name: "t", spec: spec)
        #expect(first.created && !same.created && same.version.version == 1)
        var changed = spec
        changed.hyperparameters["lr"] = 0.2
        let second = try await store.backend.createJob(name: "t", spec: changed)
        #expect(second.created && second.version.version == 2)
        // Going back to v1's content makes v3: only the latest version is compared.
        #expect(try await store.backend.createJob(name: "t", spec: spec).version.version == 3)
        #expect(try await store.backend.resolveJob(JobReference(name: "t", version: 2)).spec == changed)
        #expect(try await store.backend.resolveJob(JobReference(name: "t", version: nil)).version == 3)
        await #expect(throws: LaunchError.self) { try await store.backend.resolveJob(JobReference(name: "t", version: 9)) }
    }

    @Test(arguments: BackendKind.allCases) func changesSinceReturnsExactlyTheChangedRows(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("big")
        try await store.makeQueue("other")
        let bulk = try await store.enqueue("big", count: 500)
        let everything = try await store.backend.changes(since: 0)
        #expect(everything.items.count == 500 && everything.queues.count == 2)

        var cursor = everything.cursor
        #expect(try await store.backend.changes(since: cursor).isEmpty)

        let added = try await store.enqueue("other", count: 2)
        _ = try await store.backend.cancel(itemID: bulk[10].id)
        var changes = try await store.backend.changes(since: cursor)
        #expect(Set(changes.items.map(\.id)) == Set(added.map(\.id) + [bulk[10].id]))
        #expect(changes.queues.isEmpty && changes.agents.isEmpty)
        cursor = changes.cursor

        _ = try await store.backend.setQueuePaused(name: "other", paused: true)
        try await store.backend.registerAgent(Agent(id: "ag1", name: "laptop", host: "h", queues: ["big"], maxJobs: 2, version: "t",
                                                    startedAt: store.clock.now, lastHeartbeat: store.clock.now))
        changes = try await store.backend.changes(since: cursor)
        #expect(changes.items.isEmpty)
        #expect(changes.queues.map(\.name) == ["other"] && changes.queues[0].paused)
        #expect(changes.agents.map(\.id) == ["ag1"])
    }

    /// A first load's pages (read one ahead over HTTP): every item once, in id order, ending on a short page or
    /// on an exactly full one; and a queue's newest items for the frame shown meanwhile.
    @Test(arguments: BackendKind.allCases) func itemPagesHoldEveryItemOnceInIdOrder(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("big")
        try await store.makeQueue("other")
        let big = try await store.enqueue("big", count: 250)
        let other = try await store.enqueue("other", count: 50)
        let everyID = (big + other).map(\.id).sorted()
        for limit in [7, 100, 300, 1000] {
            var pages: [[LaunchItem]] = []
            for try await page in store.backend.itemPages(limit: limit) { pages.append(page) }
            #expect(pages.flatMap { $0 }.map(\.id) == everyID, "limit \(limit)")
            #expect(pages.dropLast().allSatisfy { $0.count == limit } && pages.allSatisfy { !$0.isEmpty }, "limit \(limit)")
        }
        let newest = try await store.backend.items(ItemFilter(queue: "big", limit: 20))
        #expect(newest.map(\.id) == big.suffix(20).map(\.id))
        #expect(try await store.backend.queueDepths()["big"]?.total == 250)
    }

    /// One item of queue q, leased by agent "a" and running: its log begins with the attempt's line.
    func runningItem(_ kind: BackendKind, _ limits: StoreLimits) async throws -> (BackendFixture, ItemAttempt)? {
        guard let store = try await BackendFixture(kind, limits: limits) else { return nil }
        try await store.makeJob()
        try await store.makeQueue("q")
        _ = try await store.enqueue("q")
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 60).first?.currentAttempt)
        try await store.backend.reportState(attempt, to: .running, exitCode: nil, error: nil)
        return (store, attempt)
    }

    /// When every stream is down to its floor and the item is still over its cap, the oldest output goes, never the
    /// agent's lines: they are the attempt list.
    @Test(arguments: BackendKind.allCases) func theAttemptLinesOutliveTrimming(_ kind: BackendKind) async throws {
        var limits = StoreLimits()
        limits.logLinesPerItem = 100
        limits.logLinesPerStream = 60
        guard let (store, attempt) = try await runningItem(kind, limits) else { return }
        try await store.backend.appendLog(attempt, stream: .stderr, lines: (0..<60).map { "error \($0)" })
        try await store.backend.appendLog(attempt, stream: .stdout, lines: (0..<60).map { "out \($0)" })
        let logs = try await store.backend.logs(itemID: attempt.item, tail: nil)
        #expect(logs.count == 100)
        #expect(logs.first?.stream == .agent, "\(logs.first?.text ?? "")")
        #expect(logs.dropFirst().first?.text == "error 21")
        #expect(try await store.backend.item(id: attempt.item).droppedLogLines == 21)
    }

    /// A chatty stdout does not push stderr out: each stream keeps its newest lines.
    @Test(arguments: BackendKind.allCases) func aChattyStreamNeverPushesTheLastOfAnotherOut(_ kind: BackendKind) async throws {
        var limits = StoreLimits()
        limits.logLinesPerItem = 100
        limits.logLinesPerStream = 10
        guard let (store, attempt) = try await runningItem(kind, limits) else { return }
        // Starting work wrote the attempt's line; it stays too, however much the job prints (describe lists it).
        try await store.backend.appendLog(attempt, stream: .stderr, lines: (0..<5).map { "error \($0)" })
        for batch in 0..<10 {
            try await store.backend.appendLog(attempt, stream: .stdout, lines: (0..<30).map { "out \(batch * 30 + $0)" })
        }
        let logs = try await store.backend.logs(itemID: attempt.item, tail: nil)
        #expect(logs.count == 100)
        #expect(logs.filter { $0.stream == .stderr }.map(\.text) == (0..<5).map { "error \($0)" })
        #expect(logs.first?.stream == .agent && AttemptLog.entries(in: logs).map(\.number) == [1], "\(logs.first?.text ?? "")")
        #expect(logs.last?.text == "out 299")
        let item = try await store.backend.item(id: attempt.item)
        #expect(item.droppedLogLines == 1 + 5 + 300 - 100)
    }

    @Test(arguments: BackendKind.allCases) func logsAreCappedPerItemWithACountOfDroppedLines(_ kind: BackendKind) async throws {
        var limits = StoreLimits()
        limits.logLinesPerItem = 100
        limits.logLineBytes = 64
        guard let store = try await BackendFixture(kind, limits: limits) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let item = try await store.enqueue("q")[0]
        let attempt = try #require(try await store.backend.lease(agent: "a", queues: ["q"], max: 1, leaseFor: 60).first?.currentAttempt)
        for batch in 0..<5 {
            try await store.backend.appendLog(attempt, stream: .stdout, lines: (0..<30).map { "line \(batch * 30 + $0)" })
        }
        try await store.backend.appendLog(attempt, stream: .stderr, lines: [String(repeating: "é", count: 100)])
        let logs = try await store.backend.logs(itemID: item.id, tail: nil)
        #expect(logs.count == 100)
        #expect(logs.first?.text == "line 51")
        #expect(logs.last?.stream == .stderr)
        #expect(logs.last?.text == String(repeating: "é", count: 32) + " [cut: 136 more bytes]")
        #expect(try await store.backend.item(id: item.id).droppedLogLines == 51)
        #expect(try await store.backend.logs(itemID: item.id, tail: 2).map(\.text) == ["line 149", logs.last!.text])
    }

    @Test(arguments: BackendKind.allCases) func relaunchCopiesJobVersionOverridesAndPriority(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q", config: "variables:\n  n: {type: int, default: 1, min: 0, max: 9}\n")
        let original = try await store.backend.enqueue(EnqueueRequest(
            job: JobReference(name: "train", version: 1), queue: "q", priority: .high, variables: ["n": "7"], hyperparameters: ["lr": 0.5]))
        try await store.makeJob("train") // unchanged content: still v1
        let copy = try await store.backend.relaunch(itemID: String(original.id.prefix(20)))
        #expect(copy.id != original.id && copy.relaunchOf == original.id)
        #expect(copy.jobVersion == original.jobVersion && copy.priority == .high)
        #expect(copy.overrides == ItemOverrides(hyperparameters: ["lr": 0.5], variables: ["n": 7]))
        #expect(copy.state == .queued && copy.attempts == 0)
    }

    @Test(arguments: BackendKind.allCases) func enqueueChecksVariablesAndIsAllOrNothing(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q", config: "variables:\n  n: {type: int, min: 0, max: 9}\n")
        let good = EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q", variables: ["n": "1"])
        let bad = EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q", variables: ["n": "10"])
        await #expect(throws: ValidationFailure.self) { try await store.backend.enqueue(batch: [good, good, bad]) }
        #expect(try await store.backend.items(ItemFilter()).isEmpty)
        await #expect(throws: LaunchError.self) {
            try await store.backend.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "nope"))
        }
    }

    @Test(arguments: BackendKind.allCases) func itemsAreFoundByUniquePrefix(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let items = try await store.enqueue("q", count: 2)
        #expect(try await store.backend.item(id: items[1].id.lowercased()).id == items[1].id)
        await #expect(throws: LaunchError.self) { try await store.backend.item(id: String(items[0].id.prefix(4))) }
        await #expect(throws: LaunchError.self) { try await store.backend.item(id: "../../etc") }
    }

    @Test(arguments: BackendKind.allCases) func agentsWithoutHeartbeatsAreLost(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.backend.registerAgent(Agent(id: "ag", name: "n", host: "h", queues: [], maxJobs: 1, state: .busy, version: "t",
                                                    startedAt: store.clock.now, lastHeartbeat: store.clock.now))
        #expect(try await store.backend.agent(id: "ag").state == .busy)
        store.clock.advance(31)
        #expect(try await store.backend.agents().map(\.state) == [.lost])
        _ = try await store.backend.heartbeat(agent: "ag", attempts: [], leaseFor: 30)
        #expect(try await store.backend.agent(id: "n").state == .busy)
    }

    /// An agent is found by its name or any prefix of its id, in either case; `%` and `_` are only characters.
    @Test(arguments: BackendKind.allCases) func agentsAreFoundByNameOrIdPrefix(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        let id = ItemID.make()
        try await store.backend.registerAgent(Agent(id: id, name: "gpu-box", host: "h", queues: [], maxJobs: 1, version: "t",
                                                    startedAt: store.clock.now, lastHeartbeat: store.clock.now))
        #expect(try await store.backend.agent(id: "gpu-box").id == id)
        #expect(try await store.backend.agent(id: String(id.prefix(6))).id == id)
        #expect(try await store.backend.agent(id: String(id.prefix(6)).lowercased()).id == id)
        for pattern in ["%", "_", "", String(id.prefix(5)) + "%"] {
            await #expect(throws: LaunchError.self) { try await store.backend.agent(id: pattern) }
        }
    }

}

/// A client that retries an enqueue or a relaunch (after a lost reply, a restart) sends the same idempotency key, and
/// gets the item of the first request rather than a second one.
@Suite struct IdempotencyConformanceTests {
    @Test(arguments: BackendKind.allCases) func anEnqueueOrRelaunchRetriedWithItsKeyHappensOnce(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        try await store.makeQueue("q")
        let request = EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "q", idempotencyKey: "enqueue-7")
        let first = try await store.backend.enqueue(request)
        let again = try await store.backend.enqueue(request)
        #expect(again.id == first.id)
        let copy = try await store.backend.relaunch(itemID: first.id, idempotencyKey: "relaunch-7")
        #expect(try await store.backend.relaunch(itemID: first.id, idempotencyKey: "relaunch-7").id == copy.id)
        #expect(try await store.backend.items(ItemFilter()).count == 2)
        // Without a key of its own, each call is a new request.
        _ = try await store.backend.relaunch(itemID: first.id)
        #expect(try await store.backend.items(ItemFilter()).count == 3)
    }

    /// Errors arrive as the same kinds from every backend: not found, conflict, invalid input with field paths.
    @Test(arguments: BackendKind.allCases) func errorsHaveTheSameKindsEverywhere(_ kind: BackendKind) async throws {
        guard let store = try await BackendFixture(kind) else { return }
        try await store.makeJob()
        let queue = try await store.makeQueue("q")
        let missing = await #expect(throws: LaunchError.self) { try await store.backend.queue(named: "nope") }
        #expect(missing?.kind == .notFound)
        _ = try await store.backend.updateQueueConfig(name: "q", config: try QueueConfig.parse("max_attempts: 2\n", target: .localProcess),
                                                      expectedVersion: queue.configVersion)
        let stale = await #expect(throws: LaunchError.self) {
            try await store.backend.updateQueueConfig(name: "q", config: try QueueConfig.parse("max_attempts: 4\n", target: .localProcess),
                                                      expectedVersion: queue.configVersion)
        }
        #expect(stale?.kind == .conflict)
        try await store.makeQueue("typed", config: "variables:\n  n: {type: int, min: 0, max: 9}\n")
        let invalid = await #expect(throws: ValidationFailure.self) {
            try await store.backend.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "typed", variables: ["n": "12"]))
        }
        #expect(invalid?.issues.first?.path.contains("n") == true, "\(invalid?.issues ?? [])")
    }
}

import Foundation
import Testing
import TestSupport

/// Faults an agent cannot see coming, with the chaos tests' assertions: each item ends in exactly one final state,
/// none is lost, no two attempts of an item overlap (by the job's own records, helpers included), and a finished job
/// never runs again because its report was late.
@Suite(.serialized) struct FencingChaosTests {
    /// An item queue whose jobs record their runs (TreeRecordingJob), and that many items on it.
    func setUp(_ cli: LaunchdeckProcess, seconds: Double, count: Int, maxAttempts: Int = 10) async throws -> (record: URL, ids: [String]) {
        let record = cli.home.appendingPathComponent("record")
        _ = try cli.write("job/run.sh", TreeRecordingJob.script(record: record, seconds: seconds))
        #expect(try await cli.run("job", "create", "work", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        let config = try cli.write("q.yaml", "max_attempts: \(maxAttempts)\n")
        #expect(try await cli.run("queue", "create", "local", "--target", "local-process", "--config", config.path).status == 0)
        let enqueued = try await cli.run("enqueue", "work", "--queue", "local", "--count", String(count))
        let ids = enqueued.stdout.split(separator: "\n").map(String.init)
        #expect(enqueued.status == 0 && ids.count == count, "\(enqueued.stderr)")
        return (record, ids)
    }

    func states(_ cli: LaunchdeckProcess) async -> [String] {
        (try? await cli.items().values.compactMap { $0["state"] as? String }) ?? []
    }

    func allSucceeded(_ cli: LaunchdeckProcess, timeout: Double) async throws -> Bool {
        try await eventually(timeout: timeout) { try await cli.items().values.allSatisfy { ($0["state"] as? String) == "succeeded" } }
    }

    /// What the agents of this name wrote to stderr.
    func agentLog(_ cli: LaunchdeckProcess, _ name: String) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: cli.home.path)) ?? []
        return files.filter { $0.hasPrefix(name + "-") && $0.hasSuffix(".err") }.sorted()
            .compactMap { try? String(contentsOf: cli.home.appendingPathComponent($0), encoding: .utf8) }.joined()
    }

    func running(_ cli: LaunchdeckProcess) async -> Int {
        await states(cli).filter { $0 == "running" }.count
    }

    /// Agents killed with SIGKILL again and again while their jobs' helpers try to outlive them.
    @Test func helpersIgnoringSIGTERMOrLeavingTheSessionEndWithTheirAttempt() async throws {
        let cli = try LaunchdeckProcess()
        let (record, ids) = try await setUp(cli, seconds: 0.3, count: 40 * ChaosScale.factor)
        let steady = try cli.startAgent(queues: ["local"], maxJobs: 2, leaseSeconds: 3, name: "steady")
        defer { steady.terminate(); steady.waitUntilExit() }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<4 * ChaosScale.factor {
            let victim = try cli.startAgent(queues: ["local"], maxJobs: 3, leaseSeconds: 3, name: "victim-\(round)")
            await pause(Double.random(in: 0.5...2.0, using: &generator))
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
        }
        do {
            let passed = try await allSucceeded(cli, timeout: 120 * Double(ChaosScale.factor))
            let detail = "\(await states(cli))"
            #expect(passed, "\(detail)")
        }
        let attempts = try await cli.items().compactMapValues { $0["attempts"] as? Int }
        try TreeRecordingJob.verify(record: record, items: ids, attempts: attempts)
        // A normal finish ends the helpers too.
        #expect(try await eventually(timeout: 10) { try TreeRecordingJob.survivors(record: record, items: Set(ids)).isEmpty },
                "\((try? TreeRecordingJob.survivors(record: record, items: Set(ids))) ?? [])")
    }

    @Test func aCancelEndsTheHelpersToo() async throws {
        let cli = try LaunchdeckProcess()
        let (record, ids) = try await setUp(cli, seconds: 600, count: 1)
        let agent = try cli.startAgent(queues: ["local"], leaseSeconds: 6)
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually { try await cli.state(ids[0]) == "running" && TreeRecordingJob.survivors(record: record, items: Set(ids)).count == 3 })
        #expect(try await cli.run("cancel", ids[0]).status == 0)
        #expect(try await eventually(timeout: 15) { try TreeRecordingJob.survivors(record: record, items: Set(ids)).isEmpty },
                "\((try? TreeRecordingJob.survivors(record: record, items: Set(ids))) ?? [])")
    }

    /// An agent frozen by SIGSTOP for twice its lease: its guards stop its jobs before the lease runs out, by their own
    /// clock, so the agent that takes the items over never runs one beside it.
    @Test func anAgentPausedLongerThanItsLeaseNeverOverlapsItsSuccessor() async throws {
        let cli = try LaunchdeckProcess()
        let count = 4 * ChaosScale.factor
        let (record, ids) = try await setUp(cli, seconds: 5, count: count)
        let paused = try cli.startAgent(queues: ["local"], maxJobs: count, leaseSeconds: 6, name: "paused")
        defer { kill(paused.processIdentifier, SIGCONT); paused.terminate(); paused.waitUntilExit() }
        do {
            let passed = await eventually(timeout: 30) { await running(cli) == count }
            let detail = "\(await states(cli))"
            #expect(passed, "\(detail)")
        }
        kill(paused.processIdentifier, SIGSTOP)
        let successor = try cli.startAgent(queues: ["local"], maxJobs: count, leaseSeconds: 6, name: "successor")
        defer { successor.terminate(); successor.waitUntilExit() }
        await pause(12)
        kill(paused.processIdentifier, SIGCONT)
        do {
            let passed = try await allSucceeded(cli, timeout: 90)
            let detail = "\(await states(cli))"
            #expect(passed, "\(detail)")
        }
        let attempts = try await cli.items().compactMapValues { $0["attempts"] as? Int }
        try TreeRecordingJob.verify(record: record, items: ids, attempts: attempts)
    }

    /// Another process holds the store's write lock for longer than the leases. The jobs stop before their leases
    /// could run out, the agent waiting for its turn does not take them over (it cannot tell them from dead ones), and
    /// every item still ends in success: a busy store is not a dead agent.
    @Test func aWriteLockHeldLongerThanTheLeaseIsNotADeadAgent() async throws {
        let cli = try LaunchdeckProcess()
        let count = 3 * ChaosScale.factor
        let (record, ids) = try await setUp(cli, seconds: 4, count: count)
        let holder = try cli.startAgent(queues: ["local"], maxJobs: count, leaseSeconds: 6, name: "holder")
        defer { holder.terminate(); holder.waitUntilExit() }
        do {
            let passed = await eventually(timeout: 30) { await running(cli) == count }
            let detail = "\(await states(cli))"
            #expect(passed, "\(detail)")
        }
        // Idle and polling: the agent that would take the items over if it mistook them for lost ones.
        let waiting = try cli.startAgent(queues: ["local"], maxJobs: count, leaseSeconds: 6, name: "waiting")
        defer { waiting.terminate(); waiting.waitUntilExit() }
        await pause(0.5)
        let lock = try await cli.run("debug", "hold-write-lock", "--seconds", "10")
        #expect(lock.status == 0, "\(lock.stderr)")
        do {
            let passed = try await allSucceeded(cli, timeout: 120)
            let detail = "\(await states(cli))"
            #expect(passed, "\(detail)")
        }
        let attempts = try await cli.items().compactMapValues { $0["attempts"] as? Int }
        try TreeRecordingJob.verify(record: record, items: ids, attempts: attempts)
        #expect(attempts.values.allSatisfy { $0 <= 2 }, "a stall used up attempts: \(attempts)")
    }

    /// The data directory's disk is full for 20 s while two jobs finish: their final states wait in the agent's
    /// outbox and reach the store once it has room. Neither job runs again.
    @Test(arguments: [false, true]) func aFullDiskWhileJobsFinishRunsNothingAgain(restartingTheAgent: Bool) async throws {
        let base = try LaunchdeckProcess()
        guard let mount = ScratchMount.make(in: base.home, size: "64m") else { return }
        defer { mount.unmount() }
        var cli = base
        cli.environment["LAUNCHDECK_HOME"] = mount.url.appendingPathComponent("data").path
        let (record, ids) = try await setUp(cli, seconds: 1.5, count: 2)
        var agent = try cli.startAgent(queues: ["local"], maxJobs: 2, leaseSeconds: 40)
        defer { agent.terminate(); agent.waitUntilExit() }
        do {
            let passed = await eventually(timeout: 30) { await running(cli) == 2 }
            let detail = "\(await states(cli))"
            #expect(passed, "\(detail)")
        }
        let filler = mount.fill()
        let filled = Date()
        // Both jobs end while the disk is full.
        #expect(await eventually(timeout: 20) {
            ((try? String(contentsOf: record, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasPrefix("end ") }.count == 2
        })
        // Their reports wait in the outbox (once the guards have ended the helpers, the grace period after the jobs).
        #expect(await eventually(timeout: 15) { agentLog(cli, "test-agent").components(separatedBy: "the outbox keeps it").count == 3 },
                "\(agentLog(cli, "test-agent"))")
        if restartingTheAgent {
            // The agent dies with both reports undelivered; the next one started here delivers them.
            kill(agent.processIdentifier, SIGKILL)
            agent.waitUntilExit()
        }
        await pause(max(0, 20 - Date().timeIntervalSince(filled)))
        try FileManager.default.removeItem(at: filler)
        if restartingTheAgent {
            agent = try cli.startAgent(queues: ["local"], maxJobs: 2, leaseSeconds: 40, name: "restarted")
        }
        do {
            let passed = try await allSucceeded(cli, timeout: 30)
            let detail = "\(await states(cli))"
            #expect(passed, "\(detail)")
        }
        let attempts = try await cli.items().compactMapValues { $0["attempts"] as? Int }
        #expect(attempts.values.allSatisfy { $0 == 1 }, "\(attempts)")
        try TreeRecordingJob.verify(record: record, items: ids, attempts: attempts, exactlyOnce: true)
        let item = try await cli.run("item", ids[0]).stdout
        #expect(item.contains("after the attempt ended: the store was unavailable"), "\(item)")
    }
}

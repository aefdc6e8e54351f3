import Foundation
import Testing
import TestSupport

/// What must hold when processes die and input is hostile.
@Suite(.serialized) struct ReliabilityTests {
    @Test func killingAWriterMidBurstLosesNoAcknowledgedEnqueue() async throws {
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("job", "create", "t", "--image", "x", "--entrypoint", "true").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        let rounds = 3 * ChaosScale.factor
        for round in 0..<rounds {
            let out = cli.home.appendingPathComponent("burst-\(round).out")
            let writer = try cli.start(["debug", "enqueue-burst", "--job", "t", "--queue", "q", "--count", "100000"],
                                       stdout: out, stderr: cli.home.appendingPathComponent("burst-\(round).err"))
            let target = 50 + (round % 3) * 70
            #expect(await eventually(timeout: 60, every: 0.005) {
                ((try? String(contentsOf: out, encoding: .utf8))?.split(separator: "\n").count ?? 0) >= target
            })
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
        }
        var acknowledged: [String] = []
        for round in 0..<rounds {
            let text = try String(contentsOf: cli.home.appendingPathComponent("burst-\(round).out"), encoding: .utf8)
            // A line cut by the kill was never acknowledged in full.
            acknowledged += text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init).filter { $0.count == 26 }
        }
        let stored = try await cli.items()
        for id in acknowledged { #expect(stored[id] != nil, "acknowledged \(id) is missing") }
        #expect(Set(stored.keys).count == stored.count)
        let check = try await cli.run("debug", "integrity-check")
        #expect(check.status == 0 && check.stdout == "ok\n", "\(check.stdout) \(check.stderr)")
    }

    @Test func hostileJobOutputIsStoredAndShownInert() async throws {
        let cli = try LaunchdeckProcess()
        // Escape sequences (clipboard write, clear screen, cursor moves), NUL, invalid UTF-8, a 1 MB line.
        _ = try cli.write("job/run.py", """
            import sys
            out = sys.stdout.buffer
            out.write(b"\\x1b]52;c;aGk=\\x07 clip \\x1b[2J clear \\x1b[10;10H move \\x00 nul \\xff\\xfe bad utf8\\n")
            out.write(b"x" * 1_000_000 + b"\\n")
            out.write(b"after the long line\\n")
            """)
        guard RequiredComponent.available("python3", probe: ["python3", "--version"]) else { return }
        #expect(try await cli.run("job", "create", "hostile", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "python3 run.py").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        let id = try await cli.enqueueID("hostile", "--queue", "q")
        let agent = try cli.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually { try await cli.state(id) == "succeeded" })
        let shown = try await cli.run("item", "describe", id)
        #expect(!shown.stdout.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 || $0.value == 0 })
        #expect(shown.stdout.contains("^[]52;c;aGk=\\x07 clip ^[[2J clear ^[[10;10H move \\x00 nul"))
        #expect(shown.stdout.contains("after the long line"))
        #expect(shown.stdout.contains("[cut: "), "a 1 MB line is cut for storage")
        let once = try await cli.run("--once")
        #expect(!once.stdout.unicodeScalars.contains { $0.value == 0x1b })
    }

    @Test func outOfRangeArgumentsAreBadInput() async throws {
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        for arguments in [["agent", "--queue", "q", "--max-jobs", "0"], ["agent", "--queue", "q", "--lease-seconds", "1"],
                          ["agent", "--queue", "../etc"], ["items", "--limit", "0"], ["--refresh", "0", "--once"],
                          ["item", "describe", "01AAAA", "--tail", "-1"], ["enqueue", "x", "--queue", "q", "--set", "=1"]] {
            let result = try await cli.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(!result.stderr.isEmpty && result.stderr.split(separator: "\n").count <= 2, "\(arguments): \(result.stderr)")
        }
    }
}

/// Agents killed with SIGKILL at random moments, again and again, while another keeps working.
@Suite(.serialized) struct AgentChaosTests {
    @Test func itemsEndExactlyOnceThroughFiveAgentKills() async throws {
        let cli = try LaunchdeckProcess()
        let record = cli.home.appendingPathComponent("record")
        _ = try cli.write("job/run.sh", OverlapRecordingJob.script(record: record, seconds: 0.1))
        #expect(try await cli.run("job", "create", "work", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        let config = try cli.write("q.yaml", "max_attempts: 10\n")
        #expect(try await cli.run("queue", "create", "local", "--target", "local-process", "--config", config.path).status == 0)
        let count = 200 * ChaosScale.factor
        let enqueued = try await cli.run("enqueue", "work", "--queue", "local", "--count", String(count))
        let ids = enqueued.stdout.split(separator: "\n").map(String.init)
        #expect(enqueued.status == 0 && ids.count == count, "\(enqueued.stderr)")

        let steady = try cli.startAgent(queues: ["local"], maxJobs: 2, leaseSeconds: 3, name: "steady")
        defer { steady.terminate(); steady.waitUntilExit() }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<5 * ChaosScale.factor {
            let victim = try cli.startAgent(queues: ["local"], maxJobs: 3, leaseSeconds: 3, name: "victim-\(round)")
            await pause(Double.random(in: 0.5...2.0, using: &generator))
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
        }
        let allSucceeded = try await eventually(timeout: 120 * Double(ChaosScale.factor)) {
            try await cli.items().values.allSatisfy { ($0["state"] as? String) == "succeeded" }
        }
        let states = (try? await cli.items().values.compactMap { $0["state"] as? String }) ?? []
        #expect(allSucceeded, "\(states)")
        let attempts = try await cli.items().compactMapValues { $0["attempts"] as? Int }
        try OverlapRecordingJob.verify(record: record, items: ids, attempts: attempts)
    }
}

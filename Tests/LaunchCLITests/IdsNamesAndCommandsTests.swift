import Foundation
import Testing

/// Ids, names and commands that work together: whatever part of an id a view shows, the CLI takes; live agent
/// names are unique and `agent stop` reaches an agent through the backend; cancel and relaunch act on sets; an
/// agent leases only what it can run; `logs` prints and follows inert; `--once` takes a queue and says why it
/// exits 3.
@Suite struct IdsNamesAndCommandsTests {
    func setUp(_ cli: LaunchdeckProcess, script: String = "echo out-line\necho err-line >&2\n") async throws {
        _ = try cli.write("job/run.sh", script)
        #expect(try await cli.run("job", "create", "quick", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
    }

    /// Items of one batch share their first 16 characters; the dashboard shows their ends ("…2FQ8XK"). The CLI
    /// takes a unique suffix or prefix, with or without the ellipsis, and lists the candidates of an ambiguous one.
    @Test func anyUniquePrefixOrSuffixNamesAnItem() async throws {
        let cli = try LaunchdeckProcess()
        try await setUp(cli)
        let batch = try await cli.run("enqueue", "quick", "--queue", "q", "--count", "3")
        let ids = batch.stdout.split(separator: "\n").map(String.init)
        #expect(ids.count == 3 && Set(ids.map { $0.prefix(16) }).count == 1, "\(ids)")
        for id in ids {
            for form in [String(id.suffix(6)), "…" + id.suffix(11), String(id.suffix(4)).lowercased()] {
                let shown = try await cli.run("item", form)
                #expect(shown.status == 0 && shown.stdout.contains("Item:          \(id)"), "\(form): \(shown.stderr)")
            }
            #expect(try await cli.run("logs", String(id.suffix(5))).status == 0)
        }
        let ambiguous = try await cli.run("item", String(ids[0].prefix(16)))
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("is ambiguous") && ids.allSatisfy(ambiguous.stderr.contains), "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.split(separator: "\n").count == 1)
        let short = try await cli.run("item", "XK")
        #expect(short.status == 2 && short.stderr.contains("at least its first or last 4 characters"), "\(short.stderr)")
    }

    @Test func cancelAndRelaunchActOnSets() async throws {
        let cli = try LaunchdeckProcess()
        try await setUp(cli)
        var ids: [String] = []
        for _ in 0..<5 { ids.append(try await cli.enqueueID("quick", "--queue", "q")) }
        let two = try await cli.run("cancel", String(ids[0].suffix(6)), ids[1])
        #expect(two.status == 0, "\(two.stderr)")
        var states = try await cli.items().mapValues { $0["state"] as? String }
        #expect(ids.map { states[$0] } == ["cancelled", "cancelled", "queued", "queued", "queued"])

        #expect(try await cli.run("cancel", "--queue", "q", "--state", "queued").status == 0)
        states = try await cli.items().mapValues { $0["state"] as? String }
        #expect(ids.allSatisfy { states[$0] == "cancelled" })

        let relaunched = try await cli.run("relaunch", "--queue", "q", "--state", "cancelled")
        #expect(relaunched.status == 0, "\(relaunched.stderr)")
        let items = try await cli.items()
        let copies = items.values.filter { $0["relaunch_of"] is String }
        #expect(Set(copies.compactMap { $0["relaunch_of"] as? String }) == Set(ids))
        #expect(copies.allSatisfy { $0["state"] as? String == "queued" })

        let nothing = try await cli.run("cancel", "--queue", "q", "--state", "failed")
        #expect(nothing.status == 0 && nothing.stdout.contains("no items match"), "\(nothing.stdout) \(nothing.stderr)")
        let neither = try await cli.run("cancel")
        #expect(neither.status == 2, "no ids and no --queue is bad input")
    }

    /// A second live agent with a taken name is refused at start; `agent stop` makes the first drain and exit by
    /// itself (it hears it on a heartbeat); the name is then free again.
    @Test func liveAgentNamesAreUniqueAndStopGoesThroughTheBackend() async throws {
        let cli = try LaunchdeckProcess()
        try await setUp(cli)
        let first = try cli.startAgent(queues: ["q"], name: "twin")
        defer { first.terminate(); first.waitUntilExit() }
        #expect(try await eventually { (try await cli.json("agent", "list", "-o", "json") as? [[String: Any]])?.first?["state"] as? String == "idle" })
        let second = try await cli.run("agent", "--queue", "q", "--name", "twin")
        #expect(second.status == 2 && second.stderr.contains("an agent named twin is already running"), "\(second.stderr)")
        let described = try await cli.run("agent", "describe", "twin")
        #expect(described.status == 0 && described.stdout.contains("Agent:         twin ("), "\(described.stderr)")

        let stop = try await cli.run("agent", "stop", "twin")
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(await eventually(timeout: 15) { !first.isRunning }, "the agent drains and exits on its own")
        let record = try #require(try await cli.json("agent", "list", "-o", "json") as? [[String: Any]])
        #expect(record.first?["state"] as? String == "stopped")

        let again = try await cli.run("agent", "--queue", "q", "--name", "twin", "--detach")
        #expect(again.status == 0, "a stopped agent's name is free: \(again.stderr)")
        let pid = try #require(again.stdout.firstMatch(of: /pid (\d+)/).flatMap { Int32($0.1) }, "\(again.stdout)")
        // The pid printed is the agent's own: its command line names the agent, and stopping it ends that process.
        let commandLine = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        #expect(commandLine.contains("agent") && commandLine.contains("twin"), "\(commandLine)")
        #expect(await eventually { (try? await cli.run("agent", "stop", "twin").status) == 0 })
        #expect(await eventually(timeout: 15) { !processAlive(pid) })
    }

    /// On a machine where the container engine does not answer, an agent never leases a container queue's
    /// items: alone on that queue it exits 2 saying why; with a queue it can run it serves that one and records
    /// the refusal.
    @Test func anAgentWithoutAContainerEngineLeasesNothingFromAContainerQueue() async throws {
        let cli = try LaunchdeckProcess()
        try await setUp(cli)
        // Clients whose engine is down: the binaries exist and every call fails, as when podman's socket is gone.
        for engine in ["podman", "docker"] {
            _ = try cli.write("bin/\(engine)", "#!/bin/sh\necho 'cannot connect to the engine' >&2\nexit 125\n", executable: true)
        }
        let path = cli.home.appendingPathComponent("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let config = try cli.write("box.yaml", "resource:\n  runtime: podman\n  base_image: localhost/base:latest\n")
        #expect(try await cli.run("queue", "create", "box", "--target", "container", "--config", config.path).status == 0)
        var boxed: [String] = []
        for _ in 0..<5 { boxed.append(try await cli.enqueueID("quick", "--queue", "box")) }

        let alone = try await cli.run(["agent", "--queue", "box"], environment: ["PATH": path])
        #expect(alone.status == 2, "\(alone.stderr)")
        #expect(alone.stderr.contains("cannot serve box: podman does not answer"), "\(alone.stderr)")

        var agent = cli
        agent.environment["PATH"] = path
        let both = try agent.startAgent(queues: ["box", "q"], name: "half")
        defer { both.terminate(); both.waitUntilExit() }
        let local = try await cli.enqueueID("quick", "--queue", "q")
        #expect(try await eventually { try await cli.state(local) == "succeeded" })
        let items = try await cli.items()
        #expect(boxed.allSatisfy { items[$0]?["state"] as? String == "queued" && items[$0]?["attempts"] as? Int == 0 }, "\(items)")
        let described = try await cli.run("agent", "describe", "half")
        #expect(described.stdout.contains("Cannot serve:  box: podman does not answer"), "\(described.stdout)")
    }

    /// `launchdeck logs`: every stream or one, inert like the dashboard, and following a running item until it ends.
    @Test func logsPrintFilterAndFollowInert() async throws {
        let cli = try LaunchdeckProcess()
        let gate = cli.home.appendingPathComponent("gate")
        try await setUp(cli, script: """
            printf 'hostile \\033]0;pwned\\007 \\033[2J title\\n'
            echo err-line >&2
            while [ ! -f "\(gate.path)" ]; do sleep 0.1; done
            echo after-the-gate
            """)
        let id = try await cli.enqueueID("quick", "--queue", "q")
        let agent = try cli.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually { try await cli.run("logs", id).stdout.contains("err-line") })

        let all = try await cli.run("logs", id)
        #expect(all.status == 0)
        #expect(!all.stdout.contains("\u{1b}") && !all.stdout.contains("\u{7}"), "no escape byte reaches the terminal")
        #expect(all.stdout.contains("hostile") && all.stdout.contains("attempt 1 of"), "\(all.stdout)")
        let stderr = try await cli.run("logs", id, "--stream", "stderr")
        #expect(stderr.stdout.contains("err-line") && !stderr.stdout.contains("hostile"), "\(stderr.stdout)")

        let followOut = cli.home.appendingPathComponent("follow.out")
        let follower = try cli.start(["logs", id, "--follow", "--stream", "stdout", "--interval", "0.1"], stdout: followOut,
                                     stderr: cli.home.appendingPathComponent("follow.err"))
        defer { if follower.isRunning { follower.terminate() } }
        await pause(0.5)
        #expect(follower.isRunning, "following a running item waits for more")
        FileManager.default.createFile(atPath: gate.path, contents: nil)
        #expect(await eventually(timeout: 20) { !follower.isRunning }, "the follower ends when the item ends")
        let followed = try String(contentsOf: followOut, encoding: .utf8)
        #expect(followed.contains("hostile") && followed.contains("after-the-gate") && !followed.contains("err-line"), "\(followed)")
        #expect(followed.components(separatedBy: "after-the-gate").count == 2, "each line once: \(followed)")
    }

    /// Describe lists every attempt, with the agent and host each ran on; a lost lease says so in the log.
    @Test func describeListsTheAttempts() async throws {
        let cli = try LaunchdeckProcess()
        let marker = cli.home.appendingPathComponent("ran-once")
        try await setUp(cli, script: "if [ -f \"\(marker.path)\" ]; then echo second; exit 0; fi\ntouch \"\(marker.path)\"\nsleep 60\n")
        let id = try await cli.enqueueID("quick", "--queue", "q")
        let doomed = try cli.startAgent(queues: ["q"], leaseSeconds: 2, name: "doomed")
        #expect(try await eventually { try await cli.state(id) == "running" })
        kill(doomed.processIdentifier, SIGKILL)
        await doomed.exited()
        let rescuer = try cli.startAgent(queues: ["q"], leaseSeconds: 2, name: "rescuer")
        defer { rescuer.terminate(); rescuer.waitUntilExit() }
        #expect(try await eventually(timeout: 40) { try await cli.state(id) == "succeeded" })
        let described = try await cli.run("item", id)
        let text = described.stdout
        #expect(text.contains("Attempt list:"), "\(text)")
        let attempts = text.split(separator: "\n").filter { $0.hasPrefix("  1  ") || $0.hasPrefix("  2  ") }
        #expect(attempts.count == 2 && attempts[0].contains("agent doomed") && attempts[1].contains("agent rescuer"), "\(text)")
        let logs = try await cli.run("logs", id, "--stream", "agent").stdout
        #expect(logs.contains("attempt 1 of") && logs.contains("attempt 2 of") && logs.contains("lease"), "\(logs)")
    }

    @Test func onceTakesAQueueAndSaysWhyItExitsThree() async throws {
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: "exit 7\n")
        #expect(try await cli.run("queue", "create", "other", "--target", "local-process").status == 0)
        let failing = try await cli.enqueueID("quick", "--queue", "q")
        let waiting = try await cli.enqueueID("quick", "--queue", "other")
        let unknown = try await cli.run("--once", "--queue", "nope")
        #expect(unknown.status == 2 && unknown.stderr.contains("--queue: no queue named nope"), "\(unknown.stderr)")

        let agent = try cli.startAgent(queues: ["q"])
        #expect(try await eventually { try await cli.state(failing) == "failed" })
        agent.terminate()
        await agent.exited()
        let text = try await cli.run(["--once", "--queue", "other"], environment: ["COLUMNS": "200"])
        #expect(text.status == 3)
        #expect(text.stdout.contains("Items of other (1)") && text.stdout.contains(waiting), "\(text.stdout)")
        #expect(text.stdout.contains("Needs attention:") && text.stdout.contains("1 failed in q in the last hour"), "\(text.stdout)")
        #expect(!text.stdout.contains("<?> help"), "no hint bar in a report")

        let json = try await cli.run("--once", "-o", "json", "--queue", "q")
        #expect(json.status == 3)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let attention = try #require(report["attention"] as? [String: Any])
        #expect((attention["recent_failures"] as? [String: Int]) == ["q": 1])
        #expect((report["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [failing])
    }
}

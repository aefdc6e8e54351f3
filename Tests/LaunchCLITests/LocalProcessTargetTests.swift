import Foundation
import TestSupport
import Testing

/// The local-process target's ways of getting code and dependencies, and its timeout.
@Suite(.serialized) struct LocalProcessTargetTests {
    func git(_ arguments: [String], in directory: URL) async throws -> String {
        try await programOutput(["git", "-C", directory.path, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments)
    }

    @Test func gitJobsRunTheCommittedCode() async throws {
        guard RequiredComponent.available("git", probe: ["git", "--version"]) else { return }
        let cli = try LaunchdeckProcess()
        let repository = cli.home.appendingPathComponent("repo")
        _ = try cli.write("repo/train.sh", "echo from commit one\n")
        _ = try await git(["init", "--quiet"], in: repository)
        _ = try await git(["add", "."], in: repository)
        _ = try await git(["commit", "--quiet", "-m", "one"], in: repository)
        let commit = try await git(["rev-parse", "HEAD"], in: repository)
        _ = try cli.write("repo/train.sh", "echo from commit two\n")
        _ = try await git(["commit", "--quiet", "-am", "two"], in: repository)

        #expect(try await cli.run("job", "create", "g", "--git", "file://\(repository.path)", "--commit", commit, "--entrypoint", "sh train.sh",
                            "--allow-local-git").status == 0)
        #expect(try await cli.run("queue", "create", "local", "--target", "local-process").status == 0)
        let id = try await cli.enqueueID("g", "--queue", "local")
        let agent = try cli.startAgent(queues: ["local"], extra: ["--allow-local-git"])
        defer { agent.terminate(); agent.waitUntilExit() }
        do {
            let passed = try await eventually { try await cli.state(id) == "succeeded" }
            let detail = "\((try? await cli.run("item", "describe", id).stdout) ?? "")"
            #expect(passed, "\(detail)")
        }
        let logs = try await cli.run("item", "describe", id).stdout
        #expect(logs.contains("stdout from commit one"))
        #expect(!logs.contains("commit two"))
    }

    /// Checked-out code cannot steer the agent's own writes through symlinks, and only a full commit hash names code.
    @Test func gitCheckoutsCannotRedirectTheAgentsWrites() async throws {
        guard RequiredComponent.available("git", probe: ["git", "--version"]) else { return }
        let cli = try LaunchdeckProcess()
        let victim = try cli.write("victim.txt", "untouched\n")
        let repository = cli.home.appendingPathComponent("repo")
        _ = try cli.write("repo/train.sh", "echo ran; cat launchdeck-config.json\n")
        _ = try await git(["init", "--quiet"], in: repository)
        try FileManager.default.createSymbolicLink(atPath: repository.appendingPathComponent("launchdeck-config.json").path,
                                                   withDestinationPath: victim.path)
        _ = try await git(["add", "."], in: repository)
        _ = try await git(["commit", "--quiet", "-m", "one"], in: repository)
        let commit = try await git(["rev-parse", "HEAD"], in: repository)
        #expect(try await cli.run("job", "create", "g", "--git", "file://\(repository.path)", "--commit", commit,
                            "--entrypoint", "sh train.sh", "--config", "lr=0.5", "--allow-local-git").status == 0)
        #expect(try await cli.run("queue", "create", "local", "--target", "local-process").status == 0)
        let id = try await cli.enqueueID("g", "--queue", "local")
        let agent = try cli.startAgent(queues: ["local"], extra: ["--allow-local-git"])
        defer { agent.terminate(); agent.waitUntilExit() }
        do {
            let passed = try await eventually { try await cli.state(id) == "succeeded" }
            let detail = "\((try? await cli.run("item", id).stdout) ?? "")"
            #expect(passed, "\(detail)")
        }
        #expect(try String(contentsOf: victim, encoding: .utf8) == "untouched\n")
        #expect(try await cli.run("item", id).stdout.contains(#"{"lr":0.5}"#))

        // An abbreviated commit is refused: a tag of that name (or a commit made to share the prefix) would win.
        let short = try await cli.run("job", "create", "short", "--git", "file://\(repository.path)", "--commit", String(commit.prefix(8)),
                                "--entrypoint", "sh train.sh", "--allow-local-git")
        #expect(short.status == 2 && short.stderr.contains("is not a full commit hash"), "\(short.stderr)")
    }

    /// A cancel or a drain while the item is still being prepared (a slow `pip install`, here a "python" that hangs) stops the
    /// preparation; it used to run on, and a draining agent waited for it without end.
    @Test(arguments: [false, true]) func cancelOrDrainStopsAPreparationStep(drain: Bool) async throws {
        let cli = try LaunchdeckProcess()
        let marker = cli.home.appendingPathComponent("slow-python.pid")
        let slowPython = try cli.write("slow-python.sh", "#!/bin/sh\necho $$ > \"\(marker.path)\"\nexec sleep 60\n", executable: true)
        _ = try cli.write("job/run.sh", "echo ran\n")
        let requirements = try cli.write("requirements.txt", "numpy\n")
        #expect(try await cli.run("job", "create", "slow", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh",
                            "--requirements", requirements.path).status == 0)
        let config = try cli.write("q.yaml", "resource:\n  python: \(slowPython.path)\n")
        #expect(try await cli.run("queue", "create", "local", "--target", "local-process", "--config", config.path).status == 0)
        let id = try await cli.enqueueID("slow", "--queue", "local")
        let agent = try cli.startAgent(queues: ["local"], extra: ["--drain-seconds", "0"])
        defer { agent.terminate(); agent.waitUntilExit() }
        // The file exists before the shell has written the pid into it: wait for the pid.
        func recordedPID() -> Int32? {
            (try? String(contentsOf: marker, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        #expect(await eventually(timeout: 30) { recordedPID() != nil })
        let pid = try #require(recordedPID())
        if drain {
            // The draining agent stops the step, hands the item back without using an attempt, and ends.
            agent.terminate()
            #expect(await eventually(timeout: 20) { !agent.isRunning }, "the agent waited for the preparation step")
            do {
                let passed = try await cli.state(id) == "queued"
                let detail = "\((try? await cli.items()[id]) ?? [:])"
                #expect(passed, "\(detail)")
            }
        } else {
            #expect(try await cli.run("cancel", id).status == 0)
        }
        #expect(await eventually(timeout: 20) { !processAlive(pid) }, "the preparation step \(pid) still runs")
        if !drain { #expect(try await cli.state(id) == "cancelled") }
    }

    @Test func requirementsGoToAVirtualenvBuiltOnceAndReused() async throws {
        guard RequiredComponent.available("python3 with venv", probe: ["python3", "-c", "import venv, ensurepip"]) else { return }
        let cli = try LaunchdeckProcess()
        _ = try cli.write("job/run.sh", "echo \"venv=$VIRTUAL_ENV\"\necho \"python=$(command -v python3)\"\n")
        // Comments only: pip has nothing to fetch, so the test needs no network, yet the virtualenv is real.
        let requirements = try cli.write("requirements.txt", "# this job needs nothing beyond the standard library\n")
        #expect(try await cli.run("job", "create", "py", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh",
                            "--requirements", requirements.path).status == 0)
        #expect(try await cli.run("queue", "create", "local", "--target", "local-process").status == 0)
        let agent = try cli.startAgent(queues: ["local"])
        defer { agent.terminate(); agent.waitUntilExit() }

        let first = try await cli.enqueueID("py", "--queue", "local")
        do {
            let passed = try await eventually(timeout: 120) { try await cli.state(first) == "succeeded" }
            let detail = "\((try? await cli.run("item", "describe", first).stdout) ?? "")"
            #expect(passed, "\(detail)")
        }
        let second = try await cli.enqueueID("py", "--queue", "local")
        #expect(try await eventually(timeout: 60) { try await cli.state(second) == "succeeded" })

        let one = try #require(try await cli.json("item", "describe", first, "-o", "json") as? [String: Any])
        let two = try #require(try await cli.json("item", "describe", second, "-o", "json") as? [String: Any])
        let venvLine = { (item: [String: Any]) in
            (item["logs"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }.first { $0.hasPrefix("venv=") }
        }
        let venv = try #require(venvLine(one))
        #expect(venv.contains("/venvs/py-v1-"))
        #expect(venvLine(two) == venv, "the second run reuses the first run's virtualenv")
        #expect(one["building_at"] is String, "the first run built it")
        #expect(two["building_at"] is NSNull, "the second run had nothing to build")
        let python = (one["logs"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }.first { $0.hasPrefix("python=") }
        #expect(python == "python=\(venv.dropFirst("venv=".count))/bin/python3")
    }

    @Test func theQueueTimeoutStopsALongRun() async throws {
        let cli = try LaunchdeckProcess()
        _ = try cli.write("job/run.sh", "echo begin\nsleep 60\n")
        #expect(try await cli.run("job", "create", "slow", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        let config = try cli.write("q.yaml", "resource:\n  timeout: 1s\n")
        #expect(try await cli.run("queue", "create", "local", "--target", "local-process", "--config", config.path).status == 0)
        let id = try await cli.enqueueID("slow", "--queue", "local")
        let agent = try cli.startAgent(queues: ["local"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually(timeout: 20) { try await cli.state(id) == "failed" })
        let item = try #require(try await cli.items()[id])
        #expect(item["error"] as? String == "timed out after 1s (resource.timeout)")
    }
}

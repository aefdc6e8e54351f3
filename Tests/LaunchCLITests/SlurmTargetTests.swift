import Foundation
import TestSupport
import Testing

/// The Slurm target with a real Slurm (`scripts/slurm-local start` makes a single-node one): items run as Slurm
/// jobs named after them, stream their output back, keep their exit status, and are cancelled in Slurm when
/// cancelled here or when their agent dies.
@Suite(.serialized) struct SlurmTargetTests {
    static var slurmReady: Bool {
        RequiredComponent.available("Slurm (run scripts/slurm-local start)", probe: ["srun", "--immediate=30", "--time=1", "true"])
    }

    func setUp(_ cli: LaunchdeckProcess, script: String) async throws {
        _ = try cli.write("job/run.sh", script)
        #expect(try await cli.run("job", "create", "cluster-job", "--dir", cli.home.appendingPathComponent("job").path,
                            "--entrypoint", "sh run.sh", "--config", "lr=0.1").status == 0)
        let config = try cli.write("slurm.yaml", """
            variables:
              cpus: {type: int, default: 1, min: 1, max: 2}
            resource:
              time_limit: "00:10:00"
              cpus_per_task: "{{cpus}}"
              env:
                GREETING: hello

            """)
        let created = try await cli.run("queue", "create", "cluster", "--target", "slurm", "--config", config.path)
        #expect(created.status == 0, "\(created.stderr)")
    }

    @Test func runsAsASlurmJobAndStreamsOutputAndExitStatus() async throws {
        guard Self.slurmReady else { return }
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: """
            #!/bin/sh
            echo "$GREETING from slurm job $SLURM_JOB_NAME with $SLURM_CPUS_PER_TASK cpus, args $*"
            echo "launchdeck:progress 1/1 done"
            echo "to stderr" >&2
            echo "in $(pwd)"
            exit "${EXIT_WITH:-0}"
            """)
        let good = try await cli.enqueueID("cluster-job", "--queue", "cluster", "--set", "cpus=2", "--config", "lr=0.5")
        // Work directories where compute nodes would see them, not in the data directory.
        let shared = cli.home.appendingPathComponent("shared")
        let agent = try cli.startAgent(queues: ["cluster"], extra: ["--work-dir", shared.path])
        defer {
            agent.terminate()
            agent.waitUntilExit()
        }
        do {
            let passed = try await eventually(timeout: 60) { try await cli.state(good) == "succeeded" }
            let detail = "\((try? await cli.items()[good]) ?? [:])"
            #expect(passed, "\(detail)")
        }
        let item = try #require(try await cli.json("item", "describe", good, "-o", "json") as? [String: Any])
        let logs = (item["logs"] as? [[String: Any]] ?? []).map { "\($0["stream"]!): \($0["text"]!)" }
        #expect(logs.contains("stdout: hello from slurm job launchdeck-\(good.lowercased()) with 2 cpus, args --lr 0.5"), "\(logs)")
        #expect(logs.contains("stderr: to stderr"), "\(logs)")
        #expect(logs.contains("stdout: in \(shared.path)/work/\(good)"), "\(logs)")
        #expect(logs.contains { $0.hasPrefix("agent: slurm: srun --job-name launchdeck-\(good.lowercased())") }, "\(logs)")
        #expect((item["progress"] as? [String: Any])?["message"] as? String == "done")

        // The job's exit status comes back through srun. The job runs once even where srun would derive one task
        // per CPU (--exclusive with --cpus-per-task 1 ran it 256 times on slurm-local's node).
        _ = try cli.write("slurm-fail.yaml", "resource:\n  cpus_per_task: 1\n  extra_args: [--exclusive]\n  env:\n    EXIT_WITH: \"3\"\n")
        #expect(try await cli.run("queue", "create", "cluster-fail", "--target", "slurm", "--config",
                            cli.home.appendingPathComponent("slurm-fail.yaml").path).status == 0)
        let bad = try await cli.enqueueID("cluster-job", "--queue", "cluster-fail")
        let failing = try cli.startAgent(queues: ["cluster-fail"], name: "fail-agent")
        defer {
            failing.terminate()
            failing.waitUntilExit()
        }
        #expect(try await eventually(timeout: 60) { try await cli.state(bad) == "failed" })
        #expect(try await cli.items()[bad]?["exit_code"] as? Int == 3)
        let badItem = try #require(try await cli.json("item", "describe", bad, "-o", "json") as? [String: Any])
        let runs = (badItem["logs"] as? [[String: Any]] ?? []).filter { ($0["text"] as? String)?.contains("from slurm job") == true }
        #expect(runs.count == 1, "\(runs)")
    }

    @Test func cancelEndsTheSlurmJob() async throws {
        guard Self.slurmReady else { return }
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: "#!/bin/sh\necho started\nsleep 300\n")
        let id = try await cli.enqueueID("cluster-job", "--queue", "cluster")
        let agent = try cli.startAgent(queues: ["cluster"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
        }
        let name = "launchdeck-\(id.lowercased())"
        #expect(try await eventually(timeout: 60) {
            let state = try await cli.state(id), jobs = await Self.slurmJobs(named: name)
            return state == "running" && jobs == ["RUNNING"]
        })
        #expect(try await cli.run("cancel", id).status == 0)
        do {
            let passed = await eventually(timeout: 30) { await Self.slurmJobs(named: name).isEmpty }
            let detail = "\(await Self.slurmJobs(named: name))"
            #expect(passed, "\(detail)")
        }
        #expect(try await cli.state(id) == "cancelled")
    }

    /// An item whose Slurm job waits for resources says so, with the Slurm job's id, instead of only "running".
    @Test func aJobWaitingForResourcesShowsAsPending() async throws {
        guard Self.slurmReady else { return }
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: "#!/bin/sh\necho ran\n")
        let config = try cli.write("exclusive.yaml", "resource:\n  extra_args: [--exclusive]\n")
        #expect(try await cli.run("queue", "create", "whole-node", "--target", "slurm", "--config", config.path).status == 0)
        // Another user of the cluster holds the whole node until the test has seen the item wait; a fixed
        // short hold raced a slow agent start (the blocker was gone before the item's job was submitted).
        let blockerName = "blocker-\(UUID().uuidString.prefix(8))"
        let blocker = Process()
        blocker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        blocker.arguments = ["srun", "--exclusive", "--job-name", blockerName, "sleep", "300"]
        blocker.standardOutput = FileHandle.nullDevice
        blocker.standardError = FileHandle.nullDevice
        try blocker.run()
        defer { blocker.terminate(); blocker.waitUntilExit() }
        #expect(await eventually(timeout: 30) { await Self.slurmJobs(named: blockerName) == ["RUNNING"] })

        let id = try await cli.enqueueID("cluster-job", "--queue", "whole-node")
        let agent = try cli.startAgent(queues: ["whole-node"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
        }
        func message() async throws -> String? { (try await cli.items()[id]?["progress"] as? [String: Any])?["message"] as? String }
        do {
            let passed = try await eventually(timeout: 30) { try await message()?.hasSuffix(" pending") == true }
            let detail = "\((try? await cli.items()[id]) ?? [:])"
            #expect(passed, "\(detail)")
        }
        let pending = try #require(try await message())
        #expect(pending.hasPrefix("Slurm job "))
        #expect(try await cli.state(id) == "running")
        _ = try await programOutput(["scancel", "--name", blockerName])
        #expect(try await eventually(timeout: 60) { try await cli.state(id) == "succeeded" })
        #expect(try await message() == pending.replacingOccurrences(of: " pending", with: " running"))
    }

    /// The guard stops srun when its agent dies, and srun cancels the job: a job never outlives its lease to run
    /// beside the next attempt.
    @Test func aKilledAgentTakesItsSlurmJobWithIt() async throws {
        guard Self.slurmReady else { return }
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: "#!/bin/sh\necho started\nsleep 300\n")
        let id = try await cli.enqueueID("cluster-job", "--queue", "cluster")
        let agent = try cli.startAgent(queues: ["cluster"])
        let name = "launchdeck-\(id.lowercased())"
        #expect(try await eventually(timeout: 60) {
            let state = try await cli.state(id), jobs = await Self.slurmJobs(named: name)
            return state == "running" && jobs == ["RUNNING"]
        })
        kill(agent.processIdentifier, SIGKILL)
        agent.waitUntilExit()
        do {
            let passed = await eventually(timeout: 30) { await Self.slurmJobs(named: name).isEmpty }
            let detail = "\(await Self.slurmJobs(named: name))"
            #expect(passed, "\(detail)")
        }
        _ = try? await cli.run("cancel", id)
    }

    /// States of this user's Slurm jobs with that name, as squeue prints them.
    static func slurmJobs(named name: String) async -> [String] {
        guard let output = try? await programOutput(["squeue", "--me", "--noheader", "--name", name, "--format", "%T"]) else {
            return ["squeue failed to start"]
        }
        return output.split(separator: "\n").map(String.init)
    }
}

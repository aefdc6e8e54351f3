import Foundation
import TestSupport
import Testing

/// The container target with real Podman: build, run, logs, progress, image reuse, cancel.
/// Needs Podman and the local base image that `scripts/setup-podman` makes (no registry is reachable).
extension HostNetworkTests {
@Suite(.serialized) struct ContainerTargetTests {
    static var podmanReady: Bool {
        RequiredComponent.available("podman with localhost/base:latest (run scripts/setup-podman)",
                                    probe: ["podman", "image", "exists", "localhost/base:latest"])
    }

    /// A job name of its own per test run, so an image left by an earlier run is never reused by mistake.
    let job = "boxed-\(UUID().uuidString.prefix(8).lowercased())"

    func setUp(_ cli: LaunchdeckProcess, script: String) async throws {
        _ = try cli.write("job/run.sh", script)
        #expect(try await cli.run("job", "create", job, "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        let config = try cli.write("c.yaml", """
            variables:
              greeting: {type: string, default: hello}
            resource:
              runtime: podman
              base_image: localhost/base:latest
              build:
                steps: ["RUN echo built-in-image > /built.txt"]
              memory: 256m
              network: none
              env:
                GREETING: "{{greeting}}"

            """)
        let created = try await cli.run("queue", "create", "boxes", "--target", "container", "--config", config.path)
        #expect(created.status == 0, "\(created.stderr)")
    }

    @Test func buildsOnceRunsAndStreamsOutput() async throws {
        guard Self.podmanReady else { return }
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: """
            #!/bin/sh
            echo "$GREETING from $(cat /built.txt) as item $LAUNCHDECK_ITEM_ID"
            echo "launchdeck:progress 3/3 finished"
            echo "to stderr" >&2
            """)
        let first = try await cli.enqueueID(job, "--queue", "boxes", "--set", "greeting=bonjour")
        let agent = try cli.startAgent(queues: ["boxes"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
            removeImages()
        }
        let finished = try await eventually(timeout: 120) { try await cli.state(first) == "succeeded" }
        do {
            let passed = finished
            let detail = "\((try? await cli.items()[first]) ?? [:])"
            #expect(passed, "\(detail)")
        }

        let item = try #require(try await cli.json("item", "describe", first, "-o", "json") as? [String: Any])
        let logs = (item["logs"] as? [[String: Any]] ?? []).map { "\($0["stream"]!): \($0["text"]!)" }
        #expect(logs.contains { $0.hasPrefix("build: STEP 1/4: FROM localhost/base:latest") }, "\(logs)")
        #expect(logs.contains { $0.hasPrefix("build: STEP 3/4: RUN echo built-in-image") })
        #expect(logs.contains("stdout: bonjour from built-in-image as item \(first)"), "\(logs)")
        #expect(logs.contains("stderr: to stderr"))
        #expect(item["building_at"] is String)
        #expect((item["progress"] as? [String: Any])?["message"] as? String == "finished")

        // Same job version, same queue settings: the image is reused, not built again.
        let second = try await cli.enqueueID(job, "--queue", "boxes")
        #expect(try await eventually(timeout: 60) { try await cli.state(second) == "succeeded" })
        let again = try #require(try await cli.json("item", "describe", second, "-o", "json") as? [String: Any])
        let againLogs = (again["logs"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(againLogs.contains { $0.contains("exists; not building again") }, "\(againLogs)")
        #expect(!againLogs.contains { $0.hasPrefix("STEP ") })
        #expect(againLogs.contains("hello from built-in-image as item \(second)"))
    }

    @Test func cancelStopsTheContainer() async throws {
        guard Self.podmanReady else { return }
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: "#!/bin/sh\necho started\nsleep 300\n")
        let id = try await cli.enqueueID(job, "--queue", "boxes")
        let agent = try cli.startAgent(queues: ["boxes"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
            removeImages()
        }
        let name = "launchdeck-\(id.lowercased())"
        func containerRunning() async -> Bool {
            !(await podman(["ps", "--quiet", "--filter", "name=^\(name)$"])).isEmpty
        }
        #expect(try await eventually(timeout: 120) {
            let state = try await cli.state(id), running = await containerRunning()
            return state == "running" && running
        })
        // The build's progress reached the item, and stays while the job reports none of its own.
        let building = try #require(try await cli.items()[id]?["progress"] as? [String: Any])
        #expect(building["phase"] as? String == "build" && building["current"] as? Double == 4 && building["total"] as? Double == 4)
        #expect(try await cli.run("cancel", id).status == 0)
        #expect(await eventually(timeout: 20) { !(await containerRunning()) }, "container \(name) still running")
        #expect(try await cli.state(id) == "cancelled")
    }

    /// The agent dies (SIGKILL) while its container runs: the container is removed at once by the job's guard, not when
    /// another agent takes the item over after its lease ran out.
    @Test func aKilledAgentsContainerIsRemovedAtOnce() async throws {
        guard Self.podmanReady else { return }
        let cli = try LaunchdeckProcess()
        try await setUp(cli, script: "#!/bin/sh\necho started\nsleep 300\n")
        let id = try await cli.enqueueID(job, "--queue", "boxes")
        let agent = try cli.startAgent(queues: ["boxes"], leaseSeconds: 60)
        defer { removeImages() }
        let name = "launchdeck-\(id.lowercased())"
        func containerExists() async -> Bool {
            !(await podman(["ps", "--all", "--quiet", "--filter", "name=^\(name)$"])).isEmpty
        }
        #expect(try await eventually(timeout: 120) {
            let state = try await cli.state(id), exists = await containerExists()
            return state == "running" && exists
        })
        kill(agent.processIdentifier, SIGKILL)
        agent.waitUntilExit()
        #expect(await eventually(timeout: 15) { !(await containerExists()) }, "container \(name) outlived its agent")
        // Nobody took the item over yet: its lease still runs.
        #expect(try await cli.state(id) == "running")
    }

    /// A secret of several lines (a PEM key) reaches the container exactly as given, and never on a command line.
    @Test func aMultiLineSecretArrivesWhole() async throws {
        guard Self.podmanReady else { return }
        let cli = try LaunchdeckProcess()
        _ = try cli.write("job/run.sh", "#!/bin/sh\nprintf '%s' \"$SIGNING_KEY_PEM\" | md5sum\nprintf '%s' \"$SIGNING_KEY_PEM\" | wc -l\n")
        #expect(try await cli.run("job", "create", job, "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        let key = "-----BEGIN KEY-----\nline one\nline two\n-----END KEY-----"
        let config = try cli.write("c.yaml", """
            resource:
              runtime: podman
              base_image: localhost/base:latest
              env:
                SIGNING_KEY_PEM: "\(key.replacingOccurrences(of: "\n", with: "\\n"))"

            """)
        #expect(try await cli.run("queue", "create", "boxes", "--target", "container", "--config", config.path).status == 0)
        let id = try await cli.enqueueID(job, "--queue", "boxes")
        let agent = try cli.startAgent(queues: ["boxes"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
            removeImages()
        }
        do {
            let passed = try await eventually(timeout: 120) { try await cli.state(id) == "succeeded" }
            let detail = "\((try? await cli.run("item", id).stdout) ?? "")"
            #expect(passed, "\(detail)")
        }
        let expected = try await programOutput(["sh", "-c", "printf '%s' \"$0\" | md5sum", key])
        let logs = try await cli.run("item", id).stdout
        #expect(logs.contains(expected), "\(logs)")
        #expect(logs.contains("  stdout 3\n"), "\(logs)")
    }

    /// Images this test built; the machine keeps only the shared base image.
    /// Called from `defer`, so it waits the old way.
    func removeImages() {
        func podman(_ arguments: [String]) -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["podman"] + arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return "" }
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return output
        }
        let ids = podman(["images", "--quiet", "--filter", "reference=localhost/launchdeck/\(job)"]).split(separator: "\n").map(String.init)
        if !ids.isEmpty { _ = podman(["rmi", "--force"] + Set(ids)) }
    }

    /// Runs podman and returns what it printed.
    func podman(_ arguments: [String]) async -> String {
        (try? await programOutput(["podman"] + arguments)) ?? ""
    }
}
}

import Foundation
import Testing

/// The container target with real Podman: build, run, logs, progress, image reuse, cancel.
/// Needs Podman and the local base image that `scripts/setup-podman` makes (no registry is reachable).
@Suite(.serialized) struct ContainerTargetTests {
    static var podmanReady: Bool {
        RequiredComponent.available("podman with localhost/base:latest (run scripts/setup-podman)",
                                    probe: ["podman", "image", "exists", "localhost/base:latest"])
    }

    /// A job name of its own per test run, so an image left by an earlier run is never reused by mistake.
    let job = "boxed-\(UUID().uuidString.prefix(8).lowercased())"

    func setUp(_ cli: LaunchdeckProcess, script: String) throws {
        _ = try cli.write("job/run.sh", script)
        #expect(try cli.run("job", "create", job, "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
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
        let created = try cli.run("queue", "create", "boxes", "--target", "container", "--config", config.path)
        #expect(created.status == 0, "\(created.stderr)")
    }

    @Test func buildsOnceRunsAndStreamsOutput() throws {
        guard Self.podmanReady else { return }
        let cli = try LaunchdeckProcess()
        try setUp(cli, script: """
            #!/bin/sh
            echo "$GREETING from $(cat /built.txt) as item $LAUNCHDECK_ITEM_ID"
            echo "launchdeck:progress 3/3 finished"
            echo "to stderr" >&2
            """)
        let first = try cli.enqueueID(job, "--queue", "boxes", "--set", "greeting=bonjour")
        let agent = try cli.startAgent(queues: ["boxes"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
            removeImages()
        }
        let finished = try eventually(timeout: 120) { try cli.state(first) == "succeeded" }
        #expect(finished, "\((try? cli.items()[first]) ?? [:])")

        let item = try #require(try cli.json("item", "describe", first, "-o", "json") as? [String: Any])
        let logs = (item["logs"] as? [[String: Any]] ?? []).map { "\($0["stream"]!): \($0["text"]!)" }
        #expect(logs.contains { $0.hasPrefix("build: STEP 1/4: FROM localhost/base:latest") }, "\(logs)")
        #expect(logs.contains { $0.hasPrefix("build: STEP 3/4: RUN echo built-in-image") })
        #expect(logs.contains("stdout: bonjour from built-in-image as item \(first)"), "\(logs)")
        #expect(logs.contains("stderr: to stderr"))
        #expect(item["building_at"] is String)
        #expect((item["progress"] as? [String: Any])?["message"] as? String == "finished")

        // Same job version, same queue settings: the image is reused, not built again.
        let second = try cli.enqueueID(job, "--queue", "boxes")
        #expect(try eventually(timeout: 60) { try cli.state(second) == "succeeded" })
        let again = try #require(try cli.json("item", "describe", second, "-o", "json") as? [String: Any])
        let againLogs = (again["logs"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(againLogs.contains { $0.contains("exists; not building again") }, "\(againLogs)")
        #expect(!againLogs.contains { $0.hasPrefix("STEP ") })
        #expect(againLogs.contains("hello from built-in-image as item \(second)"))
    }

    @Test func cancelStopsTheContainer() throws {
        guard Self.podmanReady else { return }
        let cli = try LaunchdeckProcess()
        try setUp(cli, script: "#!/bin/sh\necho started\nsleep 300\n")
        let id = try cli.enqueueID(job, "--queue", "boxes")
        let agent = try cli.startAgent(queues: ["boxes"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
            removeImages()
        }
        let name = "launchdeck-\(id.lowercased())"
        func containerRunning() -> Bool {
            !podman(["ps", "--quiet", "--filter", "name=^\(name)$"]).isEmpty
        }
        #expect(try eventually(timeout: 120) { try cli.state(id) == "running" && containerRunning() })
        // The build's progress reached the item, and stays while the job reports none of its own.
        let building = try #require(try cli.items()[id]?["progress"] as? [String: Any])
        #expect(building["phase"] as? String == "build" && building["current"] as? Double == 4 && building["total"] as? Double == 4)
        #expect(try cli.run("cancel", id).status == 0)
        #expect(eventually(timeout: 20) { !containerRunning() }, "container \(name) still running")
        #expect(try cli.state(id) == "cancelled")
    }

    /// Images this test built; the machine keeps only the shared base image.
    func removeImages() {
        let ids = podman(["images", "--quiet", "--filter", "reference=localhost/launchdeck/\(job)"]).split(separator: "\n").map(String.init)
        if !ids.isEmpty { _ = podman(["rmi", "--force"] + Set(ids)) }
    }

    /// Runs podman and returns what it printed.
    func podman(_ arguments: [String]) -> String {
        (try? programOutput(["podman"] + arguments)) ?? ""
    }
}

import Foundation
import Testing

/// Shared mode through the real binaries: a server, a workstation that makes the job and enqueues, an agent on a
/// machine of its own that runs the items, each with its own data directory and only the server in common.
@Suite(.serialized) struct ServerEndToEndTests {
    @Test func aRemoteAgentRunsWhatAWorkstationEnqueues() async throws {
        let server = try await ServerProcess.start()
        let workstation = try server.client()
        let gpuBox = try server.client()
        _ = try workstation.write("job/run.sh", "echo \"hello from $LAUNCHDECK_ITEM_ID\"\nexit \"${1:-0}\"\n")
        #expect(try await workstation.run("queue", "create", "remote", "--target", "local-process").status == 0)
        let created = try await workstation.run("job", "create", "probe", "--dir", workstation.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh")
        #expect(created.status == 0, "\(created.stderr)")
        let good = try await workstation.enqueueID("probe", "--queue", "remote")

        let agent = try gpuBox.startAgent(queues: ["remote"], name: "gpu-box")
        defer { agent.terminate() }
        #expect(try await eventually { try await workstation.state(good) == "succeeded" })
        let describe = try #require(try await workstation.json("item", "describe", good, "-o", "json") as? [String: Any])
        let logs = (describe["logs"] as? [[String: Any]] ?? []).map { "\($0["stream"]!): \($0["text"]!)" }
        #expect(logs.contains("stdout: hello from \(good)"), "\(logs)")
        #expect(logs.contains { $0.hasPrefix("build: fetched") }, "the agent fetched the code from the server: \(logs)")

        // An idle remote agent starts a new item at once: its lease waits on the server.
        let started = Date()
        let next = try await workstation.enqueueID("probe", "--queue", "remote")
        #expect(try await eventually(every: 0.02) { try await workstation.state(next) == "succeeded" })
        #expect(Date().timeIntervalSince(started) < 10)

        // The dashboard's one-shot report, through the server, names it.
        let once = try await workstation.run("--once", "-o", "json")
        #expect(once.status == 0 || once.status == 3, "\(once.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(once.stdout.utf8)) as? [String: Any])
        #expect(report["backend"] as? String == server.url, "\(report.keys.sorted())")

        agent.terminate()
        await agent.exited()
        await server.stop()
        #expect(server.process.terminationStatus == 0)
        #expect(try String(contentsOf: server.home.home.appendingPathComponent("server.out"), encoding: .utf8).contains("launchdeck server stopped"))
    }

    @Test func tokensDecideWhoMayDoWhat() async throws {
        let server = try await ServerProcess.start()
        let admin = try server.client()
        #expect(try await admin.run("queue", "create", "q", "--target", "local-process").status == 0)
        #expect(try await admin.run("job", "create", "img", "--image", "localhost/base:latest", "--entrypoint", "true").status == 0)
        let made = try #require(try await admin.json("token", "create", "--role", "viewer", "--name", "watcher", "-o", "json") as? [String: Any])
        let secret = try #require(made["secret"] as? String)
        #expect(secret.hasPrefix("ldk_"))
        let listed = try await admin.run("token", "list")
        #expect(listed.stdout.contains("watcher") && !listed.stdout.contains(secret), "a listing never shows a secret")

        let viewer = try server.client(token: secret)
        #expect(try await viewer.run("items").status == 0)
        let refused = try await viewer.run("enqueue", "img", "--queue", "q")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("viewer"), "\(refused.stderr)")

        let stranger = try server.client(token: "ldk_" + String(repeating: "A", count: 38))
        let unknown = try await stranger.run("items")
        #expect(unknown.status != 0 && unknown.stderr.contains("LaunchDeck token"), "\(unknown.stderr)")

        #expect(try await admin.run("token", "revoke", "watcher").status == 0)
        let revoked = try await viewer.run("items")
        #expect(revoked.status != 0 && revoked.stderr.contains("revoked"), "\(revoked.stderr)")
        await server.stop()
    }
}

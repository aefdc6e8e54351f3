import Foundation
import TestSupport
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

        // An idle remote agent takes a new item from its waiting lease (how fast: `launchdeck bench --only server`).
        let next = try await workstation.enqueueID("probe", "--queue", "remote")
        #expect(try await eventually(every: 0.02) { try await workstation.state(next) == "succeeded" })

        // The dashboard's one-shot report, through the server, names it.
        let once = try await workstation.run("--once", "-o", "json")
        #expect(once.status == 0 || once.status == 3, "\(once.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(once.stdout.utf8)) as? [String: Any])
        #expect(report["backend"] as? String == server.url, "\(report.keys.sorted())")

        agent.terminate()
        await agent.exited()
        await server.stop()
        #expect(server.process.terminationStatus == 0)
        #expect(try String(contentsOf: server.output, encoding: .utf8).contains("launchdeck server stopped"))
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

/// A server killed with SIGKILL in the middle of a burst of enqueues from four clients: started again on the same
/// store, it has every enqueue a client was told succeeded, each once (the clients' retries carry idempotency keys),
/// and the store is whole.
@Suite(.serialized) struct ServerCrashTests {
    @Test func aKilledServerKeepsEveryAcknowledgedEnqueueExactlyOnce() async throws {
        var server = try await ServerProcess.start()
        let admin = try server.client()
        #expect(try await admin.run("job", "create", "t", "--image", "localhost/base:latest", "--entrypoint", "true").status == 0)
        #expect(try await admin.run("queue", "create", "q", "--target", "local-process").status == 0)
        let clients = try (0..<4).map { _ in try server.client() }
        var writers: [Process] = []
        for (index, client) in clients.enumerated() {
            writers.append(try client.start(["debug", "enqueue-burst", "--job", "t", "--queue", "q", "--count", "500"],
                                            stdout: client.home.appendingPathComponent("burst.out"),
                                            stderr: client.home.appendingPathComponent("burst-\(index).err")))
        }
        func acknowledged() -> [String] {
            clients.flatMap { client in
                ((try? String(contentsOf: client.home.appendingPathComponent("burst.out"), encoding: .utf8)) ?? "")
                    // A line cut by the kill was never acknowledged in full.
                    .split(separator: "\n").map(String.init).filter { $0.count == 26 }
            }
        }
        #expect(await eventually(timeout: 60, every: 0.01) { acknowledged().count >= 300 })
        kill(server.process.processIdentifier, SIGKILL)
        await server.process.exited()
        server = try await ServerProcess.start(home: server.home, listen: server.address)
        defer { server.process.terminate() }
        for writer in writers { await writer.exited() }

        let ids = acknowledged()
        let stored = try await admin.items()
        for id in ids { #expect(stored[id] != nil, "acknowledged \(id) is missing") }
        #expect(Set(ids).count == ids.count)
        // At most the one request in flight per client when the server died may have been stored unacknowledged.
        #expect(stored.count <= ids.count + clients.count, "\(stored.count) stored for \(ids.count) acknowledged")
        #expect(ids.count >= 300)
        await server.stop()
        let check = try await server.home.run("debug", "integrity-check")
        #expect(check.status == 0 && check.stdout == "ok\n", "\(check.stdout) \(check.stderr)")
    }
}

/// The dashboard and HTTPS against a server, through the real binaries.
@Suite(.serialized) struct RemoteDashboardTests {
    @Test func aRemoteDashboardShowsTheServersQueuesAndLiveWork() async throws {
        guard RequiredComponent.available("tmux", probe: ["tmux", "-V"]) else { return }
        let server = try await ServerProcess.start()
        defer { server.process.terminate() }
        let workstation = try server.client()
        // The job stays at 25% until the test has seen it (a fixed sleep was over before a dashboard on a machine busy
        // with the whole suite drew it), for at most a minute.
        let seen = workstation.home.appendingPathComponent("progress-seen").path
        _ = try workstation.write("job/run.sh", """
            echo 'launchdeck:progress 1/4 warming up'
            for _ in $(seq 600); do [ -e '\(seen)' ] && break; sleep 0.1; done
            echo 'launchdeck:progress 4/4 done'

            """)
        #expect(try await workstation.run("queue", "create", "team", "--target", "local-process").status == 0)
        #expect(try await workstation.run("job", "create", "slow", "--dir", workstation.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        let gpuBox = try server.client()
        let agent = try gpuBox.startAgent(queues: ["team"], name: "gpu-box")
        defer { agent.terminate() }

        let laptop = try server.client()
        let tmux = DashboardEndToEndTests.Tmux()
        defer { tmux.kill() }
        let command = "env LAUNCHDECK_HOME='\(laptop.home.path)' LAUNCHDECK_BACKEND='\(server.url)' LAUNCHDECK_TOKEN='\(server.adminToken)' "
            + "'\(LaunchdeckProcess.binary.path)' --refresh 0.3; sleep 60"
        tmux.run(["new-session", "-d", "-s", "deck", "-x", "140", "-y", "40", command])
        #expect(await tmux.waitFor(String(server.url.dropFirst("http://".count))), "the title names the server: \(tmux.screen)")
        #expect(await tmux.waitFor("team"), "\(tmux.screen)")
        #expect(await tmux.waitFor("gpu-box"), "the remote agent is listed: \(tmux.screen)")
        let id = try await workstation.enqueueID("slow", "--queue", "team")
        #expect(await tmux.waitFor(" 25%"), "live progress from the remote agent: \(tmux.screen)")
        _ = FileManager.default.createFile(atPath: seen, contents: nil)
        #expect(await tmux.waitFor("succeeded", timeout: 30), "\(tmux.screen)")
        #expect(try await workstation.state(id) == "succeeded")
        // A dashboard of a server starts no agent of its own on the laptop.
        let agents = try #require(try await workstation.json("agent", "list", "-o", "json") as? [[String: Any]])
        #expect(agents.map { $0["name"] as? String } == ["gpu-box"])
        tmux.keys("q")
    }

    /// `:backend NAME` switches between this machine's store and a profile's server without leaving the dashboard;
    /// the title bar always names what is shown, and nothing of one backend is shown as the other's.
    @Test func backendSwitchesBetweenTheEmbeddedStoreAndAProfile() async throws {
        guard RequiredComponent.available("tmux", probe: ["tmux", "-V"]) else { return }
        let server = try await ServerProcess.start()
        defer { server.process.terminate() }
        let workstation = try server.client()
        #expect(try await workstation.run("queue", "create", "team-gpus", "--target", "local-process").status == 0)

        let laptop = try LaunchdeckProcess()
        #expect(try await laptop.run("queue", "create", "laptop-only", "--target", "local-process").status == 0)
        let tokenFile = try laptop.write("config/launchdeck/team.token", server.adminToken + "\n")
        #expect(chmod(tokenFile.path, 0o600) == 0)
        _ = try laptop.write("config/launchdeck/config.yaml", """
            profiles:
              team:
                backend: \(server.url)
                token_file: \(tokenFile.path)
            """)
        let tmux = DashboardEndToEndTests.Tmux()
        defer { tmux.kill() }
        // LAUNCHDECK_TOKEN is set, and wrong for the server: a switch must use the profile's token file only.
        let command = "env LAUNCHDECK_HOME='\(laptop.home.path)' XDG_CONFIG_HOME='\(laptop.home.path)/config' LAUNCHDECK_TOKEN=ldk_not_for_the_team "
            + "'\(LaunchdeckProcess.binary.path)' --no-agent --refresh 0.3; sleep 60"
        tmux.run(["new-session", "-d", "-s", "deck", "-x", "140", "-y", "40", command])
        #expect(await tmux.waitFor("laptop-only"), "\(tmux.screen)")
        tmux.type(":backend te")
        tmux.keys("Tab")
        tmux.keys("Enter")
        let address = String(server.url.dropFirst("http://".count))
        #expect(await tmux.waitFor(address), "the title names the server: \(tmux.screen)")
        #expect(await tmux.waitFor("team-gpus"), "\(tmux.screen)")
        #expect(!tmux.screen.contains("laptop-only"), "the laptop's queue is not shown as the server's: \(tmux.screen)")
        tmux.type(":backend nowhere")
        tmux.keys("Enter")
        #expect(await tmux.waitFor("no backend nowhere"), "\(tmux.screen)")
        #expect(tmux.screen.contains("team-gpus"), "a bad name keeps the backend on screen: \(tmux.screen)")
        tmux.type(":backend embedded")
        tmux.keys("Enter")
        #expect(await tmux.waitFor("laptop-only"), "\(tmux.screen)")
        #expect(!tmux.screen.contains("team-gpus"), "\(tmux.screen)")
        #expect(!tmux.screen.contains(address), "\(tmux.screen)")
        tmux.keys("q")
    }

    @Test func clientsReachAServerOverHTTPSWithItsCA() async throws {
        guard RequiredComponent.available("openssl", probe: ["openssl", "version"]) else { return }
        let keys = try LaunchdeckProcess()
        let certificate = keys.home.appendingPathComponent("server.pem"), key = keys.home.appendingPathComponent("server-key.pem")
        let made = try await keys.run(["-c", """
            openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
              -keyout '\(key.path)' -out '\(certificate.path)' 2>&1
            """], executable: "/bin/sh")
        #expect(made.status == 0, "\(made.stdout)")
        let server = try await ServerProcess.start(extra: ["--tls-cert", certificate.path, "--tls-key", key.path])
        defer { server.process.terminate() }
        #expect(server.url.hasPrefix("https://"))
        var client = try server.client()
        let untrusted = try await client.run("queue", "list")
        #expect(untrusted.status != 0, "a certificate no CA vouches for is refused")
        client.environment["LAUNCHDECK_CA_FILE"] = certificate.path
        let trusted = try await client.run("queue", "list")
        #expect(trusted.status == 0, "\(trusted.stderr)")
    }
}

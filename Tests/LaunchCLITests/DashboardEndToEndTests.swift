import Foundation
import TestSupport
import Testing

/// The dashboard in a real terminal: the built binary inside tmux, keys sent with `send-keys`, the screen read
/// with `capture-pane`, waiting for text (never fixed sleeps).
@Suite(.serialized) struct DashboardEndToEndTests {
    /// A tmux server of its own, so tests never touch the user's sessions.
    struct Tmux {
        let socket = "launchdeck-test-\(UUID().uuidString.prefix(8))"

        @discardableResult
        func run(_ arguments: [String]) -> String {
            // posix_spawn and waitpid rather than Foundation's Process: a `new-session` client forks the tmux server
            // and exits, and Process was seen never to notice that exit. Output goes to a file, since the server
            // would keep an inherited pipe open forever.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let argv = ["tmux", "-L", socket] + arguments
            var cArguments = argv.map { strdup($0) } + [nil]
            defer { cArguments.forEach { free($0) } }
            var pid: pid_t = 0
            guard posix_spawnp(&pid, "tmux", &actions, nil, &cArguments, environ) == 0 else { return "" }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        }

        func keys(_ keys: String...) { run(["send-keys", "-t", "deck"] + keys) }
        func type(_ text: String) { run(["send-keys", "-t", "deck", "-l", text]) }
        var screen: String { run(["capture-pane", "-t", "deck", "-p"]) }

        func waitFor(_ text: String, timeout: Double = 20) async -> Bool {
            await eventually(timeout: timeout, every: 0.1) { screen.contains(text) }
        }

        /// Ends the server and what runs in its panes: `kill-server` alone was seen to leave a pane's dashboard
        /// running (and its tmux server waiting for it) minutes after the test.
        func kill() {
            let panes = run(["list-panes", "-a", "-F", "#{pane_pid}"]).split(separator: "\n").compactMap { pid_t($0) }
            run(["kill-server"])
            for pane in panes {
                Glibc.kill(-pane, SIGKILL)
                Glibc.kill(pane, SIGKILL)
            }
        }
    }

    @Test func aUserSessionFromOpenToQuit() async throws {
        guard RequiredComponent.available("tmux", probe: ["tmux", "-V"]) else { return }
        let cli = try LaunchdeckProcess()
        let marker = cli.home.appendingPathComponent("editor-ran-once")
        let editor = try cli.write("editor.sh", """
            #!/bin/sh
            if [ ! -f "\(marker.path)" ]; then
              touch "\(marker.path)"
              printf 'resource: [broken\\n' > "$1"
            else
              printf '# edited in the dashboard\\nvariables:\\n  timeout_minutes: {type: int, default: 10, min: 1, max: 120}\\nresource:\\n  timeout: "{{timeout_minutes}}m"\\n' > "$1"
            fi
            """, executable: true)
        let after = cli.home.appendingPathComponent("after-quit")
        let tmux = Tmux()
        defer {
            tmux.kill()
            Self.killAgents(of: cli)
        }
        let command = "env LAUNCHDECK_HOME='\(cli.home.path)' EDITOR='\(editor.path)' VISUAL= WANDB_API_KEY=hidden-secret-123 "
            + "'\(LaunchdeckProcess.binary.path)' --refresh 0.5; stty -a > '\(after.path)'; echo DASHBOARD-EXITED; sleep 60"
        tmux.run(["new-session", "-d", "-s", "deck", "-x", "120", "-y", "40", command])

        // Open: the demo queue, job and a local agent appear, and the demo item runs.
        #expect(await tmux.waitFor("[1] Queues (1)"), "\(tmux.screen)")
        #expect(await tmux.waitFor("Items of local"))
        #expect(await tmux.waitFor("demo-train:v1"), "\(tmux.screen)")
        #expect(await tmux.waitFor("succeeded", timeout: 30), "\(tmux.screen)")

        // Enqueue with a template variable, checked by the form.
        tmux.keys("1")
        tmux.keys("n")
        #expect(await tmux.waitFor("Enqueue on local"))
        tmux.keys("Down", "Down", "Down")
        tmux.type("500")
        #expect(await tmux.waitFor("500 is above max 120"))
        tmux.keys("BSpace", "BSpace", "BSpace")
        tmux.type("7")
        tmux.keys("Enter")
        #expect(await tmux.waitFor("enqueued "), "\(tmux.screen)")
        let items = try await cli.items()
        let enqueued = try #require(items.values.first { ($0["variables"] as? [String: Any])?["timeout_minutes"] as? Int == 7 })
        let id = try #require(enqueued["id"] as? String)

        // Watch it run to succeeded with its log lines.
        tmux.keys("l")
        #expect(await tmux.waitFor("Logs · all streams"))
        #expect(await tmux.waitFor("epoch 3/3", timeout: 30), "\(tmux.screen)")
        #expect(await tmux.waitFor("succeeded (exit 0)", timeout: 30))
        tmux.keys("Escape")

        // Relaunch by keypress.
        #expect(await tmux.waitFor("[2] Items of local"))
        tmux.keys("r")
        #expect(await tmux.waitFor("relaunched \(id) as"), "\(tmux.screen)")
        #expect(await eventually { (try? await cli.items().values.contains { $0["relaunch_of"] as? String == id }) ?? false })

        // Edit the queue's configuration: invalid YAML first (shown in a dialog), then fixed.
        tmux.keys("1")
        tmux.keys("e")
        #expect(await tmux.waitFor("NOT saved"), "\(tmux.screen)")
        #expect(tmux.screen.contains("YAML syntax error"))
        tmux.keys("Enter")
        #expect(await tmux.waitFor("configuration updated"), "\(tmux.screen)")
        let queue = try #require(try await cli.json("queue", "describe", "local", "-o", "json") as? [String: Any])
        #expect((queue["config_text"] as? String)?.hasPrefix("# edited in the dashboard") == true)

        // Inspect the agent's environment; secrets stay hidden.
        tmux.keys("3")
        tmux.keys("Enter")
        #expect(await tmux.waitFor("Environment (secrets redacted)"), "\(tmux.screen)")
        #expect(tmux.screen.contains("CPU"))
        #expect(!tmux.screen.contains("hidden-secret-123"))
        tmux.keys("Escape")

        // Resize below the minimum and back.
        tmux.run(["resize-window", "-t", "deck", "-x", "30", "-y", "8"])
        #expect(await tmux.waitFor("terminal too small"), "\(tmux.screen)")
        tmux.run(["resize-window", "-t", "deck", "-x", "120", "-y", "40"])
        #expect(await tmux.waitFor("[1] Queues"))
        // A resize storm, 1x1 included: the dashboard keeps up and ends on the right layout.
        for step in 0..<50 {
            tmux.run(["resize-window", "-t", "deck", "-x", String(1 + (step * 37) % 160), "-y", String(1 + (step * 11) % 50)])
        }
        tmux.run(["resize-window", "-t", "deck", "-x", "100", "-y", "30"])
        #expect(await tmux.waitFor("[3] Agents"), "\(tmux.screen)")

        // Quit with nothing in flight (so no question is asked): the terminal is back in its normal mode.
        #expect(await eventually(timeout: 30) { (try? await cli.items().values.allSatisfy { $0["state"] as? String == "succeeded" }) ?? false })
        #expect(await eventually(timeout: 10) {
            tmux.screen.split(separator: "\n").contains { $0.contains("dashboard-") && $0.contains(" idle ") && $0.contains(" 0/") }
        }, "\(tmux.screen)")
        tmux.keys("q")
        #expect(await tmux.waitFor("DASHBOARD-EXITED"), "\(tmux.screen)")
        let modes = try String(contentsOf: after, encoding: .utf8)
        #expect(modes.contains(" icanon") && modes.contains(" echo"), "\(modes)")
    }

    /// A day of work on one data directory: a second launch still runs `local` items; progress keeps moving after
    /// the log view closes; a paused queue shows at 140 columns; an id copied from the screen (or with `c`) works in
    /// `launchdeck item`; an agent without a container engine leases nothing from a container queue; marking three
    /// items and cancelling cancels exactly those three; `q` with an item running asks, and keeping it keeps it
    /// running after the dashboard is gone.
    @Test func aSecondLaunchKeepsWorkingAndNothingIsThrownAway() async throws {
        guard RequiredComponent.available("tmux", probe: ["tmux", "-V"]) else { return }
        let cli = try LaunchdeckProcess()
        let gate = cli.home.appendingPathComponent("gate")
        defer {
            FileManager.default.createFile(atPath: gate.path, contents: nil)
            Self.killAgents(of: cli)
        }
        let tmux = Tmux()
        defer { tmux.kill() }
        let dashboard = "env LAUNCHDECK_HOME='\(cli.home.path)' '\(LaunchdeckProcess.binary.path)' --refresh 0.3"

        // First launch: the demo item runs on the dashboard's agent; quitting with nothing in flight stops it.
        tmux.run(["new-session", "-d", "-s", "deck", "-x", "140", "-y", "40", dashboard + "; echo FIRST-EXITED; sleep 600"])
        tmux.run(["set-option", "-g", "set-clipboard", "on"])
        #expect(await tmux.waitFor("succeeded", timeout: 30), "\(tmux.screen)")
        #expect(await eventually(timeout: 10) { tmux.screen.contains(" idle ") }, "\(tmux.screen)")
        tmux.keys("q")
        #expect(await tmux.waitFor("FIRST-EXITED"), "\(tmux.screen)")
        #expect(try await eventually(timeout: 15) {
            try await (cli.json("agent", "list", "-o", "json") as? [[String: Any]] ?? []).allSatisfy { $0["state"] as? String == "stopped" }
        })

        // What the second launch finds: a paused queue with five items, a container queue, and an agent on this
        // machine whose container engine does not answer.
        _ = try cli.write("slow/run.sh", """
            i=0
            while [ $i -lt 600 ] && [ ! -f "\(gate.path)" ]; do i=$((i+1)); echo "launchdeck:progress $i/600 step"; sleep 0.1; done
            echo done
            """)
        #expect(try await cli.run("job", "create", "slow", "--dir", cli.home.appendingPathComponent("slow").path, "--entrypoint", "sh run.sh").status == 0)
        #expect(try await cli.run("queue", "create", "held", "--target", "local-process").status == 0)
        let held = try await cli.run("enqueue", "slow", "--queue", "held", "--count", "5").stdout.split(separator: "\n").map(String.init)
        #expect(try await cli.run("queue", "pause", "held").status == 0)
        let box = try cli.write("box.yaml", "resource:\n  runtime: podman\n  base_image: localhost/base:latest\n")
        #expect(try await cli.run("queue", "create", "box", "--target", "container", "--config", box.path).status == 0)
        #expect(try await cli.run("queue", "create", "spare", "--target", "local-process").status == 0)
        let boxed = try await cli.enqueueID("slow", "--queue", "box")
        for engine in ["podman", "docker"] {
            _ = try cli.write("bin/\(engine)", "#!/bin/sh\necho 'cannot connect' >&2\nexit 125\n", executable: true)
        }
        var engineless = cli
        engineless.environment["PATH"] = cli.home.appendingPathComponent("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let halfAgent = try engineless.startAgent(queues: ["box", "spare"], name: "no-engine")
        defer { halfAgent.terminate(); halfAgent.waitUntilExit() }
        let slow = try await cli.enqueueID("slow", "--queue", "local")

        // Second launch on the same data directory: its agent runs the new local item.
        tmux.run(["new-window", "-t", "deck", dashboard + "; echo SECOND-EXITED; sleep 600"])
        #expect(try await eventually(timeout: 30) { try await cli.state(slow) == "running" }, "\(tmux.screen)")
        #expect(await tmux.waitFor("slow:v1"), "\(tmux.screen)")

        // The paused queue is marked at 140 columns; the engineless agent shows what it cannot serve.
        #expect(await tmux.waitFor("held ⏸ paused"), "\(tmux.screen)")
        #expect(await tmux.waitFor("no-engine ⚠ can"), "\(tmux.screen)")

        // Progress keeps moving after the log view is closed.
        tmux.keys(":")
        tmux.type("items local")
        tmux.keys("Enter")
        #expect(await tmux.waitFor("[2] Items of local"), "\(tmux.screen)")
        tmux.keys("l")
        #expect(await tmux.waitFor("Logs · all streams"), "\(tmux.screen)")
        #expect(await tmux.waitFor("attempt 1 of"), "\(tmux.screen)")
        tmux.keys("Escape")
        #expect(await tmux.waitFor("[2] Items of local"), "\(tmux.screen)")
        func shownProgress() -> Int? {
            tmux.screen.split(separator: "\n").first { $0.contains("slow:v1") && $0.contains("running") }
                .flatMap { $0.firstMatch(of: /(\d+)%/).flatMap { Int($0.1) } }
        }
        let before = shownProgress() ?? 0
        #expect(await eventually(timeout: 20) { (shownProgress() ?? 0) >= before + 3 }, "progress stuck at \(before)%: \(tmux.screen)")

        // Copy an id: what the screen shows, and what `c` puts on the clipboard, both name the item.
        tmux.keys(":")
        tmux.type("items held")
        tmux.keys("Enter")
        #expect(await tmux.waitFor("Items of held (5) · paused"), "\(tmux.screen)")
        // The id as the row shows it: the word before the job, in the Items pane (Queues and Agents share the line).
        let row = try #require(tmux.screen.split(separator: "\n").first { $0.contains("slow:v1") && $0.contains("queued") }, "\(tmux.screen)")
        let shownID = try #require(row[..<row.range(of: "slow:v1")!.lowerBound].split { $0 == " " || $0 == "│" }.last.map(String.init))
        let fromScreen = try await cli.run("item", shownID)
        #expect(fromScreen.status == 0 && held.contains { fromScreen.stdout.contains("Item:          \($0)") }, "\(shownID): \(fromScreen.stderr)")
        tmux.keys("c")
        #expect(await eventually(timeout: 5) { held.contains(tmux.run(["show-buffer"]).trimmingCharacters(in: .whitespacesAndNewlines)) },
                "clipboard: \(tmux.run(["show-buffer"]))")
        let copied = tmux.run(["show-buffer"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await cli.run("item", copied).status == 0)

        // Mark three of the five and cancel: exactly those three are cancelled.
        tmux.keys("Space", "Space", "Space")
        #expect(await tmux.waitFor("· 3 marked"), "\(tmux.screen)")
        tmux.keys("C-d")
        #expect(await tmux.waitFor("Cancel the 3 marked items"), "\(tmux.screen)")
        tmux.keys("y")
        #expect(try await eventually { try await cli.items().values.filter { $0["queue"] as? String == "held" && $0["state"] as? String == "cancelled" }.count == 3 })
        let heldStates = try await cli.items().filter { held.contains($0.key) }.mapValues { $0["state"] as? String ?? "" }
        #expect(heldStates.values.sorted() == ["cancelled", "cancelled", "cancelled", "queued", "queued"], "\(heldStates)")
        // The marked rows were the selected one and the two below it, in the pane's order (newest first).
        let newestFirst = held.sorted(by: >)
        let startRow = try #require(newestFirst.firstIndex(of: copied))
        #expect(Set(newestFirst[startRow..<min(newestFirst.count, startRow + 3)]) == Set(heldStates.filter { $0.value == "cancelled" }.keys))

        // The engineless agent leased nothing from the container queue.
        #expect(try await cli.items()[boxed]?["attempts"] as? Int == 0)
        #expect(try await cli.state(boxed) == "queued")

        // Quit with the slow item running: the dashboard asks; keeping it keeps it running after the dashboard exits.
        #expect(try await cli.state(slow) == "running")
        tmux.keys("q")
        #expect(await tmux.waitFor("1 item runs on this dashboard's agent"), "\(tmux.screen)")
        tmux.keys("Enter")
        #expect(await tmux.waitFor("SECOND-EXITED"), "\(tmux.screen)")
        func progress() async throws -> Int {
            (try await cli.items()[slow]?["progress"] as? [String: Any])?["current"] as? Int ?? 0
        }
        let atExit = try await progress()
        #expect(try await eventually(timeout: 10) { try await progress() >= atExit + 5 }, "kept running after the dashboard is gone")
        #expect(try await cli.state(slow) == "running")
        FileManager.default.createFile(atPath: gate.path, contents: nil)
        #expect(try await eventually(timeout: 30) { try await cli.state(slow) == "succeeded" })
    }

    /// Kills the agents started with this test's data directory: background agents outlive the dashboard that
    /// started them by design, and must not outlive the test. Only launchdeck processes: their guards then end
    /// the jobs' trees themselves.
    static func killAgents(of cli: LaunchdeckProcess) {
        let marker = "LAUNCHDECK_HOME=\(cli.home.path)"
        let binary = LaunchdeckProcess.binary.resolvingSymlinksInPath().path
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(),
                  (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe")) == binary,
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            if environment.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == marker }) { kill(pid, SIGKILL) }
        }
    }

    /// An installed launchdeck without launchdeck-guard beside it: no item may fail for it; both say why.
    @Test func withoutTheGuardNoAgentStartsAndBothSayWhy() async throws {
        let cli = try LaunchdeckProcess()
        let missing = cli.home.appendingPathComponent("no-such-guard").path
        #expect(try await cli.run("demo").status == 0)
        let agent = try await cli.run(["agent", "--queue", "local"], environment: ["LAUNCHDECK_GUARD": missing])
        #expect(agent.status == 1 && agent.stderr.contains("launchdeck-guard not found at \(missing)"), "\(agent.stderr)")

        guard RequiredComponent.available("tmux", probe: ["tmux", "-V"]) else { return }
        let tmux = Tmux()
        defer { tmux.kill() }
        tmux.run(["new-session", "-d", "-s", "deck", "-x", "200", "-y", "30",
                  "env LAUNCHDECK_HOME='\(cli.home.path)' LAUNCHDECK_GUARD='\(missing)' '\(LaunchdeckProcess.binary.path)' --refresh 0.2; sleep 60"])
        #expect(await tmux.waitFor("No local agent: launchdeck-guard not found"), "\(tmux.screen)")
        #expect(await tmux.waitFor("demo-train:v1"), "\(tmux.screen)")
        let items = try #require(try await cli.json("items", "-o", "json") as? [[String: Any]])
        #expect(items.map { $0["state"] as? String } == ["queued"], "the demo item waits for an agent instead of failing")
        let agents = try #require(try await cli.json("agent", "list", "-o", "json") as? [[String: Any]])
        #expect(agents.isEmpty)
    }

    @Test func onceRendersTheViewsAndExitsThreeWhenSomethingNeedsAHuman() async throws {
        let cli = try LaunchdeckProcess()
        _ = try cli.write("job/run.sh", "exit 3\n")
        #expect(try await cli.run("job", "create", "bad", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        let healthy = try await cli.run("--once")
        #expect(healthy.status == 0, "\(healthy.stderr)")
        #expect(healthy.stdout.contains("[1] Queues (1)") && healthy.stdout.contains("[3] Agents (0)"))

        let id = try await cli.enqueueID("bad", "--queue", "q")
        let agent = try cli.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually { try await cli.state(id) == "failed" })
        let failing = try await cli.run("--once")
        #expect(failing.status == 3)
        #expect(failing.stdout.contains("failed"))
        let json = try await cli.run("--once", "--output", "json")
        #expect(json.status == 3)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["needs_attention"] as? Bool == true)
        #expect((report["items"] as? [[String: Any]])?.first?["state"] as? String == "failed")
    }
}

import Foundation
import TestSupport
import Testing

/// Hostile or unlucky input at the command line: each gets a clear one-line answer and loses nothing.
@Suite(.serialized) struct HostileInputCLITests {
    func expectBadInput(_ result: LaunchdeckProcess.Result, mentioning words: [String], _ what: String) {
        #expect(result.status == 2, "\(what): exit \(result.status) \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(what): \(result.stderr)")
        for word in words { #expect(result.stderr.contains(word), "\(what): \(result.stderr)") }
    }

    @Test func gitSourcesOutsideTheNetworkAreRefusedAtJobCreate() async throws {
        let cli = try LaunchdeckProcess()
        let commit = String(repeating: "a", count: 40)
        for url in ["file:///etc", "/etc", "ext::sh -c touch% /tmp/pwned", "fd::3", "git://example.invalid/r"] {
            let result = try await cli.run("job", "create", "g", "--git", url, "--commit", commit, "--entrypoint", "true")
            expectBadInput(result, mentioning: ["--git"], url)
        }
        #expect(try await cli.run("job", "create", "g", "--git", "git@example.invalid:org/r.git", "--commit", commit, "--entrypoint", "true").status == 0)
        #expect(try await cli.run("job", "create", "h", "--git", "https://example.invalid/org/r.git", "--commit", commit, "--entrypoint", "true").status == 0)
    }

    /// Allowed at job create, but the agent was not started with --allow-local-git: it refuses to clone.
    @Test func anAgentClonesLocalRepositoriesOnlyWhenAllowed() async throws {
        let cli = try LaunchdeckProcess()
        let commit = String(repeating: "b", count: 40)
        #expect(try await cli.run("job", "create", "g", "--git", "file://\(cli.home.path)", "--commit", commit, "--entrypoint", "true",
                            "--allow-local-git").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        let id = try await cli.enqueueID("g", "--queue", "q")
        let agent = try cli.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually { try await cli.state(id) == "failed" })
        let error = try await cli.items()[id]?["error"] as? String ?? ""
        #expect(error.contains("file:// URLs are refused") && error.contains("--allow-local-git"), "\(error)")
    }

    /// A clone from a server that accepts the connection and never answers: the preparation's own limit ends it.
    @Test func aStalledCloneCannotHoldASlot() async throws {
        guard RequiredComponent.available("git", probe: ["git", "--version"]) else { return }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        #expect(bound && listen(listener, 8) == 0)
        let port = UInt16(bigEndian: address.sin_port)
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("job", "create", "g", "--git", "https://127.0.0.1:\(port)/r.git", "--commit", String(repeating: "c", count: 40),
                            "--entrypoint", "true").status == 0)
        let config = try cli.write("q.yaml", "resource:\n  prepare_timeout: 2s\n")
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process", "--config", config.path).status == 0)
        let id = try await cli.enqueueID("g", "--queue", "q")
        let agent = try cli.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually(timeout: 30) { try await cli.state(id) == "failed" })
        let error = try await cli.items()[id]?["error"] as? String ?? ""
        #expect(error.contains("preparation timed out after 2s (resource.prepare_timeout)"), "\(error)")
    }

    @Test func numbersThatWouldChangeStayAsTyped() async throws {
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("job", "create", "j", "--image", "x", "--entrypoint", "true").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        let result = try await cli.run("enqueue", "j", "--queue", "q", "--config", "seed=18446744073709551615", "--config", "tag=007",
                                 "--config", "lr=0.1", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("seed: 18446744073709551615 is kept as text") && result.stderr.contains("tag: 007 is kept as text"),
                "\(result.stderr)")
        let item = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let hyperparameters = try #require(item["hyperparameters"] as? [String: Any])
        #expect(hyperparameters["seed"] as? String == "18446744073709551615")
        #expect(hyperparameters["tag"] as? String == "007")
        #expect(hyperparameters["lr"] as? Double == 0.1)
    }

    @Test func agentNamesAreValidated() async throws {
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        for name in ["a/b", "", "x\ny", "../../etc"] {
            expectBadInput(try await cli.run("agent", "--queue", "q", "--name", name), mentioning: ["--name"], name)
        }
    }

    @Test func theBillionLaughsGetsOneLine() async throws {
        let cli = try LaunchdeckProcess()
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let letters = Array("abcdefghij")
        for level in 1..<10 { text += "\(letters[level]): &\(letters[level]) [\(Array(repeating: "*\(letters[level - 1])", count: 9).joined(separator: ","))]\n" }
        let bomb = try cli.write("bomb.yaml", text)
        expectBadInput(try await cli.run("queue", "create", "q", "--target", "local-process", "--config", bomb.path), mentioning: ["bomb.yaml:2", "aliases"], "bomb")
        let huge = try cli.write("huge.yaml", "description: \"" + String(repeating: "x", count: 1_100_000) + "\"\n")
        expectBadInput(try await cli.run("queue", "create", "q", "--target", "local-process", "--config", huge.path), mentioning: ["1 MiB"], "huge")
    }

    /// Two `queue edit` at once: the later save does not throw the earlier change away; its editor reopens with a
    /// conflict notice, the user's text and the stored one, and saving that goes over the stored version knowingly.
    @Test func twoEditsAtOnceLoseNothing() async throws {
        let cli = try LaunchdeckProcess()
        let config = try cli.write("q.yaml", "max_attempts: 2\n")
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process", "--config", config.path).status == 0)
        let started = cli.home.appendingPathComponent("a.started"), bDone = cli.home.appendingPathComponent("b.done")
        let reopened = cli.home.appendingPathComponent("a.reopened")
        let editorA = try cli.write("editor-a.sh", """
            #!/bin/sh
            if [ -f "\(started.path)" ]; then cp "$1" "\(reopened.path)"; exit 0; fi
            touch "\(started.path)"
            while [ ! -f "\(bDone.path)" ]; do sleep 0.05; done
            echo "max_attempts: 4" > "$1"
            """, executable: true)
        let editorB = try cli.write("editor-b.sh", "#!/bin/sh\necho 'max_attempts: 5' > \"$1\"\n", executable: true)
        let aOut = cli.home.appendingPathComponent("a.out"), aErr = cli.home.appendingPathComponent("a.err")
        let a = try cli.start(["queue", "edit", "q"], stdout: aOut, stderr: aErr, extraEnvironment: ["EDITOR": editorA.path, "VISUAL": ""])
        #expect(await eventually { FileManager.default.fileExists(atPath: started.path) })
        let b = try await cli.run(["queue", "edit", "q"], environment: ["EDITOR": editorB.path, "VISUAL": ""])
        #expect(b.status == 0 && b.stdout.contains("configuration updated"), "\(b.stderr)")
        // A saves only once B has saved: B's editor signalling it raced B's own save (A then saved first, and B
        // was the one to hear of the conflict).
        FileManager.default.createFile(atPath: bDone.path, contents: nil)
        await a.exited()
        #expect(a.terminationStatus == 0, "\((try? String(contentsOf: aErr, encoding: .utf8)) ?? "")")
        #expect(((try? String(contentsOf: aErr, encoding: .utf8)) ?? "").contains("someone else saved"))
        let seen = (try? String(contentsOf: reopened, encoding: .utf8)) ?? ""
        #expect(seen.contains("someone else saved") && seen.contains("# launchdeck: | max_attempts: 5") && seen.hasSuffix("max_attempts: 4\n"), "\(seen)")
        let stored = try #require(try await cli.json("queue", "describe", "q", "-o", "json") as? [String: Any])
        #expect(stored["config_text"] as? String == "max_attempts: 4\n")
    }
}

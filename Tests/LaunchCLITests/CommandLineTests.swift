import Foundation
import Testing

@Suite struct CommandLineTests {
    @Test func createEnqueueListAndRelaunchThroughTheBinary() async throws {
        let cli = try LaunchdeckProcess()
        _ = try cli.write("code/train.py", "print('hello')\n")
        let requirements = try cli.write("requirements.txt", "numpy==2.0\n")
        let created = try await cli.run("job", "create", "mnist", "--dir", cli.home.appendingPathComponent("code").path,
                                  "--entrypoint", "python train.py --epochs 3", "--requirements", requirements.path,
                                  "--config", "lr=0.01", "--config", "optimizer=adam", "--dataset", "mnist:v3")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("created mnist:v1"))
        let again = try await cli.run("job", "create", "mnist", "--dir", cli.home.appendingPathComponent("code").path,
                                "--entrypoint", "python train.py --epochs 3", "--requirements", requirements.path,
                                "--config", "lr=0.01", "--config", "optimizer=adam", "--dataset", "mnist:v3")
        #expect(again.stdout.hasPrefix("unchanged, latest is mnist:v1"))

        let job = try #require(try await cli.json("job", "describe", "mnist:v1", "-o", "json") as? [String: Any])
        #expect(job["entrypoint"] as? [String] == ["python", "train.py", "--epochs", "3"])
        #expect((job["hyperparameters"] as? [String: Any])?["lr"] as? Double == 0.01)
        #expect(job["requirements"] as? String == "numpy==2.0\n")
        #expect(job["dataset"] as? String == "mnist:v3")
        #expect((job["source"] as? [String: Any])?["kind"] as? String == "snapshot")

        let config = try cli.write("gpu.yaml", """
            variables:
              gpus: {type: int, default: 1, min: 0, max: 8}
            resource:
              runtime: podman
              base_image: localhost/base:latest
              gpus: "{{gpus}}"

            """)
        #expect(try await cli.run("queue", "create", "gpu", "--target", "container", "--config", config.path).status == 0)

        let enqueued = try await cli.run("enqueue", "mnist", "--queue", "gpu", "--priority", "high", "--set", "gpus=4", "--config", "lr=0.1")
        #expect(enqueued.status == 0, "\(enqueued.stderr)")
        let id = enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 26)

        let items = try #require(try await cli.json("items", "--queue", "gpu", "--output", "json") as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items[0]["id"] as? String == id)
        #expect(items[0]["state"] as? String == "queued")
        #expect(items[0]["priority"] as? String == "high")
        #expect(items[0]["job"] as? String == "mnist:v1")
        #expect((items[0]["variables"] as? [String: Any])?["gpus"] as? Int == 4)
        #expect((items[0]["hyperparameters"] as? [String: Any])?["lr"] as? Double == 0.1)
        #expect(items[0].keys.contains("agent") && items[0]["agent"] is NSNull)

        let relaunched = try await cli.run("relaunch", String(id.prefix(12)))
        #expect(relaunched.status == 0, "\(relaunched.stderr)")
        let copyID = relaunched.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let copy = try #require(try await cli.json("item", "describe", copyID, "-o", "json") as? [String: Any])
        #expect(copy["relaunch_of"] as? String == id)
        #expect(copy["job"] as? String == "mnist:v1")
        #expect(copy["priority"] as? String == "high")
        let byDefault = try #require(try await cli.json("item", String(copyID.prefix(10)), "-o", "json") as? [String: Any])
        #expect(byDefault["id"] as? String == copyID, "`item ID` describes, as `item describe ID` does")

        let cancelled = try await cli.run("cancel", copyID)
        #expect(cancelled.status == 0 && cancelled.stdout.contains("cancelled"))
        let states = try #require(try await cli.json("items", "--state", "cancelled", "-o", "json") as? [[String: Any]])
        #expect(states.map { $0["id"] as? String } == [copyID])

        let queues = try #require(try await cli.json("queue", "list", "-o", "json") as? [[String: Any]])
        #expect((queues.first?["depth"] as? [String: Int]) == ["queued": 1, "cancelled": 1, "leased": 0, "building": 0, "running": 0, "succeeded": 0, "failed": 0])

        let table = try await cli.run("items")
        #expect(table.stdout.hasPrefix("ID "))
        #expect(table.stdout.contains(id))
    }

    @Test func aSweepEnqueuesEveryCombinationInOrderInOneGo() async throws {
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("job", "create", "t", "--image", "localhost/base:1", "--entrypoint", "true").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)

        let sweep = try await cli.run("enqueue", "t", "--queue", "q", "--config", "epochs=3", "--sweep", "lr=0.1,0.01", "--sweep", "opt=adam,sgd",
                                "--count", "2")
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let ids = sweep.stdout.split(separator: "\n").map(String.init)
        #expect(ids.count == 8 && Set(ids).count == 8)
        let items = try #require(try await cli.json("items", "--queue", "q", "--output", "json") as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == ids, "enqueued in the order printed")
        let overrides = items.map { item -> String in
            let hyperparameters = (item["hyperparameters"] as? [String: Any]) ?? [:]
            return "\(hyperparameters["lr"] ?? "-") \(hyperparameters["opt"] ?? "-") \(hyperparameters["epochs"] ?? "-")"
        }
        #expect(overrides == ["0.1 adam 3", "0.1 adam 3", "0.1 sgd 3", "0.1 sgd 3", "0.01 adam 3", "0.01 adam 3", "0.01 sgd 3", "0.01 sgd 3"])
        let json = try #require(try await cli.json("enqueue", "t", "--queue", "q", "--count", "3", "--output", "json") as? [[String: Any]])
        #expect(json.count == 3)

        // All or nothing: a bad value in one combination enqueues none of them.
        #expect(try await cli.run("queue", "set-config", "q", try cli.write("q.yaml", "variables:\n  gpus: {type: int, min: 0, max: 8}\n").path).status == 0)
        let cases: [([String], String)] = [
            (["--count", "0"], "--count: must be 1 to 10000, got 0"),
            (["--count", "10001"], "--count: must be 1 to 10000"),
            (["--sweep", "lr=1,,2"], "--sweep lr: expected KEY=V1,V2,... with no empty value"),
            (["--sweep", "lr"], "--sweep: expected KEY=VALUE"),
            (["--sweep", "lr=1", "--config", "lr=2"], "--sweep lr: also given with --config"),
            (["--sweep", "lr=1", "--sweep", "lr=2"], "--sweep lr: given twice"),
            (["--sweep", "a=1,2,3,4,5,6,7,8,9,10", "--sweep", "b=1,2,3,4,5,6,7,8,9,10", "--sweep", "c=1,2,3,4,5,6,7,8,9,10", "--count", "11"],
             "1000 combinations x 11 runs is more than 10000 items"),
            (["--count", "5", "--set", "gpus=9"], "--set gpus: 9 is above max 8"),
        ]
        for (extra, fragment) in cases {
            let result = try await cli.run(["enqueue", "t", "--queue", "q"] + extra)
            #expect(result.status == 2, "\(extra): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(fragment) && result.stderr.split(separator: "\n").count == 1, "\(extra): \(result.stderr)")
        }
        #expect((try await cli.json("items", "--queue", "q", "--output", "json") as? [Any])?.count == 11, "nothing enqueued by a failed command")
    }

    @Test func badInputExitsTwoWithOneLineSayingWhatAndWhere() async throws {
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("job", "create", "t", "--image", "localhost/base:1", "--entrypoint", "true").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "slurm").status == 0)
        #expect(try await cli.run("queue", "create", "k8s", "--target", "kubernetes").status == 0)

        let badFile = try cli.write("queue.yaml", """
            # line 1
            variables:
              gpus: {type: int, default: 1, min: 0, max: 8}
            resource:
              partition: gpu
              cpus_per_task: 4
              gpus: two

            """)
        let setConfig = try await cli.run("queue", "set-config", "q", badFile.path)
        #expect(setConfig.status == 2)
        #expect(setConfig.stderr == "\(badFile.path):7: resource.gpus: expected int, got \"two\"\n")

        let outOfBounds = try await cli.run("enqueue", "t", "--queue", "q", "--set", "gpus=9")
        #expect(outOfBounds.status == 2)
        #expect(outOfBounds.stderr == "--set gpus: 9 is above max 8\n")

        let cases: [([String], String)] = [
            (["queue", "create", "Bad/Name", "--target", "slurm"], "invalid queue name"),
            (["queue", "create", "x", "--target", "mainframe"], "unknown target \"mainframe\""),
            (["enqueue", "t", "--queue", "q", "--priority", "urgent"], "unknown priority \"urgent\""),
            (["enqueue", "nope", "--queue", "q"], "job \"nope\" not found"),
            (["enqueue", "t:v7", "--queue", "q"], "job t:v7 not found"),
            (["enqueue", "t", "--queue", "missing"], "queue \"missing\" not found"),
            (["item", "describe", "ZZZZZZZZ"], "item ZZZZZZZZ not found"),
            (["items", "--state", "running,lost"], "--state: unknown state \"lost\""),
            (["items", "--state", ""], "--state: unknown state \"\""),
            // A newline in what the user typed stays escaped: the error is still one line.
            (["items", "--state", "x\ny"], "--state: unknown state \"x\\u{a}y\""),
            (["queue", "describe", "a\nb"], "a\\u{a}b"),
            (["wait", "--timeout", "5\nq", "--queue", "q"], "--timeout"),
            (["job", "create", "t", "--entrypoint", "true"], "give exactly one source"),
            (["job", "create", "t", "--image=-it", "--entrypoint", "true"], "source.image"),
            (["job", "create", "t", "--image", "x", "--entrypoint", "echo 'open"], "unterminated ' quote"),
            (["queue", "set-config", "q", "/nonexistent.yaml"], "/nonexistent.yaml: cannot read file"),
            (["frobnicate"], "launchdeck:"),
            (["enqueue", "t"], "--queue"),
            // Numbers out of range, negative ones included, and ones that would trap if turned into durations.
            (["agent", "--queue", "q", "--poll-interval", "nan"], "--poll-interval: nan is outside 0.01..3600 seconds"),
            (["agent", "--queue", "q", "--heartbeat-seconds", "-1"], "--heartbeat-seconds: -1.0 is outside"),
            // Slower beats would show a healthy agent as lost (and make the dashboard start a second demo agent).
            (["agent", "--queue", "q", "--heartbeat-seconds", "40", "--lease-seconds", "90"], "--heartbeat-seconds: 40.0 is outside 0.01..10 seconds"),
            (["agent", "--queue", "q", "--drain-seconds", "1e300"], "--drain-seconds: 1e+300 is outside 0..86400 seconds"),
            (["items", "--limit", "-1"], "--limit: must be at least 1, got -1"),
            (["agent", "--queue", "k8s"], "--queue: cannot serve k8s: agents cannot run kubernetes queues yet"),
            (["enqueue", "t", "--queue", "q", "--count", "-3"], "--count: must be 1 to 10000, got -3"),
        ]
        for (arguments, fragment) in cases {
            let result = try await cli.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
        }
        // A limit past what a Duration holds means no limit; it used to trap.
        let endless = try await cli.run("wait", "--queue", "q", "--timeout", "99999999999999999999d")
        #expect(endless.status == 0, "\(endless.stderr)")
    }

    @Test func queueEditReopensInvalidTextUntilItIsFixed() async throws {
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        // The "editor" writes invalid YAML the first time, then fixes the text it is given back.
        let log = cli.home.appendingPathComponent("editor.log")
        let editor = try cli.write("editor.sh", """
            #!/bin/sh
            echo "opened" >> "\(log.path)"
            if [ ! -f "\(cli.home.path)/editor.once" ]; then
              touch "\(cli.home.path)/editor.once"
              printf 'resource:\\n  timeout: [30m\\n' > "$1"
            else
              grep -q '^# launchdeck: ' "$1" && echo "saw errors" >> "\(log.path)"
              printf 'resource:\\n  timeout: 30m\\n' > "$1"
            fi
            """, executable: true)
        let edited = try await cli.run(["queue", "edit", "q"], environment: ["EDITOR": editor.path, "VISUAL": ""])
        #expect(edited.status == 0, "\(edited.stderr)")
        #expect(edited.stderr.contains("YAML syntax error"))
        #expect(edited.stdout.contains("configuration updated"))
        #expect(try String(contentsOf: log, encoding: .utf8) == "opened\nopened\nsaw errors\n")
        let queue = try #require(try await cli.json("queue", "describe", "q", "-o", "json") as? [String: Any])
        #expect(queue["config_text"] as? String == "resource:\n  timeout: 30m\n")

        let unchanged = try await cli.run(["queue", "edit", "q"], environment: ["EDITOR": "true"])
        #expect(unchanged.status == 0 && unchanged.stdout.contains("no changes"))

        // Saving the same invalid text twice gives up, keeps the user's text, and changes nothing.
        let stubborn = try cli.write("stubborn.sh", """
            #!/bin/sh
            grep -q '^# launchdeck: ' "$1" || printf 'resource:\\n  gpus: 1\\n' > "$1"
            """, executable: true)
        let abandoned = try await cli.run(["queue", "edit", "q"], environment: ["EDITOR": stubborn.path])
        #expect(abandoned.status == 1)
        let keptPath = try #require(abandoned.stderr.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(try String(contentsOfFile: keptPath, encoding: .utf8) == "resource:\n  gpus: 1\n")
        // The text may hold secrets: only this user can read it, in a directory only this user can enter.
        let attributes = try FileManager.default.attributesOfItem(atPath: keptPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let parent = URL(fileURLWithPath: keptPath).deletingLastPathComponent().path
        #expect((try FileManager.default.attributesOfItem(atPath: parent)[.posixPermissions] as? Int) == 0o700)
        let after = try #require(try await cli.json("queue", "describe", "q", "-o", "json") as? [String: Any])
        #expect(after["config_text"] as? String == "resource:\n  timeout: 30m\n")
    }

    @Test func schemaIsPrintedForEveryTarget() async throws {
        let cli = try LaunchdeckProcess()
        for target in ["local-process", "container", "slurm", "kubernetes"] {
            let schema = try #require(try await cli.json("queue", "schema", "--target", target) as? [String: Any])
            #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
            let properties = try #require(schema["properties"] as? [String: Any])
            #expect(Set(properties.keys) == ["description", "max_attempts", "variables", "resource"])
        }
    }

    @Test func demoCreatesSomethingToLookAt() async throws {
        let cli = try LaunchdeckProcess()
        let first = try await cli.run("demo")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("local-process"))
        #expect(try await cli.run("demo").status == 0)
        let jobs = try #require(try await cli.json("job", "list", "-o", "json") as? [[String: Any]])
        #expect(jobs.map { $0["reference"] as? String } == ["demo-train:v1"])
        let items = try #require(try await cli.json("items", "-o", "json") as? [[String: Any]])
        #expect(items.count == 2)
    }

    @Test func listingsMeasureWideCharactersAndNeverCutThem() async throws {
        let cli = try LaunchdeckProcess()
        _ = try cli.write("code/run.sh", "true\n")
        let code = cli.home.appendingPathComponent("code").path
        // Each emoji is one character, two UTF-16 units and two terminal columns; the CJK one is one unit but two columns.
        let wide = String(repeating: "🙂", count: 12) + " 学習"
        #expect(try await cli.run("job", "create", "wide", "--dir", code, "--entrypoint", "echo \(wide)").status == 0)
        #expect(try await cli.run("job", "create", "narrow", "--dir", code, "--entrypoint", "echo").status == 0)
        let listing = try await cli.run("job", "list")
        #expect(listing.status == 0, "\(listing.stderr)")
        let lines = listing.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("echo \(wide)") }, "the widest cell is shown whole:\n\(listing.stdout)")
        // The last column (CREATED, "0s ago") starts at the same terminal column on every line; cells are
        // separated by at least two spaces and hold single ones only.
        func lastCellColumn(_ line: String) -> Int? {
            guard let separator = line.range(of: "  ", options: .backwards) else { return nil }
            return line[..<separator.upperBound].reduce(0) { width, character in
                let wide = character.unicodeScalars.contains { $0.properties.isEmojiPresentation || (0x4E00...0x9FFF).contains($0.value) }
                return width + (wide ? 2 : 1)
            }
        }
        let starts = lines.compactMap(lastCellColumn)
        #expect(starts.count == 3 && Set(starts).count == 1, "CREATED is aligned:\n\(listing.stdout)")
    }

    @Test func logsNeverReachTheTerminalRaw() async throws {
        // Untrusted text in a job's entrypoint, shown by describe, comes out inert.
        let cli = try LaunchdeckProcess()
        #expect(try await cli.run("job", "create", "t", "--image", "x", "--entrypoint", "echo \u{1b}]52;c;aGk=\u{07} \u{1b}[2J").status == 0)
        let shown = try await cli.run("job", "describe", "t")
        #expect(!shown.stdout.contains("\u{1b}") && !shown.stdout.contains("\u{07}"))
        #expect(shown.stdout.contains("^[]52;c;aGk="))
    }

    /// Secrets reach the job but no view or log: the queue's env, secret-named hyperparameters and variable
    /// defaults, credentials in a git URL.
    @Test func secretsAreHiddenInEveryViewAndLog() async throws {
        let cli = try LaunchdeckProcess()
        _ = try cli.write("leaky/run.sh", """
            #!/bin/sh
            echo "key is $WANDB_API_KEY, token is $HF_TOKEN"
            echo "args $*"
            echo "launchdeck:progress 1/2 using $WANDB_API_KEY"
            echo "config $LAUNCHDECK_CONFIG"
            """)
        #expect(try await cli.run("job", "create", "leaky", "--dir", cli.home.appendingPathComponent("leaky").path, "--entrypoint", "sh run.sh",
                            "--config", "hf_token=JOB-DEFAULT-SECRET", "--config", "lr=0.1", "--config", "tokenizer_name=bert-base-uncased",
                            "--config", #"wandb={"api_key":"NESTED-SECRET-55","project":"p"}"#).status == 0)
        let config = try cli.write("q.yaml", """
            variables:
              api_token: {type: string, default: tok-default-123}
            resource:
              env:
                WANDB_API_KEY: supersecretvalue   # from the vault
                HF_TOKEN: "{{api_token}}"

            """)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process", "--config", config.path).status == 0)
        let id = try await cli.enqueueID("leaky", "--queue", "q", "--config", "hf_token=OVERRIDE-SECRET-77")
        let agent = try cli.startAgent(queues: ["q"])
        defer {
            agent.terminate()
            agent.waitUntilExit()
        }
        #expect(try await eventually(timeout: 30) { try await cli.state(id) == "succeeded" })
        let secrets = ["supersecretvalue", "tok-default-123", "JOB-DEFAULT-SECRET", "OVERRIDE-SECRET-77", "NESTED-SECRET-55"]
        let views: [[String]] = [
            ["item", id], ["item", "describe", id, "-o", "json"], ["items", "-o", "json"], ["job", "describe", "leaky"],
            ["job", "describe", "leaky", "-o", "json"], ["job", "list"], ["queue", "describe", "q"],
            ["queue", "describe", "q", "-o", "json"], ["--once"], ["--once", "--output", "json"],
        ]
        for view in views {
            let shown = try await cli.run(view)
            #expect(shown.status == 0 && !shown.stdout.isEmpty, "\(view): \(shown.status) \(shown.stderr)")
            for secret in secrets {
                #expect(!shown.stdout.contains(secret) && !shown.stderr.contains(secret), "\(view) shows \(secret):\n\(shown.stdout)")
            }
        }
        // The job saw them; its logs and progress did not keep them.
        let item = try await cli.run("item", id).stdout
        #expect(item.contains("key is [redacted], token is [redacted]"), "\(item)")
        // Secret hyperparameters never go on the command line (every user can read it): the job gets them in
        // LAUNCHDECK_CONFIG and as $HF_TOKEN.
        #expect(item.contains("args --lr 0.1 --tokenizer_name bert-base-uncased\n"), "\(item)")
        #expect(!item.contains("--hf_token") && !item.contains("--wandb"), "\(item)")
        #expect(item.contains("hf_token is secret: not on the command line"), "\(item)")
        #expect(item.contains("using [redacted]"), "\(item)")
        let queue = try await cli.run("queue", "describe", "q").stdout
        #expect(queue.contains("WANDB_API_KEY: [redacted]"), "\(queue)")

        // Credentials in a git URL, with a user or as a bare token, and in an entrypoint's --api-key=.
        #expect(try await cli.run("job", "create", "fromgit", "--git", "https://bob:ghp_gitsecret@example.invalid/r.git",
                            "--commit", String(repeating: "a", count: 40), "--entrypoint", "true --api-key=ENTRY-SECRET").status == 0)
        #expect(try await cli.run("job", "create", "bytoken", "--git", "https://ghp_baretoken@example.invalid/r.git",
                            "--commit", String(repeating: "b", count: 40), "--entrypoint", "true").status == 0)
        for view in [["job", "list"], ["job", "describe", "fromgit"], ["job", "describe", "fromgit", "-o", "json"], ["job", "describe", "bytoken"]] {
            let shown = try await cli.run(view)
            for secret in ["ghp_gitsecret", "ghp_baretoken", "ENTRY-SECRET"] {
                #expect(!shown.stdout.contains(secret), "\(view) shows \(secret): \(shown.stdout)")
            }
            #expect(shown.stdout.contains("[redacted]@example.invalid"), "\(view): \(shown.stdout)")
        }
    }
}

import Foundation
import Testing

/// What a job can see of others and others of it: secrets never on a command line, LaunchDeck's files private, a
/// documented environment rather than the agent's, and (with --run-as) a Unix user of its own.
@Suite(.serialized) struct JobIsolationTests {
    func mode(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// A job that writes what it sees to files outside its work directory, where the test reads them (its logs
    /// would have its secrets hidden).
    func recordingJob(_ cli: LaunchdeckProcess, out: URL, exit code: Int = 0) throws {
        _ = try cli.write("job/run.sh", """
            #!/bin/sh
            tr '\\0' ' ' < /proc/$$/cmdline > "\(out.path).cmdline"
            printf '%s' "$HF_TOKEN" > "\(out.path).token"
            printf '%s' "$LAUNCHDECK_CONFIG" > "\(out.path).config"
            env | sort > "\(out.path).env"
            id -u > "\(out.path).uid"
            pwd > "\(out.path).pwd"
            ls -l launchdeck-config.json > "\(out.path).configfile" 2>&1
            stat -c %a . > "\(out.path).workmode"
            cat "$LAUNCHDECK_DB" > "\(out.path).db" 2> "\(out.path).dberror"
            exit \(code)
            """)
    }

    func read(_ out: URL, _ suffix: String) -> String {
        (try? String(contentsOfFile: out.path + suffix, encoding: .utf8)) ?? ""
    }

    @Test func secretHyperparametersNeverReachTheCommandLine() async throws {
        let cli = try LaunchdeckProcess()
        let out = cli.home.appendingPathComponent("seen")
        try recordingJob(cli, out: out)
        #expect(try await cli.run("job", "create", "j", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh",
                            "--config", "lr=0.1").status == 0)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        let id = try await cli.enqueueID("j", "--queue", "q", "--config", "hf_token=hf_ARGV-SECRET-91", "--config", "db=mysql://u:URL-SECRET-7@h/db")
        let agent = try cli.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        do {
            let passed = try await eventually { try await cli.state(id) == "succeeded" }
            let detail = "\((try? await cli.run("item", id).stdout) ?? "")"
            #expect(passed, "\(detail)")
        }
        let cmdline = read(out, ".cmdline")
        #expect(cmdline.contains("run.sh --lr 0.1"), "\(cmdline)")
        #expect(!cmdline.contains("ARGV-SECRET") && !cmdline.contains("URL-SECRET") && !cmdline.contains("hf_token"), "\(cmdline)")
        // The job still gets them: in its configuration, and as an environment variable of the same name.
        #expect(read(out, ".token") == "hf_ARGV-SECRET-91")
        #expect(read(out, ".config").contains("hf_ARGV-SECRET-91") && read(out, ".config").contains("URL-SECRET-7"))
    }

    /// A data directory made before LaunchDeck first ran (0755), and an old 0644 database, become private; work
    /// directories are 0700, and the config file holding the hyperparameters goes when the run ends, failed or not.
    @Test(arguments: [0, 3]) func launchDecksFilesArePrivate(exitCode: Int) async throws {
        let cli = try LaunchdeckProcess()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.home.path)
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process").status == 0)
        let database = cli.home.appendingPathComponent("launchdeck.db")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: database.path)
        let out = cli.home.appendingPathComponent("seen")
        try recordingJob(cli, out: out, exit: exitCode)
        #expect(try await cli.run("job", "create", "j", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh",
                            "--config", "api_key=FILE-SECRET-3").status == 0)
        #expect(mode(cli.home) == 0o700)
        #expect(mode(database) == 0o600)
        #expect(mode(cli.home.appendingPathComponent("artifacts")) == 0o700)
        let id = try await cli.enqueueID("j", "--queue", "q")
        let agent = try cli.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually { try await cli.state(id) == (exitCode == 0 ? "succeeded" : "failed") })
        #expect(read(out, ".workmode").trimmingCharacters(in: .whitespacesAndNewlines) == "700")
        #expect(read(out, ".configfile").hasPrefix("-rw------- "), "\(read(out, ".configfile"))")
        let work = URL(fileURLWithPath: read(out, ".pwd").trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(!work.path.hasPrefix(cli.home.path + "/"), "the work directory \(work.path) is inside the data directory")
        #expect(mode(work.deletingLastPathComponent()) == 0o700)
        for file in ["launchdeck.db", "launchdeck.db-wal", "launchdeck.db-shm"] {
            let url = cli.home.appendingPathComponent(file)
            if FileManager.default.fileExists(atPath: url.path) { #expect(mode(url) & 0o077 == 0, "\(file) is \(String(mode(url), radix: 8))") }
        }
        agent.terminate()
        agent.waitUntilExit()
        // A failed run's directory stays to look into, without the file that held its secrets.
        #expect(FileManager.default.fileExists(atPath: work.path) == (exitCode != 0))
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("launchdeck-config.json").path))
    }

    @Test func jobsGetADocumentedEnvironmentNotTheAgents() async throws {
        let cli = try LaunchdeckProcess()
        let out = cli.home.appendingPathComponent("seen")
        try recordingJob(cli, out: out)
        #expect(try await cli.run("job", "create", "j", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        let config = try cli.write("q.yaml", "resource:\n  env:\n    FROM_QUEUE: yes-please\n")
        #expect(try await cli.run("queue", "create", "q", "--target", "local-process", "--config", config.path).status == 0)
        let id = try await cli.enqueueID("j", "--queue", "q")
        var withSecrets = cli
        withSecrets.environment["AGENTS_OWN_SECRET_TOKEN"] = "AGENT-SECRET-1"
        withSecrets.environment["AGENTS_SETTING"] = "agent-only"
        let agent = try withSecrets.startAgent(queues: ["q"])
        defer { agent.terminate(); agent.waitUntilExit() }
        #expect(try await eventually { try await cli.state(id) == "succeeded" })
        let environment = read(out, ".env")
        #expect(!environment.contains("AGENT-SECRET-1") && !environment.contains("AGENTS_SETTING"), "\(environment)")
        #expect(!environment.contains("LAUNCHDECK_HOME"), "\(environment)")
        for expected in ["PATH=", "HOME=", "FROM_QUEUE=yes-please", "LAUNCHDECK_ITEM_ID=\(id)", "LAUNCHDECK_WORK_DIR="] {
            #expect(environment.contains("\n" + expected) || environment.hasPrefix(expected), "\(expected) missing: \(environment)")
        }
    }

    /// `agent --run-as USER`: the job runs as that user, in a directory of its own, and cannot read the store.
    @Test func runAsRunsJobsAsAnotherUser() async throws {
        guard getuid() == 0 else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("--run-as needs root to test; CI runs as root") }
            else { print("SKIP: --run-as needs root to create a user") }
            return
        }
        let user = "launchdeck-job"
        if (try? await programOutput(["id", "-u", user])).flatMap(Int.init) == nil {
            _ = try? await programOutput(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user])
        }
        guard let uid = (try? await programOutput(["id", "-u", user])).flatMap(Int.init) else {
            Issue.record("cannot create the user \(user)")
            return
        }
        let cli = try LaunchdeckProcess()
        let out = cli.home.appendingPathComponent("seen")
        try recordingJob(cli, out: out)
        // Results go where that user may write.
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: cli.home.path)
        let config = try cli.write("q.yaml", "resource:\n  env:\n    LAUNCHDECK_DB: \(cli.home.path)/data/launchdeck.db\n")
        var store = cli
        store.environment["LAUNCHDECK_HOME"] = cli.home.appendingPathComponent("data").path
        #expect(try await store.run("job", "create", "j", "--dir", cli.home.appendingPathComponent("job").path, "--entrypoint", "sh run.sh").status == 0)
        #expect(try await store.run("queue", "create", "q", "--target", "local-process", "--config", config.path).status == 0)
        let id = try await store.enqueueID("j", "--queue", "q", "--config", "api_key=RUN-AS-SECRET")
        let agent = try store.startAgent(queues: ["q"], extra: ["--run-as", user])
        defer { agent.terminate(); agent.waitUntilExit() }
        do {
            let passed = try await eventually { try await store.state(id) == "succeeded" }
            let detail = "\((try? await store.run("item", id).stdout) ?? "")"
            #expect(passed, "\(detail)")
        }
        #expect(read(out, ".uid").trimmingCharacters(in: .whitespacesAndNewlines) == String(uid))
        #expect(read(out, ".db").isEmpty && read(out, ".dberror").contains("Permission denied"), "\(read(out, ".dberror"))")
        #expect(read(out, ".config").contains("RUN-AS-SECRET"), "the job must still get its own hyperparameters")
        #expect(read(out, ".env").contains("HOME=") && read(out, ".env").contains("USER=\(user)"))
    }
}

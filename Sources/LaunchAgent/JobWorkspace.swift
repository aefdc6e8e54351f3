import Foundation
import Synchronization
import LaunchModel
import LaunchStore

/// Puts a job's code into an item's work directory: a snapshot unpacked, or a git commit checked out.
enum JobWorkspace {
    static func materialize(_ context: RunContext, reporter: any RunReporter, runner: GuardedProcess) async throws {
        let manager = FileManager.default
        // A directory left by an earlier attempt of the same item is stale. The new one is private to the job's user
        // (0700: LaunchDeck's umask), and it exists before the code arrives, so a job run as another user gets a
        // directory of its own in a work root it can only pass through.
        try? manager.removeItem(at: context.workDirectory)
        do {
            try manager.createDirectory(at: context.workDirectory, withIntermediateDirectories: true)
            if let identity = context.jobIdentity { try identity.own(context.workDirectory, recursively: false) }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.prepare("cannot create the work directory \(context.workDirectory.path): \(error.localizedDescription)")
        }
        switch context.job.spec.source {
        case .snapshot(let digest):
            if let blobs = context.blobs {
                do {
                    let fetched = try await SnapshotFetch.ensure(digest, in: context.artifacts, from: blobs)
                    if fetched.count > 0 { await reporter.log(.build, "fetched \(fetched.count) blob(s), \(fetched.bytes) bytes, of snapshot \(digest.prefix(19)) from the server") }
                } catch {
                    throw RunError.prepare("cannot fetch the code snapshot \(digest.prefix(19)) from the server: \(error)")
                }
            }
            do {
                try context.artifacts.materialize(digest: digest, into: context.workDirectory)
                if let identity = context.jobIdentity { try identity.own(context.workDirectory) }
            } catch {
                throw RunError.prepare("cannot unpack the code snapshot \(digest.prefix(19)): \(error)")
            }
        case .git(let url, let commit):
            // Checked again here, not only at `job create`: a job made by an older version, or an agent without
            // --allow-local-git, must not clone what the policy refuses.
            if let problem = GitURLPolicy.problem(with: url, allowLocal: context.agent.allowLocalGit) {
                throw RunError.prepare("git: \(problem)")
            }
            await reporter.log(.build, "git clone \(url) @ \(commit)")
            // No prompt may wait for an answer nobody gives: not git's for a password, not ssh's for an unknown host key
            // (unless the user set their own ssh command in git's configuration, which this would override).
            var environment = JobEnvironment.base(identity: context.jobIdentity)
            environment["GIT_TERMINAL_PROMPT"] = "0"
            if await CommandProbe.output("git", ["config", "--get", "core.sshCommand"]) == nil {
                environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
            }
            // Only the transports the policy allows, for the clone and for anything it would fetch besides.
            let transports = ["-c", "protocol.allow=never", "-c", "protocol.https.allow=always", "-c", "protocol.ssh.allow=always"]
                + (context.agent.allowLocalGit ? ["-c", "protocol.file.allow=always"] : [])
            try await runner.step(ProcessSpec(executable: "git", arguments: transports + ["clone", "--quiet", "--no-checkout",
                                                                                           "--", url, context.workDirectory.path], environment: environment),
                                  reporter: reporter, what: "git clone")
            try await runner.step(ProcessSpec(executable: "git", arguments: ["-C", context.workDirectory.path, "checkout", "--quiet", "--detach", commit],
                                              environment: environment),
                                  reporter: reporter, what: "git checkout \(commit)")
            // Git prefers a tag or branch named like an abbreviated hash to the commit itself: check what came out,
            // so a job version always runs the code it was made from.
            let head = Mutex("")
            try await runner.step(ProcessSpec(executable: "git", arguments: ["-C", context.workDirectory.path, "rev-parse", "HEAD"], environment: environment),
                                  reporter: reporter, what: "git rev-parse HEAD") { line in
                // Only the hash: a warning on stderr ("refname is ambiguous") may come last.
                if !line.isEmpty, line.allSatisfy({ $0.isASCII && $0.isHexDigit }) { head.withLock { $0 = line } }
            }
            let checkedOut = head.withLock { $0 }.trimmingCharacters(in: .whitespaces)
            guard checkedOut.hasPrefix(commit.lowercased()) else {
                throw RunError.prepare("\(commit) checked out as \(checkedOut): a tag or branch of that name hides the commit; create the job with the full commit hash")
            }
        case .image(let reference):
            throw RunError.unsupported("job \(context.job.reference) is the image \(reference); run image jobs on a container queue")
        }
    }

    static let configFileName = "launchdeck-config.json"

    /// `launchdeck-config.json` in the work directory: the hyperparameters, as `LAUNCHDECK_CONFIG` holds them, secret
    /// ones too; so readable by the job's user only, and removed when the run ends (`removeConfigFile`).
    static func writeConfigFile(_ context: RunContext) throws {
        _ = try writeOwnFile(Data(JSONValue.object(context.hyperparameters).compactJSON.utf8), named: configFileName,
                             in: context.workDirectory, owner: context.jobIdentity)
    }

    static func removeConfigFile(_ context: RunContext) {
        unlink(context.workDirectory.appendingPathComponent(configFileName).path)
    }

    /// Writes a file of the agent's own into a work directory that holds the job's checked-out code. Git checks out
    /// symlinks, so whatever the code put at that name is removed first and the file is created new, never through a
    /// link: a repository with `.launchdeck-env -> ~/.bashrc` must not have the agent write (secrets) there.
    static func writeOwnFile(_ data: Data, named name: String, in directory: URL, mode: mode_t = 0o600, owner: JobIdentity? = nil) throws -> URL {
        let url = directory.appendingPathComponent(name)
        if unlink(url.path) != 0 && errno != ENOENT {
            throw RunError.prepare("cannot replace \(name) in the work directory (the job's code has one): \(String(cString: strerror(errno)))")
        }
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw RunError.prepare("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 {
            throw RunError.prepare("cannot give \(url.path) to user \(owner.name): \(String(cString: strerror(errno)))")
        }
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw RunError.prepare("cannot write \(url.path): \(error.localizedDescription)")
        }
        return url
    }
}

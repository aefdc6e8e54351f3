import Foundation
import LaunchModel

/// Runs items on a Slurm cluster through `srun`, from an agent on a machine with Slurm's client tools (a login
/// node, or a laptop that is one). The workspace is prepared as for a local process, so the agent's work root must
/// be on a file system the compute nodes share, as any Slurm user's home is.
///
/// `srun`, not `sbatch`: it waits for the job, streams its stdout and stderr back live, exits with the job's exit
/// status, and cancels the job when it receives SIGTERM. So the agent runs it under the guard like any other process,
/// and an agent that dies (even by SIGKILL) takes its Slurm jobs with it: the item is leased again, never running
/// twice. A job from `sbatch` would outlive its agent and run beside the next attempt.
public struct SlurmTarget: LaunchTarget {
    public init() {}

    public func prepare(_ context: RunContext, reporter: any RunReporter, runner: GuardedProcess) async throws -> ProcessSpec {
        guard let srun = CommandProbe.which("srun") else {
            throw RunError.prepare("srun not found on PATH: this queue needs an agent on a machine with Slurm's client tools (slurm-client)")
        }
        let local = try await LocalProcessTarget().prepare(context, reporter: reporter, runner: runner)
        let options = try Self.options(context, workingDirectory: local.workingDirectory ?? context.workDirectory.path)
        await reporter.log(.agent, "slurm: srun \(options.joined(separator: " "))")
        // `--` ends srun's options, so an entrypoint is never read as one.
        return ProcessSpec(executable: srun, arguments: options + ["--", local.executable] + local.arguments,
                           environment: local.environment, workingDirectory: local.workingDirectory)
    }

    /// `srun` options from the queue's `resource` section; every value is one argv entry, never a shell word.
    static func options(_ context: RunContext, workingDirectory: String) throws -> [String] {
        let resource = context.resource
        // The job inherits the srun process's environment, which the workspace set up (LAUNCHDECK_*, the virtualenv,
        // resource.env), so it is the same on a compute node as it would be locally.
        // One task per node: srun otherwise derives a task count from the CPUs it gets, and with --exclusive and
        // --cpus-per-task 1 ran the entrypoint 256 times on a 256-CPU node. extra_args come last, so a queue can
        // still ask for more (--ntasks-per-node=8): srun takes an option's last value.
        var options = ["--job-name", jobName(context.item), "--chdir", workingDirectory, "--export", "ALL", "--ntasks-per-node", "1"]
        let flags: [(key: String, flag: String)] = [
            ("partition", "--partition"), ("time_limit", "--time"), ("mem", "--mem"), ("account", "--account"),
            ("qos", "--qos"), ("constraint", "--constraint"),
        ]
        for (key, flag) in flags {
            if let value = resource[key]?.stringValue, !value.isEmpty { options += [flag, value] }
        }
        for (key, flag) in [("cpus_per_task", "--cpus-per-task"), ("nodes", "--nodes")] {
            if case .int(let value)? = resource[key] { options += [flag, String(value)] }
        }
        if case .int(let gpus)? = resource["gpus"], gpus > 0 { options += ["--gpus", String(gpus)] }
        for argument in resource["extra_args"]?.arrayValue ?? [] {
            guard let text = argument.stringValue, text.hasPrefix("-"), !text.contains("\n") else {
                throw RunError.prepare("resource.extra_args: \(argument.quotedText) must be a flag such as --exclusive")
            }
            options.append(text)
        }
        return options
    }

    /// A run is cancelled by signalling srun, which cancels its job; scancel covers an srun that no longer answers.
    public func cancel(_ context: RunContext) async {
        await scancel(context)
    }

    /// The guard cancels the Slurm job itself when it stops the run (the agent died, its lease fence passed), at once.
    public func stopCommand(_ context: RunContext) -> [String] {
        [CommandProbe.which("scancel") ?? "scancel", "--me", "--name", Self.jobName(context.item)]
    }

    public func afterRun(_ context: RunContext) async {
        JobWorkspace.removeConfigFile(context)
    }

    /// An earlier attempt's srun died with its agent, and Slurm ends its job when it notices; make sure it has.
    public func cleanUpEarlierAttempt(_ context: RunContext) async {
        await scancel(context)
    }

    private func scancel(_ context: RunContext) async {
        _ = await CommandProbe.output("scancel", ["--me", "--name", Self.jobName(context.item)], timeout: .seconds(15))
    }

    /// srun says on stderr when the job has to wait for resources and when it gets them: the item shows which Slurm
    /// job it is and that it is pending, rather than only "running".
    public func progress(in line: String, stream: LogStream) -> (phase: String, message: String)? {
        guard stream == .stderr, line.hasPrefix("srun: job ") else { return nil }
        let words = line.split(separator: " ")
        guard words.count >= 4, let job = Int(words[2]) else { return nil }
        if line.hasSuffix(" queued and waiting for resources") { return ("slurm", "Slurm job \(job) pending") }
        if line.hasSuffix(" has been allocated resources") { return ("slurm", "Slurm job \(job) running") }
        return nil
    }

    /// Named after the item, as containers are, so `squeue --name` finds it and a later attempt can cancel it.
    static func jobName(_ item: LaunchItem) -> String { "launchdeck-\(item.id.lowercased())" }
}

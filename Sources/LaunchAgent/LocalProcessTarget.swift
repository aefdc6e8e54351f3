import Foundation
import LaunchModel

/// Runs the entrypoint as a process on the agent's machine, in a per-item work directory,
/// with the job's requirements in a per-version virtualenv.
public struct LocalProcessTarget: LaunchTarget {
    public init() {}

    public func prepare(_ context: RunContext, reporter: any RunReporter, runner: GuardedProcess) async throws -> ProcessSpec {
        try await JobWorkspace.materialize(context, reporter: reporter, runner: runner)
        try JobWorkspace.writeConfigFile(context)
        var environment = JobEnvironment.base(identity: context.jobIdentity)
        environment.merge(context.secretHyperparameterEnvironment) { $1 }
        environment.merge(context.queueEnvironment) { $1 }
        environment.merge(context.launchEnvironment) { $1 }
        environment["LAUNCHDECK_PROGRESS_FILE"] = context.workDirectory.appendingPathComponent(".launchdeck-progress").path
        environment["LAUNCHDECK_WORK_DIR"] = context.workDirectory.path
        if let requirements = context.job.spec.dependencies.requirements, !requirements.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let python = context.resource["python"]?.stringValue ?? "python3"
            let venv = try await VirtualEnvironment.ensure(context, python: python, reporter: reporter, runner: runner)
            environment["VIRTUAL_ENV"] = venv.directory.path
            environment["PATH"] = venv.directory.appendingPathComponent("bin").path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        }
        let workingDirectory = context.resource["working_dir"]?.stringValue ?? context.workDirectory.path
        let argv = context.argv
        return ProcessSpec(executable: argv[0], arguments: Array(argv.dropFirst()), environment: environment, workingDirectory: workingDirectory)
    }

    /// The config file holds the hyperparameters, secret ones too: it goes when the run ends, however it ended.
    public func afterRun(_ context: RunContext) async {
        JobWorkspace.removeConfigFile(context)
    }
}

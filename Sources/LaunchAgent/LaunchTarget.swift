import Foundation
import LaunchModel
import LaunchStore

/// Everything a target needs to know about one run.
public struct RunContext: Sendable {
    public var item: LaunchItem
    public var job: JobVersion
    public var queue: Queue
    /// The queue configuration with the item's template variables filled in.
    public var config: JSONValue
    public var workDirectory: URL
    public var agent: AgentConfiguration
    public var artifacts: ArtifactStore

    /// The job's default hyperparameters with the item's overrides on top.
    public var hyperparameters: [String: JSONValue] {
        job.spec.hyperparameters.merging(item.overrides.hyperparameters) { _, override in override }
    }

    public var resource: [String: JSONValue] { config["resource"]?.objectValue ?? [:] }

    /// `resource.env` of the queue configuration.
    public var queueEnvironment: [String: String] {
        (resource["env"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// Values of this run that logs must never show: what views hide of the rendered queue configuration
    /// (`resource.env`, build args, URL credentials), of the hyperparameters at any depth (a job may print its
    /// `--hf_token`) and of the template variables, defaults included.
    public var secretValues: [String] {
        var variables = item.overrides.variables
        for variable in queue.config.variables where variables[variable.name] == nil {
            variables[variable.name] = variable.defaultValue
        }
        return SecretRedactor.hiddenValues(in: config) + SecretRedactor.hiddenValues(in: .object(hyperparameters))
            + SecretRedactor.hiddenValues(in: .object(variables))
    }

    /// The entrypoint followed by `--key value` for every hyperparameter, in key order.
    public var argv: [String] {
        let parameters = hyperparameters
        return job.spec.entrypoint + parameters.keys.sorted().flatMap { ["--\($0)", parameters[$0]!.displayText] }
    }

    /// Wall-clock limit from `resource.timeout` (`90s`, `30m`, `2h`, `1d`, or plain seconds).
    public var timeout: Duration? {
        resource["timeout"]?.stringValue.flatMap(TimeLimit.parse)
    }

    /// What the job sees of its run, beyond its arguments.
    public var launchEnvironment: [String: String] {
        [
            "LAUNCHDECK_ITEM_ID": item.id,
            "LAUNCHDECK_JOB": job.reference,
            "LAUNCHDECK_QUEUE": queue.name,
            "LAUNCHDECK_ATTEMPT": String(item.attempts),
            "LAUNCHDECK_CONFIG": JSONValue.object(hyperparameters).compactJSON,
            "LAUNCHDECK_DATASET": job.spec.datasetVersion ?? "",
        ]
    }
}

/// Reports a run's phases, logs and progress back to the backend.
public protocol RunReporter: Sendable {
    /// Moves the item to `building` or `running`.
    func enter(_ state: ItemState) async throws
    func log(_ stream: LogStream, _ line: String) async
    func progress(phase: String, current: Double, total: Double?, message: String) async
}

/// A kind of resource that runs items. Targets only prepare and describe the command; the agent runs it
/// under the guard and streams it, so adding Slurm or Kubernetes touches neither the loop nor the streaming.
public protocol LaunchTarget: Sendable {
    /// Gets everything ready (workspace, virtualenv, image), reporting `building` when it builds,
    /// and returns the command that runs the item.
    func prepare(_ context: RunContext, reporter: any RunReporter, runner: GuardedProcess) async throws -> ProcessSpec
    /// Extra steps to stop a run besides signalling its process group (a container must be stopped by name).
    func cancel(_ context: RunContext) async
    /// Removes what an earlier, lost attempt of the same item may have left running.
    func cleanUpEarlierAttempt(_ context: RunContext) async
    /// After the run ended, however it ended: removes what must not stay in a kept work directory (secrets).
    func afterRun(_ context: RunContext) async
    /// Progress the target's own tool reports in the run's output (srun saying the job waits for resources); the
    /// line is kept in the logs either way.
    func progress(in line: String, stream: LogStream) -> (phase: String, message: String)?
}

extension LaunchTarget {
    public func cancel(_ context: RunContext) async {}
    public func cleanUpEarlierAttempt(_ context: RunContext) async {}
    public func afterRun(_ context: RunContext) async {}
    public func progress(in line: String, stream: LogStream) -> (phase: String, message: String)? { nil }
}

extension GuardedProcess {
    /// Runs a preparation step (git, pip, podman build) with its output as build logs; fails on a non-zero exit.
    func step(_ spec: ProcessSpec, reporter: any RunReporter, what: String,
              onLine: (@Sendable (String) async -> Void)? = nil) async throws {
        let status = try await run(spec, handle: stepHandle) { _, line in
            await reporter.log(.build, line)
            await onLine?(line)
        }
        if status != 0 { throw RunError.prepare("\(what) failed with exit status \(status)") }
    }
}

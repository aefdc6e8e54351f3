import Foundation
import LaunchAPI
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
    /// Where blobs this machine lacks come from (the server); nil when the store is on this machine.
    public var blobs: (any BlobTransfer)? = nil

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

    /// The entrypoint followed by `--key value` for every hyperparameter, in key order, except secret ones: argv is
    /// readable by every user of the machine (`ps`, /proc/PID/cmdline), so those reach the job only through
    /// LAUNCHDECK_CONFIG, launchdeck-config.json and an environment variable of their name.
    public var argv: [String] {
        let parameters = hyperparameters
        let withheld = Set(hyperparametersWithheldFromArgv)
        return job.spec.entrypoint + parameters.keys.sorted().filter { !withheld.contains($0) }.flatMap { ["--\($0)", parameters[$0]!.displayText] }
    }

    /// Hyperparameters that hold a secret (a secret name, or a secret anywhere inside: a nested key, URL credentials).
    public var hyperparametersWithheldFromArgv: [String] {
        hyperparameters.filter { SecretRedactor.redact(.object([$0.key: $0.value])) != .object([$0.key: $0.value]) }.keys.sorted()
    }

    /// Secret hyperparameters as environment variables (`hf_token` as `HF_TOKEN`), for jobs that read them there.
    public var secretHyperparameterEnvironment: [String: String] {
        var environment: [String: String] = [:]
        for name in hyperparametersWithheldFromArgv {
            guard let variable = Self.environmentName(forHyperparameter: name), let value = hyperparameters[name] else { continue }
            environment[variable] = value.stringValue ?? value.compactJSON
        }
        return environment
    }

    /// `hf_token` -> `HF_TOKEN`; nil for a name no environment variable can have.
    public static func environmentName(forHyperparameter name: String) -> String? {
        let upper = name.uppercased()
        guard let first = upper.unicodeScalars.first, first == "_" || ("A"..."Z").contains(first),
              upper.unicodeScalars.allSatisfy({ $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }) else { return nil }
        return upper
    }

    /// Wall-clock limit from `resource.timeout` (`90s`, `30m`, `2h`, `1d`, or plain seconds).
    public var timeout: Duration? {
        resource["timeout"]?.stringValue.flatMap(TimeLimit.parse)
    }

    /// Limit on preparing the run (`resource.prepare_timeout`), one hour unless the queue says otherwise.
    public var prepareTimeout: Duration { TimeLimit.parse(prepareTimeoutText) ?? .seconds(3600) }

    public var prepareTimeoutText: String { resource["prepare_timeout"]?.stringValue ?? "1h" }

    /// The user this run's processes run as: `agent --run-as` for local-process queues; the agent itself otherwise
    /// (a container runtime and srun run as the agent; containers isolate by themselves).
    public var jobIdentity: JobIdentity? {
        queue.target == .localProcess ? agent.runAs : nil
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
    /// What ends the run beyond its process tree, for its guard to run when the run is stopped (a container removed
    /// by name, a Slurm job cancelled): at once when the agent dies or its lease fence passes, not when another agent
    /// takes the item over.
    func stopCommand(_ context: RunContext) -> [String]
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
    public func stopCommand(_ context: RunContext) -> [String] { [] }
    public func cleanUpEarlierAttempt(_ context: RunContext) async {}
    public func afterRun(_ context: RunContext) async {}
    public func progress(in line: String, stream: LogStream) -> (phase: String, message: String)? { nil }
}

/// Preparation took longer than `resource.prepare_timeout`.
public struct PreparationTimeout: Error, Sendable {}

extension GuardedProcess {
    /// Runs a preparation step (git, pip, podman build) with its output as build logs; fails on a non-zero exit.
    func step(_ spec: ProcessSpec, reporter: any RunReporter, what: String,
              onLine: (@Sendable (String) async -> Void)? = nil) async throws {
        if let preparationDeadline, BootInstant.now >= preparationDeadline { throw PreparationTimeout() }
        let exit = try await run(spec, handle: stepHandle, stopAt: preparationDeadline) { _, line in
            await reporter.log(.build, line)
            await onLine?(line)
        }
        if exit.fenced, let preparationDeadline, BootInstant.now >= preparationDeadline, fence.map({ preparationDeadline < $0.fenceAt }) ?? true {
            throw PreparationTimeout()
        }
        if exit.fenced { throw RunError.prepare("\(what) stopped: the lease could not be renewed in time") }
        if exit.status != 0 { throw RunError.prepare("\(what) failed with exit status \(exit.status)") }
    }
}

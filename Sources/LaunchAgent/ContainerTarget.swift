import Crypto
import Foundation
import LaunchModel

/// Runs items in Podman or Docker containers. Code and git jobs get an image built from the queue's base image,
/// their dependencies and code, tagged by content so it is built once and reused; image jobs run as they are.
/// Everything reaches the runtime CLI as argv entries; values are validated first.
public struct ContainerTarget: LaunchTarget {
    public init() {}

    public func prepare(_ context: RunContext, reporter: any RunReporter, runner: GuardedProcess) async throws -> ProcessSpec {
        let runtime = try ContainerRuntime.choose(context.resource["runtime"]?.stringValue ?? "auto")
        let image: String
        switch context.job.spec.source {
        case .image(let reference):
            image = reference
        case .snapshot, .git:
            image = try await build(context, runtime: runtime, reporter: reporter, runner: runner)
        }
        if let problem = ImageReference.problem(in: image) { throw RunError.prepare("image: \(problem)") }
        try FileManager.default.createDirectory(at: context.workDirectory, withIntermediateDirectories: true)
        let environment = ContainerEnvironment(context)
        if let clash = environment.byName.keys.sorted().first(where: { runtime.environment[$0] != nil || $0.contains("=") }) {
            throw RunError.prepare("environment variable \(clash): a value of several lines can only be passed under a name \(runtime.name) does not use itself")
        }
        if let name = environment.byName.first(where: { $0.value.contains("\u{0}") })?.key {
            throw RunError.prepare("environment variable \(name): a value cannot hold a NUL character")
        }
        let envFile = try JobWorkspace.writeOwnFile(Data(environment.fileText.utf8), named: Self.environmentFileName, in: context.workDirectory)
        var arguments = ["run", "--rm", "--name", Self.containerName(context.item), "--label", "launchdeck.item=\(context.item.id)",
                         "--env-file", envFile.path, "--network", context.resource["network"]?.stringValue ?? "none"]
        // Values an env file cannot hold (several lines) go by name: the runtime copies them from its own environment.
        for name in environment.byName.keys.sorted() { arguments += ["--env", name] }
        if runtime.name == "podman" { arguments += ["--runtime", "runc"] }
        if let cpus = context.resource["cpus"]?.numberValue { arguments += ["--cpus", JSONValue.double(cpus).displayText] }
        if let memory = context.resource["memory"]?.stringValue { arguments += ["--memory", memory.lowercased().replacingOccurrences(of: "i", with: "")] }
        if case .int(let gpus)? = context.resource["gpus"], gpus > 0 {
            arguments += runtime.name == "podman" ? ["--device", "nvidia.com/gpu=all"] : ["--gpus", String(gpus)]
        }
        for argument in context.resource["run_args"]?.arrayValue ?? [] {
            guard let text = argument.stringValue, text.hasPrefix("-"), !text.contains("\n") else {
                throw RunError.prepare("resource.run_args: \(argument.quotedText) must be a flag such as --shm-size=1g")
            }
            arguments.append(text)
        }
        arguments.append(image)
        arguments += context.argv
        return ProcessSpec(executable: runtime.path, arguments: arguments, environment: runtime.environment.merging(environment.byName) { $1 })
    }

    /// The guard removes the container when it stops the run (the agent died, the lease fence passed), at once: the
    /// container lives under the runtime, outside the guard's process tree. Podman waits at most one second for the
    /// container to stop before it kills it, so removal fits in the guard's slack.
    public func stopCommand(_ context: RunContext) -> [String] {
        guard let runtime = try? ContainerRuntime.choose(context.resource["runtime"]?.stringValue ?? "auto") else { return [] }
        return runtime.name == "podman"
            ? [runtime.path, "rm", "--force", "--ignore", "--time", "1", Self.containerName(context.item)]
            : [runtime.path, "rm", "--force", Self.containerName(context.item)]
    }

    public func cancel(_ context: RunContext) async {
        guard let runtime = try? ContainerRuntime.choose(context.resource["runtime"]?.stringValue ?? "auto") else { return }
        _ = await CommandProbe.output(runtime.path, ["stop", "--time", "5", Self.containerName(context.item)], timeout: .seconds(15))
    }

    public func cleanUpEarlierAttempt(_ context: RunContext) async {
        guard let runtime = try? ContainerRuntime.choose(context.resource["runtime"]?.stringValue ?? "auto") else { return }
        _ = await CommandProbe.output(runtime.path, ["rm", "--force", Self.containerName(context.item)], timeout: .seconds(15))
    }

    /// The environment file holds the queue's secrets; a failed run's work directory is kept to look into.
    public func afterRun(_ context: RunContext) async {
        try? FileManager.default.removeItem(at: context.workDirectory.appendingPathComponent(Self.environmentFileName))
    }

    static let environmentFileName = ".launchdeck-env"

    static func containerName(_ item: LaunchItem) -> String { "launchdeck-\(item.id.lowercased())" }

    /// Builds (or reuses) the image for a code or git job.
    private func build(_ context: RunContext, runtime: ContainerRuntime, reporter: any RunReporter, runner: GuardedProcess) async throws -> String {
        guard let base = context.job.spec.dependencies.baseImage ?? context.resource["base_image"]?.stringValue else {
            throw RunError.prepare("no base image: set resource.base_image in the queue configuration or --base-image on the job")
        }
        if let problem = ImageReference.problem(in: base) { throw RunError.prepare("base image: \(problem)") }
        let containerfile = Self.containerfile(base: base, context: context)
        let buildArgs = (context.resource["build"]?["args"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let key = SHA256.hash(data: Data((context.job.digest + "\n" + containerfile + "\n" + buildArgs.sorted { $0.key < $1.key }.description).utf8))
            .prefix(6).map { String(format: "%02x", $0) }.joined()
        let tag = "localhost/launchdeck/\(context.job.name.lowercased()):v\(context.job.version)-\(key)"
        if await runtime.imageExists(tag) {
            await reporter.log(.build, "image \(tag) exists; not building again")
            return tag
        }
        try await reporter.enter(.building)
        try await JobWorkspace.materialize(context, reporter: reporter, runner: runner)
        let requirements = context.job.spec.dependencies.requirements ?? ""
        _ = try JobWorkspace.writeOwnFile(Data(requirements.utf8), named: ".launchdeck-requirements.txt", in: context.workDirectory)
        let file = try JobWorkspace.writeOwnFile(Data(containerfile.utf8), named: ".launchdeck-Containerfile", in: context.workDirectory)
        var arguments = ["build", "--tag", tag, "--file", file.path]
        if runtime.name == "podman" { arguments += ["--runtime", "runc"] }
        for (name, value) in buildArgs.sorted(by: { $0.key < $1.key }) { arguments += ["--build-arg", "\(name)=\(value)"] }
        arguments.append(context.workDirectory.path)
        await reporter.progress(phase: "build", current: 0, total: nil, message: "\(runtime.name) build")
        try await runner.step(ProcessSpec(executable: runtime.path, arguments: arguments, environment: runtime.environment),
                              reporter: reporter, what: "\(runtime.name) build") { line in
            if let step = ProgressLine.buildStep(line) {
                await reporter.progress(phase: "build", current: step.current, total: step.total, message: step.message)
            }
        }
        return tag
    }

    /// The Containerfile for a code or git job: base image, dependencies, the queue's extra steps, then the code.
    static func containerfile(base: String, context: RunContext) -> String {
        var lines = ["FROM \(base)", "WORKDIR /workspace"]
        let buildArgs = (context.resource["build"]?["args"]?.objectValue ?? [:]).keys.sorted()
        lines += buildArgs.map { "ARG \($0)" }
        if let requirements = context.job.spec.dependencies.requirements, !requirements.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            lines.append("COPY .launchdeck-requirements.txt /tmp/launchdeck-requirements.txt")
            lines.append("RUN pip install --no-cache-dir -r /tmp/launchdeck-requirements.txt")
        }
        if case .array(let steps)? = context.resource["build"]?["steps"] {
            lines += steps.compactMap(\.stringValue).map { $0.replacingOccurrences(of: "\n", with: " ") }
        }
        lines.append("COPY . /workspace")
        return lines.joined(separator: "\n") + "\n"
    }

}

/// The container's environment, never on the command line (`-e NAME=value` would show secrets in `ps`): single-line
/// values in a 0600 env file, and values of several lines (a PEM key), which an env file cannot hold, by name only
/// (`--env NAME`), the runtime taking the value from its own environment. So every value arrives exactly as given.
struct ContainerEnvironment {
    var file: [String: String] = [:]
    var byName: [String: String] = [:]

    init(_ context: RunContext) {
        var environment = context.secretHyperparameterEnvironment
        environment.merge(context.queueEnvironment) { $1 }
        environment.merge(context.launchEnvironment) { $1 }
        for (name, value) in environment {
            if value.contains("\n") || value.contains("\r") || value.contains("\u{0}") {
                byName[name] = value
            } else {
                file[name] = value
            }
        }
    }

    var fileText: String {
        file.keys.sorted().map { "\($0)=\(file[$0]!)" }.joined(separator: "\n") + "\n"
    }
}

/// The container CLI in use: Podman or Docker, found on PATH.
struct ContainerRuntime: Sendable {
    var name: String
    var path: String

    static func choose(_ preference: String) throws -> ContainerRuntime {
        let order = preference == "auto" ? ["podman", "docker"] : [preference]
        for name in order {
            if let path = CommandProbe.which(name) { return ContainerRuntime(name: name, path: path) }
        }
        throw RunError.prepare(preference == "auto" ? "no container runtime: install podman or docker" : "\(preference) is not installed on this agent's machine")
    }

    /// The runtime's own environment: PATH and HOME for its helpers; Docker's legacy builder prints `Step n/m`.
    var environment: [String: String] {
        let current = ProcessInfo.processInfo.environment
        var environment = ["PATH": current["PATH"] ?? "/usr/bin:/bin", "HOME": current["HOME"] ?? "/"]
        for key in ["XDG_RUNTIME_DIR", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "DOCKER_HOST", "TMPDIR"] {
            if let value = current[key] { environment[key] = value }
        }
        if name == "docker" { environment["DOCKER_BUILDKIT"] = "0" }
        return environment
    }

    func imageExists(_ tag: String) async -> Bool {
        let arguments = name == "podman" ? ["image", "exists", tag] : ["image", "inspect", "--format", "{{.Id}}", tag]
        return await CommandProbe.output(path, arguments, timeout: .seconds(20)) != nil
    }
}

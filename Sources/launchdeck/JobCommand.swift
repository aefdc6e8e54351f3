import ArgumentParser
import DeckUI
import Foundation
import LaunchModel
import LaunchStore

struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Create and inspect versioned jobs.",
        subcommands: [JobCreate.self, JobList.self, JobDescribe.self])
}

struct JobCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a job version from a directory, a git commit or an image.",
        discussion: "Creating a job whose content equals its latest version returns that version.")

    @Argument(help: "Job name.") var name: String
    @Option(help: "Directory to snapshot as the job's code.") var dir: String?
    @Option(help: "Git repository URL.") var git: String?
    @Option(help: "Git commit, the full hash (with --git; git rev-parse HEAD).") var commit: String?
    @Flag(help: "Allow --git to name a local path or file:// URL (agents need --allow-local-git too).") var allowLocalGit = false
    @Option(help: "Container image reference.") var image: String?
    @Option(help: "Command to run, quoted as in a shell (no shell runs it), e.g. 'python train.py --epochs 3'.") var entrypoint: String
    @Option(help: "requirements.txt to install for the job.") var requirements: String?
    @Option(name: .customLong("base-image"), help: "Image that container builds start from.") var baseImage: String?
    @Option(name: .customLong("config"), help: "Default hyperparameter KEY=VALUE (repeatable).") var config: [String] = []
    @Option(help: "Dataset version, e.g. mnist:v3.") var dataset: String?
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let context = try await CommandContext.open(connection)
        let sources = [dir != nil, git != nil || commit != nil, image != nil].filter { $0 }.count
        guard sources == 1 else {
            throw LaunchError.invalidInput("job create: give exactly one source: --dir PATH, --git URL --commit SHA, or --image REF")
        }
        let source: JobSource
        if let dir {
            // Fail before copying files into a data directory that cannot take them.
            if let reason = context.backend.readOnlyReason { throw LaunchError.readOnly("\(reason): nothing was changed") }
            source = .snapshot(digest: try await context.snapshot(URL(fileURLWithPath: dir)))
        } else if let image {
            source = .image(reference: image)
        } else {
            guard let git, let commit else { throw LaunchError.invalidInput("job create: --git and --commit go together") }
            if let problem = GitURLPolicy.problem(with: git, allowLocal: allowLocalGit) {
                throw LaunchError.invalidInput("--git: \(problem)")
            }
            source = .git(url: git, commit: commit)
        }
        var requirementsText: String?
        if let requirements {
            do {
                requirementsText = try String(contentsOfFile: requirements, encoding: .utf8)
            } catch {
                throw LaunchError.invalidInput("--requirements \(requirements): cannot read file")
            }
        }
        let spec = JobSpec(
            source: source, entrypoint: try ArgvSplitter.split(entrypoint),
            dependencies: JobDependencies(requirements: requirementsText, baseImage: baseImage),
            hyperparameters: try KeyValueArguments.parseTyped(config, option: "--config"), datasetVersion: dataset)
        let (version, created) = try await context.backend.createJob(name: name, spec: spec)
        try output.emit(json: JobRecord(version)) {
            (created ? "created " : "unchanged, latest is ") + "\(version.reference) (\(version.digest.prefix(19)))\n"
        }
    }
}

struct JobList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs with their latest version.")
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let jobs = try await CommandContext.open(connection).backend.jobs()
        try output.emit(json: jobs.map { JobRecord($0.latest, versions: $0.versionCount) }) {
            var table = TextTable("NAME", "LATEST", "VERSIONS", "SOURCE", "ENTRYPOINT", "CREATED")
            for job in jobs {
                table.add(job.name, "v\(job.latest.version)", String(job.versionCount), job.latest.spec.source.summary,
                          job.latest.spec.redactedEntrypoint.joined(separator: " "), Durations.age(job.latest.createdAt) + " ago")
            }
            return table.render()
        }
    }
}

struct JobDescribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show a job version in full.")
    @Argument(help: "NAME[:VERSION] (default latest).") var reference: String
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        let job = try await backend.resolveJob(try JobReference(parsing: reference))
        let count = try await backend.jobVersions(name: job.name).count
        try output.emit(json: JobRecord(job, versions: count)) {
            var lines = [
                "Job:           \(job.reference) (of \(count) version\(count == 1 ? "" : "s"))",
                "Digest:        \(job.digest)",
                "Created:       \(LocalTime.format(job.createdAt))",
                "Source:        \(job.spec.source.summary)",
                "Entrypoint:    \(job.spec.redactedEntrypoint.map(Self.quote).joined(separator: " "))",
                "Dataset:       \(job.spec.datasetVersion ?? "-")",
                "Base image:    \(job.spec.dependencies.baseImage ?? "-")",
                "Hyperparameters:",
            ]
            if job.spec.hyperparameters.isEmpty { lines.append("  (none)") }
            let hyperparameters = SecretRedactor.redact(job.spec.hyperparameters)
            for key in hyperparameters.keys.sorted() {
                lines.append("  \(key) = \(hyperparameters[key]!.displayText)")
            }
            lines.append("Requirements:")
            lines.append(contentsOf: (job.spec.redactedRequirements ?? "(none)").split(separator: "\n").map { "  \($0)" })
            return lines.map(TerminalTextSafety.inert).joined(separator: "\n") + "\n"
        }
    }

    static func quote(_ argument: String) -> String { ArgvSplitter.quote(argument) }
}

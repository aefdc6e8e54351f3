import Foundation
import LaunchModel

/// The JSON that `--output json` prints. These shapes are a public, documented interface (README,
/// "JSON output"): add fields, never rename or remove them.
struct ItemRecord: Encodable {
    struct Progress: Encodable {
        var phase: String
        var current: Double
        var total: Double?
        var message: String
    }

    var id: String
    var queue: String
    var job: String
    var jobName: String
    var jobVersion: Int
    var priority: String
    var state: String
    var attempts: Int
    var maxAttempts: Int
    @Null var agent: String?
    @Null var leaseExpiresAt: Date?
    var enqueuedAt: Date
    @Null var leasedAt: Date?
    @Null var buildingAt: Date?
    @Null var runningAt: Date?
    @Null var finishedAt: Date?
    var updatedAt: Date
    @Null var exitCode: Int?
    @Null var error: String?
    @Null var relaunchOf: String?
    var hyperparameters: [String: JSONValue]
    var variables: [String: JSONValue]
    @Null var progress: Progress?
    var droppedLogLines: Int
    var logs: [LogRecord]?

    init(_ item: LaunchItem, logs: [LogLine]? = nil) {
        id = item.id
        queue = item.queue
        job = item.jobReference
        jobName = item.jobName
        jobVersion = item.jobVersion
        priority = item.priority.rawValue
        state = item.state.rawValue
        attempts = item.attempts
        maxAttempts = item.maxAttempts
        agent = item.agentID
        leaseExpiresAt = item.leaseExpiresAt
        enqueuedAt = item.timestamps.enqueued
        leasedAt = item.timestamps.leased
        buildingAt = item.timestamps.building
        runningAt = item.timestamps.running
        finishedAt = item.timestamps.finished
        updatedAt = item.timestamps.updated
        exitCode = item.exitCode
        error = item.error
        relaunchOf = item.relaunchOf
        hyperparameters = SecretRedactor.redact(item.overrides.hyperparameters)
        variables = SecretRedactor.redact(item.overrides.variables)
        progress = item.progress.map { Progress(phase: $0.phase, current: $0.current, total: $0.total, message: $0.message) }
        droppedLogLines = item.droppedLogLines
        self.logs = logs?.map(LogRecord.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, queue, job, jobName = "job_name", jobVersion = "job_version", priority, state, attempts
        case maxAttempts = "max_attempts", agent, leaseExpiresAt = "lease_expires_at", enqueuedAt = "enqueued_at"
        case leasedAt = "leased_at", buildingAt = "building_at", runningAt = "running_at", finishedAt = "finished_at"
        case updatedAt = "updated_at", exitCode = "exit_code", error, relaunchOf = "relaunch_of", hyperparameters, variables
        case progress, droppedLogLines = "dropped_log_lines", logs
    }
}

struct LogRecord: Encodable {
    var stream: String
    var at: Date
    var text: String

    init(_ line: LogLine) {
        stream = line.stream.rawValue
        at = line.at
        text = line.text
    }
}

struct JobRecord: Encodable {
    struct Source: Encodable {
        var kind: String
        var digest: String?
        var url: String?
        var commit: String?
        var image: String?
    }

    var name: String
    var version: Int
    var reference: String
    var digest: String
    var createdAt: Date
    var source: Source
    var entrypoint: [String]
    @Null var requirements: String?
    @Null var baseImage: String?
    var hyperparameters: [String: JSONValue]
    @Null var dataset: String?
    @Null var versions: Int?

    init(_ job: JobVersion, versions: Int? = nil) {
        name = job.name
        version = job.version
        reference = job.reference
        digest = job.digest
        createdAt = job.createdAt
        switch job.spec.source {
        case .snapshot(let digest): source = Source(kind: "snapshot", digest: digest)
        case .git(let url, let commit): source = Source(kind: "git", url: SecretRedactor.redactURLCredentials(in: url), commit: commit)
        case .image(let reference): source = Source(kind: "image", image: reference)
        }
        entrypoint = job.spec.redactedEntrypoint
        requirements = job.spec.redactedRequirements
        baseImage = job.spec.dependencies.baseImage
        hyperparameters = SecretRedactor.redact(job.spec.hyperparameters)
        dataset = job.spec.datasetVersion
        self.versions = versions
    }

    enum CodingKeys: String, CodingKey {
        case name, version, reference, digest, createdAt = "created_at", source, entrypoint, requirements
        case baseImage = "base_image", hyperparameters, dataset, versions
    }
}

struct QueueRecord: Encodable {
    struct Variable: Encodable {
        var name: String
        var type: String
        var `default`: JSONValue?
        var min: Double?
        var max: Double?
        var values: [String]?
        var description: String
    }

    var name: String
    var target: String
    var paused: Bool
    var createdAt: Date
    var maxAttempts: Int
    var variables: [Variable]
    var depth: [String: Int]
    var config: JSONValue
    var configText: String

    init(_ queue: Queue, depth: QueueDepth) {
        name = queue.name
        target = queue.target.rawValue
        paused = queue.paused
        createdAt = queue.createdAt
        maxAttempts = queue.config.maxAttempts
        variables = queue.config.variables.map {
            Variable(name: $0.name, type: $0.type.rawValue, default: $0.shownDefault, min: $0.min, max: $0.max,
                     values: $0.values.isEmpty ? nil : $0.values, description: $0.description)
        }
        self.depth = Dictionary(uniqueKeysWithValues: ItemState.allCases.map { ($0.rawValue, depth[$0]) })
        // Secrets hidden here as in every view; `queue edit` is where the text is worked on as stored.
        config = queue.config.redactedValue
        configText = queue.config.redactedText
    }

    enum CodingKeys: String, CodingKey {
        case name, target, paused, createdAt = "created_at", maxAttempts = "max_attempts", variables, depth, config
        case configText = "config_text"
    }
}

struct AgentRecord: Encodable {
    var id: String
    var name: String
    var host: String
    var state: String
    var queues: [String]
    var maxJobs: Int
    var version: String
    var startedAt: Date
    var lastHeartbeat: Date
    var environment: AgentEnvironment

    init(_ agent: Agent) {
        id = agent.id
        name = agent.name
        host = agent.host
        state = agent.state.rawValue
        queues = agent.queues
        maxJobs = agent.maxJobs
        version = agent.version
        startedAt = agent.startedAt
        lastHeartbeat = agent.lastHeartbeat
        environment = agent.environment
        // Records stored by older agents may hold what this version hides.
        environment.environmentVariables = SecretRedactor.redactEnvironment(agent.environment.environmentVariables)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, host, state, queues, maxJobs = "max_jobs", version, startedAt = "started_at"
        case lastHeartbeat = "last_heartbeat", environment
    }
}

/// Optional fields print as `null` rather than disappearing, so every record always has the same keys.
@propertyWrapper
struct Null<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

/// How the items `launchdeck wait` waited for ended.
struct WaitRecord: Encodable {
    var succeeded: Int
    var failed: Int
    var cancelled: Int
    var unfinished: Int
    /// Items that did not succeed (failed, cancelled, or still unfinished at a timeout).
    var notSucceeded: [String]
    var timedOut: Bool

    enum CodingKeys: String, CodingKey {
        case succeeded, failed, cancelled, unfinished, notSucceeded = "not_succeeded", timedOut = "timed_out"
    }
}

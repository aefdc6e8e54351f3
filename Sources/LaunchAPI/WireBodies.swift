import Foundation
import LaunchModel

// The bodies of the HTTP API's requests and replies that are not records of the model; `APIOperation` says which
// route takes which. Plain data, written by `WireCoding`.

public struct CreateJobRequest: Sendable, Codable, Equatable {
    public var name: String
    public var spec: JobSpec
    public init(name: String, spec: JobSpec) { self.name = name; self.spec = spec }
}

public struct CreateJobReply: Sendable, Codable, Equatable {
    public var version: JobVersion
    /// False when the latest version had equal content and was returned unchanged.
    public var created: Bool
    public init(version: JobVersion, created: Bool) { self.version = version; self.created = created }
}

public struct CreateQueueRequest: Sendable, Codable, Equatable {
    public var name: String
    public var target: TargetKind
    /// The configuration as the user wrote it (YAML); validated on arrival against the target's schema.
    public var configText: String
    public init(name: String, target: TargetKind, configText: String) { self.name = name; self.target = target; self.configText = configText }
}

public struct UpdateQueueConfigRequest: Sendable, Codable, Equatable {
    public var configText: String
    /// The version the edit started from; nil saves over whatever is there.
    public var expectedVersion: Int?
    public init(configText: String, expectedVersion: Int?) { self.configText = configText; self.expectedVersion = expectedVersion }
}

public struct SetPausedRequest: Sendable, Codable, Equatable {
    public var paused: Bool
    public init(paused: Bool) { self.paused = paused }
}

public struct EnqueueBatchRequest: Sendable, Codable, Equatable {
    public var requests: [EnqueueRequest]
    public init(requests: [EnqueueRequest]) { self.requests = requests }
}

public struct RelaunchRequest: Sendable, Codable, Equatable {
    public var idempotencyKey: String?
    public init(idempotencyKey: String?) { self.idempotencyKey = idempotencyKey }
}

public struct UpdateAgentRequest: Sendable, Codable, Equatable {
    public var state: AgentState
    public var environment: AgentEnvironment?
    public init(state: AgentState, environment: AgentEnvironment?) { self.state = state; self.environment = environment }
}

public struct LeaseRequest: Sendable, Codable, Equatable {
    public var agent: String
    public var queues: [String]
    public var max: Int
    public var leaseSeconds: Double
    /// How long the server may hold the request when there is nothing to lease (a long poll); 0 or nil: not at all.
    public var waitSeconds: Double?
    public init(agent: String, queues: [String], max: Int, leaseSeconds: Double, waitSeconds: Double?) {
        self.agent = agent; self.queues = queues; self.max = max; self.leaseSeconds = leaseSeconds; self.waitSeconds = waitSeconds
    }
}

public struct HeartbeatRequest: Sendable, Codable {
    public var agent: String
    public var attempts: [ItemAttempt]
    public var leaseSeconds: Double
    /// The agent's live status (phase, progress, environment), for dashboards elsewhere.
    public var status: AgentStatus?
    public init(agent: String, attempts: [ItemAttempt], leaseSeconds: Double, status: AgentStatus?) {
        self.agent = agent; self.attempts = attempts; self.leaseSeconds = leaseSeconds; self.status = status
    }
}

public struct StateReport: Sendable, Codable, Equatable {
    public var attempt: ItemAttempt
    public var state: ItemState
    public var exitCode: Int?
    public var error: String?
    public init(attempt: ItemAttempt, state: ItemState, exitCode: Int?, error: String?) {
        self.attempt = attempt; self.state = state; self.exitCode = exitCode; self.error = error
    }
}

public struct LogAppendRequest: Sendable, Codable, Equatable {
    public var attempt: ItemAttempt
    public var stream: LogStream
    public var lines: [String]
    public init(attempt: ItemAttempt, stream: LogStream, lines: [String]) { self.attempt = attempt; self.stream = stream; self.lines = lines }
}

public struct ProgressReport: Sendable, Codable, Equatable {
    public var attempt: ItemAttempt
    public var phase: String
    public var current: Double
    public var total: Double?
    public var message: String
    public init(attempt: ItemAttempt, phase: String, current: Double, total: Double?, message: String) {
        self.attempt = attempt; self.phase = phase; self.current = current; self.total = total; self.message = message
    }
}

public struct CursorReply: Sendable, Codable, Equatable {
    public var cursor: Int64
    public init(cursor: Int64) { self.cursor = cursor }
}

public struct CreateTokenRequest: Sendable, Codable, Equatable {
    public var name: String
    public var role: APIRole
    public var queues: [String]?
    public var expiresAt: Date?
    public init(name: String, role: APIRole, queues: [String]?, expiresAt: Date?) {
        self.name = name; self.role = role; self.queues = queues; self.expiresAt = expiresAt
    }
}

public struct CreateTokenReply: Sendable, Codable, Equatable {
    public var token: APIToken
    /// Shown once: the server keeps only its hash.
    public var secret: String
    public init(token: APIToken, secret: String) { self.token = token; self.secret = secret }
}

public struct WhoAmIReply: Sendable, Codable, Equatable {
    public var token: APIToken
    public var serverVersion: String
    /// Why the server's store cannot be written, if it cannot.
    public var readOnlyReason: String?
    public init(token: APIToken, serverVersion: String, readOnlyReason: String?) {
        self.token = token; self.serverVersion = serverVersion; self.readOnlyReason = readOnlyReason
    }
}

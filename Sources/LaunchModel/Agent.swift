import Foundation

/// What an agent is doing, as far as the backend knows.
public enum AgentState: String, Sendable, Codable, CaseIterable, Hashable, CustomStringConvertible {
    /// `stopped` is a clean shutdown, so it is never mistaken for `lost` (which needs a human).
    case idle, busy, draining, lost, stopped
    public var description: String { rawValue }
}

/// A long-running process that leases items from queues and runs them.
public struct Agent: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var name: String
    public var host: String
    public var queues: [String]
    public var maxJobs: Int
    public var state: AgentState
    public var version: String
    public var startedAt: Date
    public var lastHeartbeat: Date
    public var environment: AgentEnvironment

    public init(id: String, name: String, host: String, queues: [String], maxJobs: Int, state: AgentState = .idle,
                version: String, startedAt: Date, lastHeartbeat: Date, environment: AgentEnvironment = AgentEnvironment()) {
        self.id = id
        self.name = name
        self.host = host
        self.queues = queues
        self.maxJobs = maxJobs
        self.state = state
        self.version = version
        self.startedAt = startedAt
        self.lastHeartbeat = lastHeartbeat
        self.environment = environment
    }

    /// Seconds without a heartbeat after which every view shows an agent as lost. Agents beat at most every
    /// third of it (`--heartbeat-seconds` is capped), so one late beat never makes a healthy agent look lost.
    public static let lostAfterSeconds: TimeInterval = 30

    /// Whether it takes part now: heartbeating, and not stopped.
    public var isLive: Bool { state == .idle || state == .busy || state == .draining }

    /// The agent a user means by `text` (`agent describe`, `agent stop`): the one with that id; else the one live
    /// agent of that name (names are unique among live agents), or the only one of that name; else the only one
    /// whose id starts so. Several candidates are listed, so the user can pick by id. `agents` carry their effective
    /// states.
    public static func pick(_ text: String, from agents: [Agent]) throws -> Agent {
        if let exact = agents.first(where: { $0.id == text }) { return exact }
        let named = agents.filter { $0.name == text }
        let live = named.filter(\.isLive)
        if live.count == 1 { return live[0] }
        if live.isEmpty && named.count == 1 { return named[0] }
        let prefixed = named.isEmpty && !text.isEmpty ? agents.filter { $0.id.hasPrefix(text.uppercased()) } : []
        if prefixed.count == 1 { return prefixed[0] }
        let candidates = (live.count > 1 ? live : (named.isEmpty ? prefixed : named)).sorted { $0.lastHeartbeat > $1.lastHeartbeat }
        guard !candidates.isEmpty else { throw LaunchError.notFound("agent \"\(text.escapedForMessage)\" not found") }
        let listed = candidates.prefix(5).map { "\($0.id) (\($0.name), \($0.state))" }.joined(separator: ", ")
        throw LaunchError.invalidInput("agent \"\(text.escapedForMessage)\" is ambiguous: \(listed)\(candidates.count > 5 ? ", and \(candidates.count - 5) more" : ""); give the id")
    }

    /// An agent whose heartbeats stopped is lost, whatever it last reported.
    public func effectiveState(now: Date, lostAfter: TimeInterval) -> AgentState {
        if state == .stopped { return .stopped }
        return now.timeIntervalSince(lastHeartbeat) > lostAfter ? .lost : state
    }
}

/// Where an agent runs: filled in by the agent's probe, shown by `agent describe` and the dashboard.
public struct AgentEnvironment: Sendable, Hashable, Codable {
    public struct GPU: Sendable, Hashable, Codable {
        public var index: Int
        public var name: String
        public var memoryMiB: Int?
        public var driver: String?
        enum CodingKeys: String, CodingKey {
            case index, name, memoryMiB = "memory_mib", driver
        }

        public init(index: Int, name: String, memoryMiB: Int? = nil, driver: String? = nil) {
            self.index = index
            self.name = name
            self.memoryMiB = memoryMiB
            self.driver = driver
        }
    }

    public struct Runtime: Sendable, Hashable, Codable {
        public var name: String
        public var version: String
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    public var hostname: String?
    public var os: String?
    public var kernel: String?
    public var architecture: String?
    public var cpuModel: String?
    public var cpuCount: Int?
    public var memoryBytes: UInt64?
    public var gpus: [GPU]
    public var runtimes: [Runtime]
    public var slurmAvailable: Bool?
    public var kubectlAvailable: Bool?
    public var kubernetesContext: String?
    public var agentVersion: String?
    public var pid: Int?
    public var workingDirectory: String?
    public var queues: [String]
    public var maxJobs: Int?
    /// Already redacted by `SecretRedactor` before it is stored.
    public var environmentVariables: [String: String]
    public var probedAt: Date?
    /// Queues the agent was asked to serve and cannot, with why (`gpu`: `no container engine answers`). Optional
    /// so that records of agents from before it decode.
    public var unservedQueues: [String: String]?

    /// snake_case, like every other JSON LaunchDeck prints or stores.
    enum CodingKeys: String, CodingKey {
        case hostname, os, kernel, architecture, cpuModel = "cpu_model", cpuCount = "cpu_count", memoryBytes = "memory_bytes"
        case gpus, runtimes, slurmAvailable = "slurm_available", kubectlAvailable = "kubectl_available"
        case kubernetesContext = "kubernetes_context", agentVersion = "agent_version", pid, workingDirectory = "working_directory"
        case queues, maxJobs = "max_jobs", environmentVariables = "environment_variables", probedAt = "probed_at"
        case unservedQueues = "unserved_queues"
    }

    public init(hostname: String? = nil, os: String? = nil, kernel: String? = nil, architecture: String? = nil,
                cpuModel: String? = nil, cpuCount: Int? = nil, memoryBytes: UInt64? = nil, gpus: [GPU] = [],
                runtimes: [Runtime] = [], slurmAvailable: Bool? = nil, kubectlAvailable: Bool? = nil,
                kubernetesContext: String? = nil, agentVersion: String? = nil, pid: Int? = nil,
                workingDirectory: String? = nil, queues: [String] = [], maxJobs: Int? = nil,
                environmentVariables: [String: String] = [:], probedAt: Date? = nil) {
        self.hostname = hostname
        self.os = os
        self.kernel = kernel
        self.architecture = architecture
        self.cpuModel = cpuModel
        self.cpuCount = cpuCount
        self.memoryBytes = memoryBytes
        self.gpus = gpus
        self.runtimes = runtimes
        self.slurmAvailable = slurmAvailable
        self.kubectlAvailable = kubectlAvailable
        self.kubernetesContext = kubernetesContext
        self.agentVersion = agentVersion
        self.pid = pid
        self.workingDirectory = workingDirectory
        self.queues = queues
        self.maxJobs = maxJobs
        self.environmentVariables = SecretRedactor.redactEnvironment(environmentVariables)
        self.probedAt = probedAt
    }
}

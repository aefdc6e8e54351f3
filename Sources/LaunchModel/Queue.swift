import Foundation

/// A FIFO-with-priority queue bound to one target resource by its configuration.
public struct Queue: Sendable, Hashable {
    public var name: String
    public var target: TargetKind
    public var config: QueueConfig
    public var createdAt: Date
    public var paused: Bool
    /// Counts the configuration's changes: an edit saves only over the version it started from.
    public var configVersion: Int

    public init(name: String, target: TargetKind, config: QueueConfig, createdAt: Date, paused: Bool = false, configVersion: Int = 1) {
        self.name = name
        self.target = target
        self.config = config
        self.createdAt = createdAt
        self.paused = paused
        self.configVersion = configVersion
    }
}

extension Queue: Codable {
    /// The configuration travels as its text, the one thing the user wrote, and is parsed where it arrives.
    enum CodingKeys: String, CodingKey {
        case name, target, configText, createdAt, paused, configVersion
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let target = try container.decode(TargetKind.self, forKey: .target)
        self.init(name: try container.decode(String.self, forKey: .name), target: target,
                  config: QueueConfig.stored(try container.decode(String.self, forKey: .configText), target: target),
                  createdAt: try container.decode(Date.self, forKey: .createdAt),
                  paused: try container.decode(Bool.self, forKey: .paused),
                  configVersion: try container.decode(Int.self, forKey: .configVersion))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(target, forKey: .target)
        try container.encode(config.text, forKey: .configText)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(paused, forKey: .paused)
        try container.encode(configVersion, forKey: .configVersion)
    }
}

/// How many items of a queue are in each state.
public struct QueueDepth: Sendable, Hashable, Codable {
    public var counts: [ItemState: Int]

    public init(counts: [ItemState: Int] = [:]) {
        self.counts = counts
    }

    public subscript(state: ItemState) -> Int { counts[state] ?? 0 }
    public var waiting: Int { self[.queued] }
    public var total: Int { counts.values.reduce(0, +) }
    public var inFlight: Int { self[.leased] + self[.building] + self[.running] }
}

/// What changed in the backend after a cursor; a poller applies it to its copy.
public struct ChangeSet: Sendable, Codable {
    public var cursor: Int64
    public var items: [LaunchItem]
    public var queues: [Queue]
    public var agents: [Agent]
    /// Names of queues deleted since the cursor.
    public var deletedQueues: [String]

    public init(cursor: Int64, items: [LaunchItem] = [], queues: [Queue] = [], agents: [Agent] = [], deletedQueues: [String] = []) {
        self.cursor = cursor
        self.items = items
        self.queues = queues
        self.agents = agents
        self.deletedQueues = deletedQueues
    }

    public var isEmpty: Bool { items.isEmpty && queues.isEmpty && agents.isEmpty && deletedQueues.isEmpty }
}

import Foundation

/// The values an enqueuer gives: hyperparameter overrides and template-variable values.
public struct ItemOverrides: Sendable, Hashable, Codable {
    public var hyperparameters: [String: JSONValue]
    public var variables: [String: JSONValue]

    public init(hyperparameters: [String: JSONValue] = [:], variables: [String: JSONValue] = [:]) {
        self.hyperparameters = hyperparameters
        self.variables = variables
    }
}

/// When an item entered each state it has been in (the latest time for states visited twice).
/// The optional times are kept as plain seconds with a sentinel for "never": a dashboard holds 100,000 items,
/// and `Date?` takes twice the room of a `Double`.
public struct ItemTimestamps: Sendable, Hashable, Codable {
    public var enqueued: Date
    public var updated: Date
    private var leasedAt = Self.never
    private var buildingAt = Self.never
    private var runningAt = Self.never
    private var finishedAt = Self.never

    private static let never = -Double.infinity

    public var leased: Date? { get { Self.date(leasedAt) } set { leasedAt = Self.seconds(newValue) } }
    public var building: Date? { get { Self.date(buildingAt) } set { buildingAt = Self.seconds(newValue) } }
    public var running: Date? { get { Self.date(runningAt) } set { runningAt = Self.seconds(newValue) } }
    public var finished: Date? { get { Self.date(finishedAt) } set { finishedAt = Self.seconds(newValue) } }

    private static func date(_ seconds: Double) -> Date? {
        seconds == never ? nil : Date(timeIntervalSinceReferenceDate: seconds)
    }

    private static func seconds(_ date: Date?) -> Double {
        date?.timeIntervalSinceReferenceDate ?? never
    }

    public init(enqueued: Date, leased: Date? = nil, building: Date? = nil, running: Date? = nil,
                finished: Date? = nil, updated: Date? = nil) {
        self.enqueued = enqueued
        self.updated = updated ?? enqueued
        self.leased = leased
        self.building = building
        self.running = running
        self.finished = finished
    }

    enum CodingKeys: String, CodingKey { case enqueued, leased, building, running, finished, updated }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enqueued: try container.decode(Date.self, forKey: .enqueued),
                  leased: try container.decodeIfPresent(Date.self, forKey: .leased),
                  building: try container.decodeIfPresent(Date.self, forKey: .building),
                  running: try container.decodeIfPresent(Date.self, forKey: .running),
                  finished: try container.decodeIfPresent(Date.self, forKey: .finished),
                  updated: try container.decode(Date.self, forKey: .updated))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(enqueued, forKey: .enqueued)
        try container.encodeIfPresent(leased, forKey: .leased)
        try container.encodeIfPresent(building, forKey: .building)
        try container.encodeIfPresent(running, forKey: .running)
        try container.encodeIfPresent(finished, forKey: .finished)
        try container.encode(updated, forKey: .updated)
    }

    public mutating func record(_ state: ItemState, at date: Date) {
        switch state {
        case .queued: break
        case .leased: leased = date
        case .building: building = date
        case .running: running = date
        case .succeeded, .failed, .cancelled: finished = date
        }
        updated = date
    }
}

/// What an item is doing now, as reported by its agent or by the job itself.
public struct ItemProgress: Sendable, Hashable, Codable {
    public var phase: String
    public var current: Double
    public var total: Double?
    public var message: String

    public init(phase: String, current: Double, total: Double?, message: String) {
        self.phase = phase
        self.current = current
        self.total = total
        self.message = message
    }

    /// 0...1 when the total is known.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(1, max(0, current / total))
    }
}

/// One enqueued run of a job version on a queue.
public struct LaunchItem: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var queue: String
    public var jobName: String
    public var jobVersion: Int
    public var overrides: ItemOverrides
    public var priority: Priority
    public var state: ItemState
    public var attempts: Int
    public var maxAttempts: Int
    public var agentID: String?
    public var leaseExpiresAt: Date?
    public var timestamps: ItemTimestamps
    public var exitCode: Int?
    public var error: String?
    public var relaunchOf: String?
    public var progress: ItemProgress?
    /// Log lines dropped because the item passed its log cap.
    public var droppedLogLines: Int

    public init(id: String, queue: String, jobName: String, jobVersion: Int, overrides: ItemOverrides = ItemOverrides(),
                priority: Priority = .normal, state: ItemState = .queued, attempts: Int = 0, maxAttempts: Int = 3,
                agentID: String? = nil, leaseExpiresAt: Date? = nil, timestamps: ItemTimestamps,
                exitCode: Int? = nil, error: String? = nil, relaunchOf: String? = nil,
                progress: ItemProgress? = nil, droppedLogLines: Int = 0) {
        self.id = id
        self.queue = queue
        self.jobName = jobName
        self.jobVersion = jobVersion
        self.overrides = overrides
        self.priority = priority
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.agentID = agentID
        self.leaseExpiresAt = leaseExpiresAt
        self.timestamps = timestamps
        self.exitCode = exitCode
        self.error = error
        self.relaunchOf = relaunchOf
        self.progress = progress
        self.droppedLogLines = droppedLogLines
    }

    public var jobReference: String { "\(jobName):v\(jobVersion)" }
}

/// Which output of an item a log line came from.
public enum LogStream: String, Sendable, Codable, CaseIterable, Hashable {
    case build, stdout, stderr, agent
}

/// One stored log line.
public struct LogLine: Sendable, Hashable, Codable {
    public var stream: LogStream
    public var at: Date
    public var text: String
    /// Where the line sits in its item's log: later lines have higher numbers, so a follower asks only for
    /// what came after the last line it has.
    public var sequence: Int64

    public init(stream: LogStream, at: Date, text: String, sequence: Int64 = 0) {
        self.stream = stream
        self.at = at
        self.text = text
        self.sequence = sequence
    }
}

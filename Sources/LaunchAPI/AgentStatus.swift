import Foundation
import LaunchModel

/// What an agent tells of itself live, between its writes to the backend: its environment, the items in flight with
/// phase and progress, and recent events. Served by its status socket on its own machine (`AgentStatusSource`).
public struct AgentStatus: Sendable, Codable {
    public struct InFlight: Sendable, Codable {
        public var id: String
        public var queue: String
        public var job: String
        public var state: String
        public var since: Date
        public var progress: ItemProgress?
        /// The last lines of output, already redacted.
        public var recentLines: [String]

        public init(id: String, queue: String, job: String, state: String, since: Date, progress: ItemProgress?, recentLines: [String]) {
            self.id = id
            self.queue = queue
            self.job = job
            self.state = state
            self.since = since
            self.progress = progress
            self.recentLines = recentLines
        }
    }

    public struct Event: Sendable, Codable {
        public var at: Date
        public var message: String

        public init(at: Date, message: String) {
            self.at = at
            self.message = message
        }
    }

    public var id: String
    public var name: String
    public var dataDirectory: String
    public var queues: [String]
    public var maxJobs: Int
    public var state: String
    public var environment: AgentEnvironment
    public var inFlight: [InFlight]
    public var events: [Event]
    public var updatedAt: Date

    public init(id: String, name: String, dataDirectory: String, queues: [String], maxJobs: Int, state: String, environment: AgentEnvironment,
                inFlight: [InFlight], events: [Event], updatedAt: Date) {
        self.id = id
        self.name = name
        self.dataDirectory = dataDirectory
        self.queues = queues
        self.maxJobs = maxJobs
        self.state = state
        self.environment = environment
        self.inFlight = inFlight
        self.events = events
        self.updatedAt = updatedAt
    }

}

/// Where live agent statuses come from: the status sockets of the agents on this machine today (`LocalAgentStatuses`
/// in LaunchAgent), the server for agents elsewhere later. The dashboard asks only while a view needs them.
public protocol AgentStatusSource: Sendable {
    /// By agent id; agents that do not answer are left out.
    func agentStatuses() async -> [String: AgentStatus]
}

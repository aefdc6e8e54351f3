import Foundation
import LaunchModel
import Synchronization

/// What an agent's status socket serves: its environment, the items in flight with phase and progress,
/// and recent events. The dashboard polls it to show live progress between backend writes.
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
    }

    public struct Event: Sendable, Codable {
        public var at: Date
        public var message: String
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

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601Milliseconds
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601Milliseconds
        return decoder
    }()
}

/// The latest status, encoded once per change and read by the socket server's thread.
final class StatusBoard: Sendable {
    private let latest = Mutex<Data>(Data("{}".utf8))

    func publish(_ status: AgentStatus) {
        guard let data = try? AgentStatus.encoder.encode(status) else { return }
        latest.withLock { $0 = data }
    }

    var current: Data { latest.withLock { $0 } }
}

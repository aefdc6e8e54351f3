import Foundation
import LaunchModel

/// Which items a listing wants.
public struct ItemFilter: Sendable, Hashable, Codable {
    public var queue: String?
    public var states: Set<ItemState>?
    public var agentID: String?
    /// Newest first when limited, so a listing of a long queue shows what matters now.
    public var limit: Int?

    public init(queue: String? = nil, states: Set<ItemState>? = nil, agentID: String? = nil, limit: Int? = nil) {
        self.queue = queue
        self.states = states
        self.agentID = agentID
        self.limit = limit
    }
}

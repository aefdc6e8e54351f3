import Foundation
import LaunchAPI

/// Live agent statuses from the server, which has them from the agents' heartbeats: what a dashboard on another
/// machine shows in place of the status sockets it cannot reach.
public struct RemoteAgentStatuses: AgentStatusSource {
    let backend: HTTPBackend

    public init(backend: HTTPBackend) {
        self.backend = backend
    }

    public func agentStatuses() async -> [String: AgentStatus] {
        guard let statuses = try? await backend.agentStatuses(ids: nil) else { return [:] }
        return Dictionary(statuses.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

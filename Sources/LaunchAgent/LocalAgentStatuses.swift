import Foundation
import LaunchAPI
import LaunchStore

/// The live statuses of the agents of one data directory on this machine, read from their status sockets in its
/// runtime directory.
public struct LocalAgentStatuses: AgentStatusSource {
    public let runtime: RuntimeDirectory?

    public init(runtime: RuntimeDirectory?) {
        self.runtime = runtime
    }

    public func agentStatuses() async -> [String: AgentStatus] {
        guard let runtime else { return [:] }
        var statuses: [String: AgentStatus] = [:]
        for socket in runtime.sockets(suffix: ".status") {
            if let status = try? StatusClient.read(socket.path) { statuses[status.id] = status }
        }
        return statuses
    }
}

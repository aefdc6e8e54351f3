import Foundation
import LaunchAPI
import Synchronization

/// The live statuses agents send with their heartbeats, newest per agent, for dashboards on other machines. Kept in
/// memory: a status is stale within seconds anyway, and a restarted server has them back at the next heartbeats.
final class LiveAgentStatuses: Sendable {
    private let latest = Mutex<[String: (status: AgentStatus, at: Date)]>([:])
    /// Statuses older than this are of agents that stopped sending; they are dropped rather than shown as live.
    let keepFor: TimeInterval = 60

    func record(_ status: AgentStatus) {
        let now = Date()
        latest.withLock { latest in
            latest[status.id] = (status, now)
            latest = latest.filter { now.timeIntervalSince($0.value.at) < keepFor }
        }
    }

    /// Of these agents, or of all when nil; the stale are left out.
    func statuses(ids: [String]?) -> [AgentStatus] {
        let now = Date()
        return latest.withLock { latest in
            (ids ?? latest.keys.sorted()).compactMap { id in latest[id].flatMap { now.timeIntervalSince($0.at) < keepFor ? $0.status : nil } }
        }
    }
}

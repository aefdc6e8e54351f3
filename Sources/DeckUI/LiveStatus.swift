import Foundation
import LaunchModel

/// What the dashboard shows of work in flight, from the backend's rows and, while a view asks for them, the agents'
/// live status sockets. A live status may only stand in for a row it is newer than: a status read minutes ago never
/// freezes a row that the backend has moved on since.
enum LiveStatus {
    /// The item's progress: the agent's live one while it is newer than the item's row, else the row's.
    static func progress(_ item: LaunchItem, _ snapshot: DeckSnapshot) -> ItemProgress? {
        if let agent = item.agentID, let status = snapshot.agentStatuses[agent], status.updatedAt >= item.timestamps.updated,
           let live = status.inFlight.first(where: { $0.id == item.id })?.progress {
            return live
        }
        return item.progress
    }

    /// Items the agent has in flight: its live count while that is newer than its heartbeat, else the backend's.
    static func jobs(_ agent: Agent, _ snapshot: DeckSnapshot) -> Int {
        if let status = snapshot.agentStatuses[agent.id], status.updatedAt >= agent.lastHeartbeat { return status.inFlight.count }
        return snapshot.inFlightByAgent[agent.id] ?? 0
    }

    /// The agent's state as its jobs say it: an idle agent with work is busy, a busy one without is idle (its record
    /// changes only at its next heartbeat), so STATE and JOBS never contradict each other.
    static func state(_ agent: Agent, _ snapshot: DeckSnapshot) -> AgentState {
        switch agent.state {
        case .idle, .busy: jobs(agent, snapshot) > 0 ? .busy : .idle
        default: agent.state
        }
    }

    /// An item in flight whose agent is lost, or whose lease ran out: it is not really running, and the next poll
    /// returns it to its queue (or a stalled store has paused that).
    static func isAdrift(_ item: LaunchItem, _ snapshot: DeckSnapshot) -> Bool {
        guard item.state.isInFlight else { return false }
        if let expires = item.leaseExpiresAt, expires < snapshot.now { return true }
        guard let agentID = item.agentID else { return false }
        return snapshot.agents.first { $0.id == agentID }.map { $0.state == .lost || $0.state == .stopped } ?? false
    }

    /// Agents that take new items from the queue now: live (idle or busy, heartbeating), and serving it.
    static func servingAgents(_ queue: String, _ snapshot: DeckSnapshot) -> [Agent] {
        snapshot.agents.filter { ($0.state == .idle || $0.state == .busy) && $0.queues.contains(queue) }
    }
}

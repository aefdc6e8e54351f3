import Foundation
import LaunchModel

/// What needs a human now: a lost agent, a queue that failed items in the last hour. The header badge, `--once`'s
/// exit status 3 and its "needs attention" section all read this one list, so they never disagree.
public struct Attention: Sendable, Hashable, Codable {
    public var lostAgents: [String]
    /// Queue name to failed items finished in the last hour.
    public var recentFailures: [String: Int]

    public init(_ snapshot: DeckSnapshot) {
        lostAgents = snapshot.agents.filter { $0.state == .lost }.map(\.name).sorted()
        recentFailures = Dictionary(uniqueKeysWithValues: snapshot.queues.filter { $0.recentFailures > 0 }.map { ($0.queue.name, $0.recentFailures) })
    }

    public var isEmpty: Bool { lostAgents.isEmpty && recentFailures.isEmpty }

    /// One line a reason: `agent gpu-box lost`, `3 failed in gpu in the last hour`.
    public var reasons: [String] {
        lostAgents.map { "agent \($0) lost" }
            + recentFailures.keys.sorted().map { "\(recentFailures[$0]!) failed in \($0) in the last hour" }
    }

    /// The header badge: short enough for a title bar.
    public var badge: String {
        var parts: [String] = []
        if !lostAgents.isEmpty { parts.append(lostAgents.count == 1 ? "agent \(lostAgents[0]) lost" : "\(lostAgents.count) agents lost") }
        if !recentFailures.isEmpty {
            let total = recentFailures.values.reduce(0, +)
            parts.append(recentFailures.count == 1 ? "\(total) failed in \(recentFailures.keys.first!) (1 h)" : "\(total) failed in \(recentFailures.count) queues (1 h)")
        }
        return "⚠ " + parts.joined(separator: " · ")
    }

    enum CodingKeys: String, CodingKey {
        case lostAgents = "lost_agents", recentFailures = "recent_failures"
    }
}

extension DeckSnapshot {
    /// `--once` exits 3 when something needs a human: an agent is lost or a queue failed items in the last hour.
    public var needsAttention: Bool { !Attention(self).isEmpty }
}

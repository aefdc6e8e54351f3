import Foundation
import LaunchModel

/// What a store keeps of each item's log, and when it calls an agent lost: the same for every backend.
public struct StoreLimits: Sendable {
    /// Log lines kept per item; older ones are dropped and counted.
    public var logLinesPerItem: Int = 10_000
    /// Of those, the newest lines each stream keeps whatever the others print: a chatty stdout never pushes the
    /// last of stderr (or of the agent's own lines) out.
    public var logLinesPerStream: Int = 1_000
    /// Longer log lines are cut, so one runaway line cannot fill the database.
    public var logLineBytes: Int = 16 * 1024
    /// An agent without a heartbeat for this long is shown as lost.
    public var agentLostAfter: TimeInterval = Agent.lostAfterSeconds
    public init() {}
}

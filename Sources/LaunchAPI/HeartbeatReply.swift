import Foundation
import LaunchModel

/// What the backend tells an agent on each heartbeat: items it must stop because it no longer owns them, and
/// whether someone asked it to stop (`agent stop`, from any machine).
public struct HeartbeatReply: Sendable, Hashable, Codable {
    /// Cancelled by a user, or reassigned after the lease ran out.
    public var revoked: [String]
    /// Drain and stop, as on SIGTERM.
    public var stop: Bool
    public init(revoked: [String], stop: Bool = false) {
        self.revoked = revoked
        self.stop = stop
    }
}

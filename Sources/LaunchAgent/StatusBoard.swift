import Foundation
import LaunchAPI
import Synchronization

/// The latest status, read by the socket server's thread. Encoded when a client asks rather than on every change:
/// a busy agent publishes after every item, hundreds of times a second, and is rarely asked.
final class StatusBoard: Sendable {
    private let latest = Mutex<(status: AgentStatus?, encoded: Data?)>((nil, nil))

    func publish(_ status: AgentStatus) {
        latest.withLock { $0 = (status, nil) }
    }

    var status: AgentStatus? { latest.withLock { $0.status } }

    var current: Data {
        latest.withLock { latest in
            if let encoded = latest.encoded { return encoded }
            guard let status = latest.status, let encoded = try? WireCoding.encoder.encode(status) else { return Data("{}".utf8) }
            latest.encoded = encoded
            return encoded
        }
    }
}

import Foundation
import LaunchModel
#if canImport(Glibc)
import Glibc
#endif

/// Wakes the idle agents of this machine when work arrives: one datagram to each agent's wake socket.
/// A lost datagram costs nothing but latency, since agents also poll.
public struct AgentDoorbell: Sendable {
    public let runtime: RuntimeDirectory

    public init(runtime: RuntimeDirectory) {
        self.runtime = runtime
    }

    public func ring() {
        let sockets = runtime.sockets(suffix: ".wake")
        guard !sockets.isEmpty else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
        for path in sockets {
            guard var address = UnixSocketAddress.make(path.path) else { continue }
            let byte: UInt8 = 1
            let sent = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    withUnsafePointer(to: byte) { sendto(descriptor, $0, 1, 0, raw, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            // Refused: no socket is bound there any more, so its agent is gone without cleaning up (SIGKILL). Agent
            // ids are never reused, so removing its two sockets cannot touch a live agent, and later rings and
            // `agent status` stop trying them.
            if sent < 0 && errno == ECONNREFUSED {
                unlink(path.path)
                unlink(path.deletingPathExtension().appendingPathExtension("status").path)
            }
        }
    }
}

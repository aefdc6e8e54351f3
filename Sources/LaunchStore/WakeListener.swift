import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Receives the doorbell datagrams that enqueuers on this machine send (`AgentDoorbell`): an idle agent's loop, or
/// `launchdeck server`, whose waiting lease requests then look again.
public final class WakeListener: Sendable {
    private let descriptor: Int32
    private let path: String

    public init(path: String, onWake: @escaping @Sendable () -> Void) throws {
        self.path = path
        descriptor = try UnixSocketAddress.bind(path: path, type: Int32(SOCK_DGRAM.rawValue))
        let descriptor = self.descriptor
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 16)
            while true {
                let received = recv(descriptor, &buffer, buffer.count, 0)
                if received < 0 {
                    if errno == EINTR { continue }
                    return
                }
                onWake()
            }
        }
        thread.name = "launchdeck-wake"
        thread.start()
    }

    public func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
        unlink(path)
    }
}

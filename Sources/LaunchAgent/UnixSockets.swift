import LaunchAPI
import Foundation
import LaunchStore
#if canImport(Glibc)
import Glibc
#endif

/// Serves the agent's status as JSON on a Unix stream socket (mode 0600): each connection gets the
/// current status and is closed. A dedicated thread blocks in `accept`, so serving costs no polling.
final class StatusServer: Sendable {
    private let descriptor: Int32
    private let path: String

    init(path: String, board: StatusBoard) throws {
        self.path = path
        descriptor = try UnixSocketAddress.bind(path: path, type: Int32(SOCK_STREAM.rawValue))
        guard listen(descriptor, 16) == 0 else { throw RunError.launch("cannot listen on \(path): \(String(cString: strerror(errno)))") }
        let descriptor = self.descriptor
        let thread = Thread {
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                let data = board.current
                data.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = write(client, buffer.baseAddress! + offset, buffer.count - offset)
                        if written <= 0 { break }
                        offset += written
                    }
                }
                Glibc.close(client)
            }
        }
        thread.name = "launchdeck-status"
        thread.start()
    }

    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
        unlink(path)
    }
}

/// Reads an agent's status socket (`launchdeck agent status`, the dashboard).
public enum StatusClient {
    public static func read(_ path: String) throws -> AgentStatus {
        guard var address = UnixSocketAddress.make(path) else { throw RunError.launch("socket path too long: \(path)") }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RunError.launch("cannot create socket") }
        defer { Glibc.close(descriptor) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw RunError.launch("\(path): \(String(cString: strerror(errno)))") }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return try WireCoding.decoder.decode(AgentStatus.self, from: data)
    }
}

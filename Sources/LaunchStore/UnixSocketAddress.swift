import Foundation
import LaunchModel
#if canImport(Glibc)
import Glibc
#endif

/// `sockaddr_un` from a path, or nil when the path is too long for one.
public enum UnixSocketAddress {
    public static func make(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        return address
    }

    /// A Unix socket of `type` bound at `path` (mode 0600, close-on-exec), replacing a stale one.
    public static func bind(path: String, type: Int32) throws -> Int32 {
        guard var address = UnixSocketAddress.make(path) else { throw LaunchError.storage("socket path too long: \(path)") }
        unlink(path)
        let descriptor = socket(AF_UNIX, type, 0)
        guard descriptor >= 0 else { throw LaunchError.storage("cannot create socket: \(String(cString: strerror(errno)))") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        let previous = umask(0o177)
        defer { umask(previous) }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            Glibc.close(descriptor)
            throw LaunchError.storage("cannot bind \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, 0o600)
        return descriptor
    }
}

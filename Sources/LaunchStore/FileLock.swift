import Foundation
import LaunchModel
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a file, held across processes: two processes opening a new database do not both
/// create its schema, and two agents do not both build the same virtualenv.
public enum FileLock {
    public static func withLock<T>(at lockPath: String, _ body: () throws -> T) throws -> T {
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LaunchError.storage("cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            if errno != EINTR { throw LaunchError.storage("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

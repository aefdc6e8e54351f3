import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive file lock beside the database, so two processes opening a new file at once
/// do not both try to create its schema.
enum MigrationLock {
    static func withLock<T>(near databasePath: String, _ body: () throws -> T) throws -> T {
        let lockPath = databasePath + ".migrate.lock"
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError.storage("cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            if errno != EINTR { throw StoreError.storage("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

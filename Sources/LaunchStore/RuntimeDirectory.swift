import Crypto
import Foundation
import LaunchModel

/// Where the processes of one data directory meet on this machine: agents' status sockets and wake sockets.
/// `$XDG_RUNTIME_DIR/launchdeck/<hash of the data dir>`, else `/tmp/launchdeck-<uid>/<hash>`, mode 0700.
/// The hash keeps the path short (Unix socket paths are limited to 107 bytes) and data dirs apart.
public struct RuntimeDirectory: Sendable {
    public var url: URL

    public init(url: URL) {
        self.url = url
    }

    public static func resolve(for data: DataDirectory, environment: [String: String] = ProcessInfo.processInfo.environment) -> RuntimeDirectory {
        let base: URL
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty, FileManager.default.isWritableFile(atPath: runtime),
           ownedByUs(runtime) {
            // Root with another user's environment (sudo -E) can write there too, but it is that user's.
            base = URL(fileURLWithPath: runtime, isDirectory: true).appendingPathComponent("launchdeck", isDirectory: true)
        } else {
            base = URL(fileURLWithPath: "/tmp/launchdeck-\(getuid())", isDirectory: true)
        }
        let key = SHA256.hash(data: Data(data.url.standardizedFileURL.path.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        return RuntimeDirectory(url: base.appendingPathComponent(key, isDirectory: true))
    }

    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LaunchError.storage("cannot create runtime directory \(url.path): \(error.localizedDescription)")
        }
        // /tmp is shared: a directory someone else made there first (or a symlink), or one others could write to
        // (they may have left a fake socket in it), would let them read what we put there and stand in for our
        // sockets. One of ours others may only enter (made with the umask by another process a moment ago) is closed.
        for directory in [url.deletingLastPathComponent(), url] {
            var info = stat()
            guard lstat(directory.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid(), info.st_mode & 0o022 == 0 else {
                throw LaunchError.storage("runtime directory \(directory.path) is not a private directory of this user (another user's, a link, or writable by others); remove it")
            }
            if info.st_mode & 0o077 != 0, chmod(directory.path, 0o700) != 0 {
                throw LaunchError.storage("cannot make runtime directory \(directory.path) private: \(String(cString: strerror(errno)))")
            }
        }
    }

    static func ownedByUs(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_uid == getuid()
    }

    /// A new file only this user can read, for text that may hold secrets (a queue configuration being edited):
    /// created exclusively, mode 0600, in this private directory rather than in the shared /tmp.
    public func privateFile(prefix: String, extension suffix: String) throws -> URL {
        try create()
        let edits = url.appendingPathComponent("edits", isDirectory: true)
        try? FileManager.default.createDirectory(at: edits, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for _ in 0..<16 {
            let candidate = edits.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8).lowercased()).\(suffix)")
            let fd = open(candidate.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 {
                close(fd)
                return candidate
            }
            guard errno == EEXIST else { break }
        }
        throw LaunchError.storage("cannot create a private file in \(edits.path): \(String(cString: strerror(errno)))")
    }

    public func statusSocket(agent: String) -> URL { url.appendingPathComponent("\(agent).status") }
    public func wakeSocket(agent: String) -> URL { url.appendingPathComponent("\(agent).wake") }

    public func sockets(suffix: String) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { url.appendingPathComponent($0) }
    }
}

import Foundation
import LaunchModel
#if canImport(Glibc)
import Glibc
#endif

/// Where LaunchDeck keeps its state: `$LAUNCHDECK_HOME`, else `$XDG_DATA_HOME/launchdeck`, else `~/.local/share/launchdeck`.
public struct DataDirectory: Sendable {
    public var url: URL

    public init(url: URL) {
        self.url = url
    }

    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> DataDirectory {
        if let home = environment["LAUNCHDECK_HOME"], !home.isEmpty {
            return DataDirectory(url: URL(fileURLWithPath: home, isDirectory: true))
        }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return DataDirectory(url: URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("launchdeck", isDirectory: true))
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return DataDirectory(url: home.appendingPathComponent(".local/share/launchdeck", isDirectory: true))
    }

    public var databaseURL: URL { url.appendingPathComponent("launchdeck.db") }
    public var artifactsURL: URL { url.appendingPathComponent("artifacts", isDirectory: true) }
    /// Agents' own state (their outboxes of attempt reports), beside the store rather than in it.
    public var agentStateURL: URL { url.appendingPathComponent("agents", isDirectory: true) }
    /// Where agents put work directories and virtualenvs by default: beside the data directory, not in it, so that
    /// `LAUNCHDECK_WORK_DIR` and everything a job can reach from there lead nowhere near the store.
    public var workAreaURL: URL {
        let standardized = url.standardizedFileURL
        return standardized.deletingLastPathComponent().appendingPathComponent(standardized.lastPathComponent + "-work", isDirectory: true)
    }

    /// Why this process cannot write here (`read-only file system`, `permission denied`), or nil when it can.
    /// A missing directory counts as writable: creating it reports its own error.
    public func unwritableReason() -> String? {
        guard access(url.path, F_OK) == 0, access(url.path, W_OK) != 0 else { return nil }
        return errno == EROFS ? "read-only file system" : String(cString: strerror(errno)).lowercased()
    }

    /// Whether the directory sits on a read-only mount, where no process can change the database under us.
    public var isOnReadOnlyFileSystem: Bool {
        var info = statvfs()
        return statvfs(url.path, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0
    }

    /// Whether the file system holding the directory has (almost) no room left: too little for SQLite to open
    /// the database, whose WAL index alone takes 32 KiB.
    public var isFull: Bool {
        var info = statvfs()
        return statvfs(url.path, &info) == 0 && UInt64(info.f_bavail) * UInt64(info.f_frsize) < 1 << 20
    }

    /// Creates the directory when missing, and makes it and what LaunchDeck keeps in it private (0700 and 0600: it
    /// holds queue secrets, job code and logs), also when it existed before LaunchDeck first ran.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LaunchError.storage("cannot create data directory \(url.path): \(error.localizedDescription)")
        }
        try PrivateFiles.secureDirectory(url, what: "data directory")
        for directory in [artifactsURL, agentStateURL, url.appendingPathComponent("logs", isDirectory: true)] {
            try PrivateFiles.secureDirectory(directory, what: "directory")
        }
    }

    /// The database and its companion files, closed to others (SQLite creates them with the umask of whoever first
    /// opened the database, and an older LaunchDeck wrote them 0644).
    public func secureDatabaseFiles() {
        for suffix in ["", "-wal", "-shm", ".migrate.lock"] {
            PrivateFiles.secureFile(URL(fileURLWithPath: databaseURL.path + suffix))
        }
    }
}

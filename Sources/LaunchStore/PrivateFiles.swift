import Foundation
import LaunchModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// LaunchDeck's own files hold queue secrets, job code and logs, so they are its user's alone: every LaunchDeck process
/// writes with umask 077, and the directories it keeps state in are made private (0700) when found open to others,
/// or refused when they belong to someone else. Jobs get back the umask their agent was started with.
public enum PrivateFiles {
    private static let startedWith = Mutex<mode_t?>(nil)

    /// Sets this process's umask to 077, remembering the one it was started with (once).
    public static func restrictUmask() {
        startedWith.withLock { saved in
            if saved == nil { saved = umask(0o077) }
        }
    }

    /// The umask the process was started with, for the jobs it runs.
    public static var startingUmask: mode_t? { startedWith.withLock { $0 } }

    /// Makes a directory of ours private (`mode`, 0700 unless said otherwise), or says why it cannot be: another
    /// user's directory is refused rather than filled with our secrets. A missing one is left to be created.
    public static func secureDirectory(_ url: URL, what: String, mode: mode_t = 0o700) throws {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw LaunchError.storage("\(what) \(url.path) is not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw LaunchError.storage("\(what) \(url.path) belongs to uid \(info.st_uid), not to this user (uid \(geteuid())): LaunchDeck keeps secrets there, so it will not use it")
        }
        if info.st_mode & 0o777 != mode, chmod(url.path, mode) != 0 {
            throw LaunchError.storage("cannot make \(what) \(url.path) private (mode \(String(mode, radix: 8))): \(String(cString: strerror(errno)))")
        }
    }

    /// Closes a file of ours to others (0600) when it is open to them.
    public static func secureFile(_ url: URL) {
        var info = stat()
        guard lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid(), info.st_mode & 0o077 != 0 else { return }
        _ = chmod(url.path, mode_t(info.st_mode & 0o700))
    }
}

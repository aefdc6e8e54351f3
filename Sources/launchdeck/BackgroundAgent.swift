import Foundation
import LaunchStore
#if canImport(Glibc)
import Glibc
#endif

/// An agent started in the background: `launchdeck agent run ...` in a session of its own (it must not die with the
/// terminal that started it), output to a log file in the data directory. Spawned directly with
/// POSIX_SPAWN_SETSID, so the pid it reports is the agent's own.
enum BackgroundAgent {
    struct Started {
        var pid: pid_t
        var logFile: URL
    }

    /// glibc's POSIX_SPAWN_SETSID (spawn.h, since 2.26), which Swift's Glibc does not import (it is _GNU_SOURCE only).
    static let spawnSetsid: Int32 = 0x80

    static func start(arguments: [String], name: String, id: String, data: DataDirectory) throws -> Started {
        let logs = data.url.appendingPathComponent("logs", isDirectory: true)
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let logFile = logs.appendingPathComponent("agent-\(name)-\(id.suffix(6).lowercased()).log")
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let argv = [executable, "agent", "run"] + arguments + ["--agent-id", id]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        // Nothing else of ours may outlive us in the agent: a pipe the caller reads our output or our exit from
        // (`$(launchdeck agent --detach)`, Foundation's Process) would otherwise stay open as long as the agent
        // runs, and the caller would wait for it.
        for descriptor in inheritedDescriptors() { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(Self.spawnSetsid | POSIX_SPAWN_SETSIGMASK))
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)

        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &cArguments, environ)
        guard result == 0 else {
            throw CommandExit(code: 1, message: "cannot start the agent in the background: \(String(cString: strerror(result)))")
        }
        return Started(pid: pid, logFile: logFile)
    }

    /// Descriptors above stderr that a spawned program would inherit (open, without close-on-exec).
    static func inheritedDescriptors() -> [Int32] {
        let listed = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return listed.compactMap(Int32.init).filter { descriptor in
            guard descriptor > STDERR_FILENO else { return false }
            let flags = fcntl(descriptor, F_GETFD)
            return flags >= 0 && flags & FD_CLOEXEC == 0
        }
    }
}

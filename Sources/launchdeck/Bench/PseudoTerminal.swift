import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program running in a pseudo-terminal of a given size, with every byte it writes to the terminal counted
/// as it arrives: what a user's terminal emulator would receive.
final class PseudoTerminal: @unchecked Sendable {
    let pid: pid_t
    private let master: Int32
    private let received = Mutex<[UInt8]>([])
    private var reader: Thread?

    init(argv: [String], environment: [String: String], columns: Int, rows: Int) throws {
        // posix_openpt, grantpt, unlockpt and ptsname sit behind feature macros Swift's Glibc module does not set,
        // so the pty is opened the way they do it on Linux: /dev/ptmx, unlock, ask the kernel for the number.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, Self.setPtyLock, &unlock) == 0, ioctl(master, Self.getPtyNumber, &number) == 0 else {
            throw CommandExit(code: 1, message: "bench: cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let slavePath = "/dev/pts/\(number)"
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A session of its own, so opening the terminal makes it the program's controlling terminal.
        posix_spawnattr_setflags(&attributes, Self.spawnSetSID)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        posix_spawn_file_actions_addclose(&actions, master)
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard status == 0 else {
            close(master)
            throw CommandExit(code: 1, message: "bench: cannot start \(argv[0]): \(String(cString: strerror(status)))")
        }
        pid = child
        let fd = master
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                self.received.withLock { $0 += chunk[0..<count] }
            }
        }
        thread.start()
        reader = thread
    }

    /// Linux's TIOCSPTLCK and TIOCGPTN (asm-generic ioctl numbers, as on x86_64 and arm64).
    private static let setPtyLock: UInt = 0x4004_5431
    private static let getPtyNumber: UInt = 0x8004_5430
    /// glibc's POSIX_SPAWN_SETSID (2.26+), which Swift's Glibc module does not export.
    private static let spawnSetSID: Int16 = 0x80

    /// Bytes the program has written to the terminal so far.
    var totalBytes: Int { received.withLock { $0.count } }

    /// What the terminal received, as text with escape sequences left in (for error messages).
    var output: String { received.withLock { String(decoding: $0, as: UTF8.self) } }

    func contains(_ text: String) -> Bool {
        let needle = Array(text.utf8)
        return received.withLock { bytes in
            bytes.count >= needle.count && (0...(bytes.count - needle.count)).contains { start in
                bytes[start..<start + needle.count].elementsEqual(needle)
            }
        }
    }

    /// Waits for text to appear in the output; the time it took, or nil on timeout.
    func waitFor(_ text: String, timeout: Duration) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if contains(text) { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    func type(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count - 1) }
    }

    /// Peak resident memory of the program, in MiB.
    var peakRSSMiB: Double { launchdeck.peakRSSMiB(of: String(pid)) }

    /// Waits for the program to exit (killing it after `timeout`) and returns its exit status.
    func wait(timeout: Duration) async -> Int32 {
        let start = ContinuousClock.now
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now - start > timeout {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        close(master)
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

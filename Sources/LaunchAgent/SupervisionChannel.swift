import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The guard's stdin, a connected pair whose other end only this process holds: "go" starts the job, "lease"
/// renews its fence, EOF (our end closed, by us or by our death) stops it; the guard answers "fenced" and
/// "leftovers N" (see launchdeck-guard). A socket pair rather than a pipe so a write to a guard that already ended
/// fails with EPIPE instead of raising SIGPIPE in the agent, and so the guard can answer.
final class SupervisionChannel: Sendable {
    let guardEnd: Int32
    private let agentEnd: Mutex<Int32?>
    /// The latest the guard may let its process run, whatever the fence says (a preparation step's deadline).
    private let stopAt: BootInstant?

    init(stopAt: BootInstant? = nil) throws {
        self.stopAt = stopAt
        var fds: [Int32] = [-1, -1]
        // Close-on-exec on both ends: other jobs must not inherit them (the guard's end reaches it via dup2).
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw RunError.launch("cannot create the supervision socket: \(String(cString: strerror(errno)))")
        }
        guardEnd = fds[0]
        agentEnd = Mutex(fds[1])
    }

    /// Starts the job; `fenceAt` nil means no fence (a run without a lease, in tests and probes).
    func sendGo(fenceAt: BootInstant?) {
        send("go \(capped(fenceAt)?.nanoseconds ?? 0)\n")
    }

    func renew(fenceAt: BootInstant) {
        send("lease \(capped(fenceAt)!.nanoseconds)\n")
    }

    private func capped(_ fenceAt: BootInstant?) -> BootInstant? {
        guard let stopAt else { return fenceAt }
        return fenceAt.map { min($0, stopAt) } ?? stopAt
    }

    private func send(_ line: String) {
        agentEnd.withLock { fd in
            guard let fd else { return }
            _ = line.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
        }
    }

    /// What the guard said before it exited, read without waiting.
    func answers() -> [String] {
        agentEnd.withLock { fd -> [String] in
            guard let fd else { return [] }
            var text = ""
            var buffer = [UInt8](repeating: 0, count: 512)
            while true {
                let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                guard got > 0 else { break }
                text += String(decoding: buffer.prefix(got), as: UTF8.self)
            }
            return text.split(separator: "\n").map(String.init)
        }
    }

    func close() {
        agentEnd.withLock { fd in
            if let open = fd { _ = Glibc.close(open) }
            fd = nil
        }
    }
}

import Foundation

/// Waits for a condition with a deadline instead of sleeping a fixed time; returns whether it became true.
/// It sleeps without holding a thread: tests run on Swift's cooperative pool (two threads on a two-core machine),
/// and a test blocking one starves every async test beside it.
func eventually(timeout: Double = 30, every interval: Double = 0.1, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        await pause(interval)
    }
    return try await condition()
}

/// Sleeps without holding a thread of the cooperative pool (see `eventually`).
func pause(_ seconds: Double) async {
    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
}

extension LaunchdeckProcess {
    /// Items as JSON objects, by id.
    func items() async throws -> [String: [String: Any]] {
        let list = try await json("items", "-o", "json") as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.compactMap { item in (item["id"] as? String).map { ($0, item) } })
    }

    func state(_ id: String) async throws -> String? {
        try await items()[id]?["state"] as? String
    }

    /// Starts an agent in the background with short timings for tests.
    func startAgent(queues: [String], maxJobs: Int = 2, leaseSeconds: Double = 30, name: String = "test-agent",
                    extra: [String] = []) throws -> Process {
        var arguments = ["agent", "--max-jobs", String(maxJobs), "--name", name, "--lease-seconds", String(leaseSeconds),
                         "--heartbeat-seconds", "0.5", "--poll-interval", "0.2"]
        for queue in queues { arguments += ["--queue", queue] }
        return try start(arguments + extra, stdout: home.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(6)).out"),
                         stderr: home.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(6)).err"))
    }

    func enqueueID(_ arguments: String...) async throws -> String {
        let result = try await run(["enqueue"] + arguments)
        guard result.status == 0 else { throw Failure(message: "enqueue failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

func processAlive(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 && !((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") ?? true)
}

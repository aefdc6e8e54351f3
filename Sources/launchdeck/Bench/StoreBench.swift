import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore

/// The embedded backend: enqueue and lease throughput, lease exclusivity across processes, and poll cost.
enum StoreBench {
    static func fresh(_ root: URL, _ name: String) async throws -> (SQLiteBackend, DataDirectory) {
        let directory = DataDirectory(url: root.appendingPathComponent(name, isDirectory: true))
        let backend = try SQLiteBackend(directory: directory)
        _ = try await backend.createJob(name: "noop", spec: JobSpec(source: .image(reference: "x"), entrypoint: ["true"]))
        _ = try await backend.createQueue(name: "bench", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        return (backend, directory)
    }

    static let request = EnqueueRequest(job: JobReference(name: "noop", version: nil), queue: "bench")

    /// The noop job and `queues` (local-process) that the benches of a backend reached from outside start with.
    static func prepare(_ backend: any LaunchBackend, queues: [String]) async throws {
        _ = try await backend.createJob(name: "noop", spec: JobSpec(source: .image(reference: "x"), entrypoint: ["true"]))
        for queue in queues {
            _ = try await backend.createQueue(name: queue, target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        }
    }

    /// 1,000 enqueues one call each: items/s and each call's latency in ms.
    static func enqueueOneByOne(_ backend: any LaunchBackend) async throws -> (perSecond: Double, latency: Samples) {
        var latency = Samples()
        let (_, total) = try await measure {
            for _ in 0..<1000 {
                let (_, seconds) = try await measure { try await backend.enqueue(request) }
                latency.add(seconds * 1000)
            }
        }
        return (1000 / total, latency)
    }

    static func run(root: URL, into report: inout BenchReport) async throws {
        let (backend, _) = try await fresh(root, "enqueue")
        let (_, single) = try await measure { for _ in 0..<1000 { _ = try await backend.enqueue(request) } }
        report.results.append(BenchResult(group: "store", name: "enqueue, one per transaction", unit: "items/s", median: 1000 / single))
        let (_, batched) = try await measure { for _ in 0..<10 { _ = try await backend.enqueue(batch: Array(repeating: request, count: 1000)) } }
        report.results.append(BenchResult(group: "store", name: "enqueue, batches of 1000", unit: "items/s", median: 10_000 / batched))

        for agents in [1, 8] {
            let (leaseBackend, directory) = try await fresh(root, "lease-\(agents)")
            _ = try await leaseBackend.enqueue(batch: Array(repeating: request, count: 2000))
            let (ids, seconds) = try await measure { try leaseWorkers(agents, directory: directory) }
            let duplicates = ids.count - Set(ids).count
            report.results.append(BenchResult(
                group: "store", name: "lease+finish, \(agents) agent process\(agents == 1 ? "" : "es")", unit: "items/s", median: Double(ids.count) / seconds,
                goal: "0 duplicates, 0 lost", met: duplicates == 0 && Set(ids).count == 2000,
                note: duplicates == 0 && Set(ids).count == 2000 ? nil : "\(duplicates) duplicates, \(2000 - Set(ids).count) lost"))
        }

        for rows in [1000, 100_000] {
            let (pollBackend, _) = try await fresh(root, "poll-\(rows)")
            for _ in 0..<(rows / 10_000 + (rows % 10_000 > 0 ? 1 : 0)) {
                _ = try await pollBackend.enqueue(batch: Array(repeating: request, count: min(10_000, rows)))
            }
            let cursor = try await pollBackend.changes(since: 0).cursor
            let some = try await pollBackend.items(ItemFilter(limit: 10))
            for item in some { _ = try await pollBackend.cancel(itemID: item.id) }
            var samples = Samples()
            for _ in 0..<30 {
                let (changes, seconds) = try await measure { try await pollBackend.changes(since: cursor) }
                precondition(changes.items.count == 10)
                samples.add(seconds * 1000)
            }
            report.results.append(BenchResult(group: "poll", name: "changes(since:) with \(rows) rows, 10 changed", unit: "ms",
                                              median: samples.median, p99: samples.p99, goal: "independent of row count"))
        }
    }

    /// Runs `launchdeck debug lease-worker` processes against one database and collects the ids they leased.
    static func leaseWorkers(_ count: Int, directory: DataDirectory) throws -> [String] {
        var running: [(Process, URL)] = []
        for worker in 0..<count {
            let output = directory.url.appendingPathComponent("worker-\(worker).out")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["debug", "lease-worker", "--agent", "bench-\(worker)", "--queue", "bench", "--idle-rounds", "2"]
            var environment = ProcessInfo.processInfo.environment
            environment["LAUNCHDECK_HOME"] = directory.url.path
            process.environment = environment
            process.standardOutput = try FileHandle(forWritingTo: output)
            try process.run()
            running.append((process, output))
        }
        var ids: [String] = []
        for (process, output) in running {
            process.waitUntilExit()
            ids += try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        return ids
    }
}

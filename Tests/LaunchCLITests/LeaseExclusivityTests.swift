import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import Testing
import TestSupport

/// Eight agents in eight processes lease from one database file; every item must go to exactly one.
@Suite struct LeaseExclusivityTests {
    @Test func eightProcessesTwoThousandItemsNoDuplicatesNoneLost() async throws {
        let cli = try LaunchdeckProcess()
        let backend = try SQLiteBackend(directory: DataDirectory(url: cli.home))
        _ = try await backend.createJob(name: "t", spec: JobSpec(source: .image(reference: "x"), entrypoint: ["true"]))
        for queue in ["a", "b"] {
            _ = try await backend.createQueue(name: queue, target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        }
        let requests = (0..<2000 * ChaosScale.factor).map { index in
            EnqueueRequest(job: JobReference(name: "t", version: nil), queue: index.isMultiple(of: 2) ? "a" : "b",
                           priority: Priority.allCases[index % 4])
        }
        let enqueued = Set(try await backend.enqueue(batch: requests).map(\.id))

        var processes: [(Process, URL, URL)] = []
        for worker in 0..<8 {
            let out = cli.home.appendingPathComponent("worker-\(worker).out")
            let err = cli.home.appendingPathComponent("worker-\(worker).err")
            let process = try cli.start(["debug", "lease-worker", "--agent", "agent-\(worker)", "--queue", "a", "--queue", "b",
                                         "--batch", String(1 + worker % 4)], stdout: out, stderr: err)
            processes.append((process, out, err))
        }
        var leased: [String] = []
        var perWorker: [Int] = []
        for (process, out, err) in processes {
            process.waitUntilExit()
            let errors = try String(contentsOf: err, encoding: .utf8)
            #expect(process.terminationStatus == 0, "\(errors)")
            let ids = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
            perWorker.append(ids.count)
            leased += ids
        }
        #expect(leased.count == requests.count, "duplicates or losses: \(leased.count) leases")
        #expect(Set(leased) == enqueued, "lost: \(enqueued.subtracting(leased).count)")
        // Everything finished exactly once, and more than one process did real work.
        #expect(try await backend.items(ItemFilter(states: [.succeeded])).count == requests.count)
        #expect(perWorker.filter { $0 > 0 }.count >= 2, "\(perWorker)")
    }
}

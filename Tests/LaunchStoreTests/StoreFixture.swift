import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import Synchronization
import TestSupport

/// A clock tests move by hand, so lease expiry needs no waiting.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A fresh database in a temporary directory, with a clock, a job and queues ready to use.
struct StoreFixture {
    let directory: URL
    let clock = ManualClock()
    let backend: SQLiteBackend

    init(limits: SQLiteBackend.Limits = SQLiteBackend.Limits()) throws {
        directory = TestScratch.directory("store")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clock = self.clock
        backend = try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path, limits: limits, clock: { clock.now })
    }

    /// A second connection to the same file, as another process would open it.
    func reopen() throws -> SQLiteBackend {
        let clock = self.clock
        return try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path, clock: { clock.now })
    }

    @discardableResult
    func makeJob(_ name: String = "train") async throws -> JobVersion {
        try await backend.createJob(name: name, spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"])).version
    }

    @discardableResult
    func makeQueue(_ name: String, config: String = "max_attempts: 3\n") async throws -> Queue {
        try await backend.createQueue(name: name, target: .localProcess, config: try QueueConfig.parse(config, target: .localProcess))
    }

    func enqueue(_ queue: String, _ priority: Priority = .normal, count: Int = 1) async throws -> [LaunchItem] {
        try await backend.enqueue(batch: (0..<count).map { _ in
            EnqueueRequest(job: JobReference(name: "train", version: nil), queue: queue, priority: priority)
        })
    }
}

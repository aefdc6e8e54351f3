import Foundation
import LaunchAPI
import LaunchClient
import LaunchModel
import LaunchServer
import LaunchStore
import Logging
import Synchronization
import TestSupport
import Testing

/// Every backend the contract has; each conformance test runs once against each.
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// The embedded store, used in process.
    case sqlite
    /// The HTTP client, talking to a `launchdeck server` (in this process, on a loopback port) in front of a store.
    case http

    var testDescription: String { rawValue }
}

/// A clock tests move by hand, so lease expiry needs no waiting. A remote backend's server is given the same clock.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A fresh backend of one kind, with a clock, and helpers for a job and queues. Its store is a new SQLite file in a
/// scratch directory; for `.http`, a server runs in front of it until the fixture goes.
final class BackendFixture: Sendable {
    let kind: BackendKind
    let directory: URL
    let clock = ManualClock()
    let backend: any LaunchBackend
    let store: SQLiteBackend
    let server: RunningServer?

    init(_ kind: BackendKind, limits: SQLiteBackend.Limits = SQLiteBackend.Limits()) async throws {
        self.kind = kind
        directory = TestScratch.directory("conformance-\(kind.rawValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clock = self.clock
        store = try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path, limits: limits, clock: { clock.now })
        switch kind {
        case .sqlite:
            backend = store
            server = nil
        case .http:
            let server = try await RunningServer.start(store: store, artifacts: ArtifactStore(root: directory.appendingPathComponent("artifacts")))
            self.server = server
            backend = try server.client()
        }
    }

    deinit {
        server?.stop()
    }

    /// More connections to the same backend, as other processes would open: for concurrency tests.
    func connections(_ count: Int) async throws -> [any LaunchBackend] {
        let clock = self.clock
        return try (0..<count).map { _ in
            switch kind {
            case .sqlite: try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path, clock: { clock.now })
            case .http: try server!.client()
            }
        }
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

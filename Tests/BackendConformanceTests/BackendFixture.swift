import Foundation
import LaunchAPI
import LaunchClient
import LaunchModel
import LaunchPostgres
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
    /// The shared backend, on a database of the test's own in the cluster of scripts/postgres-local (the tests
    /// skip with a printed reason without it, and fail in CI).
    case postgres

    var testDescription: String { rawValue }
}

/// A clock tests move by hand, so lease expiry needs no waiting. A remote backend's server is given the same clock.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A fresh backend of one kind, with a clock, and helpers for a job and queues: a new SQLite file in a scratch
/// directory (for `.http`, with a server in front of it until the fixture goes), or a new PostgreSQL database,
/// dropped when the fixture goes.
final class BackendFixture: Sendable {
    let kind: BackendKind
    let directory: URL
    let clock = ManualClock()
    let backend: any LaunchBackend
    let server: RunningServer?
    let limits: StoreLimits
    private let postgres: (location: PostgresLocation, cluster: (location: PostgresLocation, password: String))?
    /// The connection pools of the PostgreSQL backends made, which run until the fixture goes.
    private let pools = Mutex<[Task<Void, Never>]>([])

    /// A pause of reclaims is measured on the manual clock, so one begun by a slow moment of the machine (the whole
    /// suite shares two cores) would outlast every "11 s later" of the tests. Stalls of PostgreSQL have a test of
    /// their own (PostgresStallTests), and the pool of a fixture's backend is never busy for seconds.
    static let stallWait: Duration = .seconds(60)

    /// Nil when the kind's component is absent (PostgreSQL not running): the test skips, as `RequiredComponent` said.
    init?(_ kind: BackendKind, limits: StoreLimits = StoreLimits()) async throws {
        self.kind = kind
        self.limits = limits
        directory = TestScratch.directory("conformance-\(kind.rawValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clock = self.clock
        switch kind {
        case .sqlite, .http:
            let store = try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path, limits: limits, clock: { clock.now })
            postgres = nil
            if kind == .sqlite {
                backend = store
                server = nil
            } else {
                let server = try await RunningServer.start(store: store, artifacts: ArtifactStore(root: directory.appendingPathComponent("artifacts")))
                self.server = server
                backend = try server.client()
            }
        case .postgres:
            guard let cluster = try LocalPostgres.cluster() else { return nil }
            let location = try await LocalPostgres.createDatabase(cluster)
            postgres = (location, cluster)
            server = nil
            let store = PostgresBackend(location: location, password: cluster.password, limits: limits, connections: 4,
                                        clock: { clock.now }, stallWait: Self.stallWait, logger: LocalPostgres.logger)
            backend = store
            pools.withLock { $0.append(Task { await store.run() }) }
            try await store.migrate()
        }
    }

    deinit {
        server?.stop()
        let pools = self.pools.withLock { $0 }
        for pool in pools { pool.cancel() }
        if let postgres {
            Task.detached {
                for pool in pools { await pool.value }
                try? await LocalPostgres.dropDatabase(postgres.location, postgres.cluster)
            }
        }
    }

    /// More connections to the same backend, as other processes would open: for concurrency tests.
    func connections(_ count: Int) async throws -> [any LaunchBackend] {
        let clock = self.clock
        return try (0..<count).map { _ in
            switch kind {
            case .sqlite: return try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path, clock: { clock.now })
            case .http: return try server!.client()
            case .postgres:
                let other = PostgresBackend(location: postgres!.location, password: postgres!.cluster.password, limits: limits,
                                            connections: 2, clock: { clock.now }, stallWait: Self.stallWait, logger: LocalPostgres.logger)
                pools.withLock { $0.append(Task { await other.run() }) }
                return other
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

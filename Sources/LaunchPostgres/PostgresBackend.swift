import Foundation
import LaunchAPI
import LaunchModel
import Logging
import PostgresNIO
import Synchronization

/// The shared backend of `launchdeck server`: its state in PostgreSQL, so several servers (and the database's own
/// backups and monitoring) share one set of queues. The rules of an item's life are `ItemLifecycle`'s, as in the
/// embedded store; this only reads and writes what they decide. Design and why it is right: docs/postgres-backend.md.
///
/// The connection pool works only while `run()` does: run it beside whatever uses the backend (a task group).
public final class PostgresBackend: LaunchBackend {
    let client: PostgresClient
    let limits: StoreLimits
    let clock: @Sendable () -> Date
    let logger: Logger
    let stalls: StallWatch
    /// The connections this backend has had, by id: a write handed one of these waited for a busy pool, while one
    /// handed a new connection waited for it to open (TCP, startup, SCRAM), which is no stall.
    private let knownConnections = Mutex<Set<PostgresConnection.ID>>([])
    let postgres: PostgresLocation
    let password: String?
    /// Tells the other servers on this database of this one's writes, and this one of theirs.
    public let announcements: PostgresAnnouncements
    let closedConnections: ClosedConnectionWatch
    /// Agents' reports, written together when they come together.
    let reports: GroupCommit<ItemReport, LaunchItem>
    /// Agents' leases, made together when they come together.
    let leases: GroupCommit<LeaseRequest, [LaunchItem]>

    public var location: String { postgres.description }
    public var readOnlyReason: String? { nil }

    /// `stallWait`: how long a write may wait for a busy pool before this backend takes it as a stall and pauses
    /// reclaims (`StallWatch`).
    public init(location: PostgresLocation, password: String?, limits: StoreLimits = StoreLimits(), connections: Int = 16,
                clock: @escaping @Sendable () -> Date = { Date() }, stallWait: Duration = StallWatch.defaultLongWait,
                logger: Logger) {
        var configuration = location.configuration(password: password)
        // `connections` for transactions, and one more that the LISTEN of `announcements` holds for good.
        configuration.options.maximumConnections = connections + 1
        // Kept open between bursts (opening one, TCP, startup and SCRAM, costs more than a lease) by a long idle
        // timeout, not by a minimum: with a minimum above 0, postgres-nio 1.33's pool traps on a lease after an
        // outage closed its connections (createNewDemandConnectionIfPossible's precondition; found here with
        // `pg_ctl stop -m immediate` under load, a variant of vapor/postgres-nio#479), taking the server down.
        configuration.options.minimumConnections = 0
        configuration.options.connectionIdleTimeout = .seconds(600)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.postgres = location
        self.password = password
        self.limits = limits
        self.clock = clock
        self.logger = logger
        stalls = StallWatch(longWait: stallWait)
        closedConnections = ClosedConnectionWatch(logger: logger)
        // At most a quarter of the connections write reports (four of a server's sixteen) and a quarter make leases,
        // the rest are for reads and other writes; under load a writer's batch grows rather than its turn waiting
        // for a connection.
        let shutDown = { @Sendable () -> any Error in
            LaunchError.unavailable("the PostgreSQL backend at \(location.description) has shut down; try again")
        }
        reports = GroupCommit(writers: connections / 4, largestBatch: 256, unavailable: shutDown)
        leases = GroupCommit(writers: connections / 4, largestBatch: 64, unavailable: shutDown)
        announcements = PostgresAnnouncements(location: location, closedConnections: closedConnections, logger: logger)
    }

    /// The pool, the listening connection and the watch on connections that close mid-transaction, until the task
    /// is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.closedConnections.watch() }
            group.addTask { await self.announcements.run(publishingOn: self.client) }
            group.addTask { await self.reports.run { await self.writeReports($0) } }
            group.addTask { await self.leases.run { await self.writeLeases($0) } }
        }
    }

    /// Applies the schema versions the database lacks (`PostgresMigrations`); servers starting together migrate once.
    @discardableResult
    public func migrate() async throws -> [Int] {
        do {
            return try await PostgresMigrations.migrate(client, logger: logger)
        } catch {
            throw Self.launchError(error, location: postgres)
        }
    }

    /// The store's clock, at the microseconds PostgreSQL keeps, so what a write returns equals what a read gives back.
    var now: Date { PostgresRows.storable(clock()) }

    /// Runs `body` in one transaction (READ COMMITTED; each write takes the row locks it needs). A transaction that
    /// lost a race PostgreSQL detects (a serialisation failure, a deadlock, a unique key another just took) is run
    /// again from the start: each body reads what it decides on inside the transaction, so a second run decides
    /// afresh.
    ///
    /// What stalls writes here (and so may have kept agents from heartbeating) is the database out of reach, seen as
    /// failures, or every connection of the pool busy, seen as a long wait for one the pool already had. No lock
    /// serialises writers as in SQLite, so the time a write itself takes says only how busy the machine is.
    ///
    /// `inTransaction: false` is for a body of one statement, which PostgreSQL runs as a transaction of its own: two
    /// round trips (BEGIN, COMMIT) fewer, which is most of what a lease costs.
    @discardableResult
    func write<T: Sendable>(inTransaction: Bool = true,
                            _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var retries = 0
        while true {
            let asked = ContinuousClock.now
            do {
                return try await transaction(inTransaction ? "BEGIN" : nil) { connection, leased in
                    let reused = !self.knownConnections.withLock { $0.insert(connection.id).inserted }
                    if self.stalls.stalled(waited: reused ? leased - asked : .zero) {
                        try await self.noteStall(connection)
                    }
                    return try await body(connection)
                }
            } catch let error as PSQLError where Self.racedAnother(error) && retries < 8 {
                retries += 1
            } catch {
                if Self.isUnreachable(error) { stalls.failed() }
                throw Self.launchError(error, location: postgres)
            }
        }
    }

    /// One read in one snapshot (REPEATABLE READ, read only), so what it returns belongs together.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection, _ in try await body(connection) }
        } catch {
            if Self.isUnreachable(error) { stalls.failed() }
            throw Self.launchError(error, location: postgres)
        }
    }

    /// `body` between `begin` and COMMIT on one pooled connection, told when the connection was had; rolled back when it
    /// throws. Without `begin`, `body` alone (its statements commit each by itself).
    private func transaction<T: Sendable>(_ begin: PostgresQuery?,
                                          _ body: @escaping @Sendable (PostgresConnection, ContinuousClock.Instant) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let leased = ContinuousClock.now
            return try await self.closedConnections.run(on: connection, location: self.postgres) {
                guard let begin else { return try await body(connection, leased) }
                try await connection.query(begin, logger: self.logger)
                do {
                    let value = try await body(connection, leased)
                    try await connection.query("COMMIT", logger: self.logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: self.logger)
                    throw error
                }
            }
        }
    }

    /// As in the embedded store (`SQLiteBackend.noteStall`): agents that could not heartbeat while the database was
    /// out of reach are not dead, so no lease is reclaimed until each has had time to renew.
    func noteStall(_ connection: PostgresConnection) async throws {
        let until = now.addingTimeInterval(StallWatch.reclaimPause)
        try await connection.query("""
            UPDATE store_health SET reclaim_paused_until = GREATEST(reclaim_paused_until, \(until)) WHERE id = 1
            """, logger: logger)
    }

    /// Until when no lease is reclaimed because the database was out of reach, or nil when reclaims run.
    public func reclaimsPausedUntil() async throws -> Date? {
        let now = self.now
        let until = try await read { connection in
            try await connection.query("SELECT reclaim_paused_until FROM store_health WHERE id = 1", logger: self.logger)
                .collect(Date.self).first
        }
        return until.flatMap { $0 > now ? $0 : nil }
    }

    // MARK: Errors

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Serialisation failure, deadlock, or a unique key taken by a transaction that committed first.
    static func racedAnother(_ error: PSQLError) -> Bool {
        ["40001", "40P01", "23505"].contains(sqlState(error) ?? "")
    }

    /// The database cannot be reached, or is restarting: worth trying again later.
    static func isUnreachable(_ error: any Error) -> Bool {
        // `ClosedConnectionWatch` answers a transaction whose connection closed under it so.
        if case LaunchError.unavailable = error { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed: return true
        case .server:
            // 57P01-03: the administrator shut the server down, or it is starting or crashed; 08xxx: connection.
            let state = sqlState(error) ?? ""
            return state.hasPrefix("57P") || state.hasPrefix("08") || state == "53300"
        default: return false
        }
    }

    /// PostgreSQL's errors in the contract's kinds: out of reach is `unavailable`, so agents and clients try again;
    /// the contract's own errors pass through.
    static func launchError(_ error: any Error, location: PostgresLocation) -> any Error {
        if error is LaunchError { return error }
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return launchError(inner, location: location)
        }
        guard let psql = error as? PSQLError else { return error }
        let message = psql.serverInfo?[.message] ?? "\(psql.code)"
        if isUnreachable(psql) {
            return LaunchError.unavailable("PostgreSQL at \(location.description) is out of reach (\(message)); nothing was changed")
        }
        return LaunchError.storage("PostgreSQL at \(location.description): \(message)")
    }
}

extension PostgresRowSequence {
    /// Every row's single column.
    func collect<Value: PostgresDecodable>(_ type: Value.Type) async throws -> [Value] {
        var values: [Value] = []
        for try await value in decode(Value.self) { values.append(value) }
        return values
    }
}

extension PostgresBackend: AnnouncesWrites {
    public var writesElsewhere: AsyncStream<WriteKind> { announcements.writesElsewhere }
}

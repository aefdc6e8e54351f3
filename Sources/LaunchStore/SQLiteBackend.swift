import Foundation
import GRDB
import LaunchModel

/// The embedded backend: one SQLite file in WAL mode, shared safely by every LaunchDeck process of a machine.
/// Every write runs in an IMMEDIATE transaction, so SQLite serialises writers across processes and a
/// read-then-write (such as a lease) can never interleave with another process's.
public final class SQLiteBackend: LaunchBackend {
    public struct Limits: Sendable {
        /// Log lines kept per item; older ones are dropped and counted.
        public var logLinesPerItem: Int = 10_000
        /// Longer log lines are cut, so one runaway line cannot fill the database.
        public var logLineBytes: Int = 16 * 1024
        /// An agent without a heartbeat for this long is shown as lost.
        public var agentLostAfter: TimeInterval = 30
        public init() {}
    }

    let pool: DatabasePool
    let limits: Limits
    let clock: @Sendable () -> Date
    public let path: String
    /// Rung after each enqueue so idle local agents start at once instead of at their next poll.
    let doorbell: AgentDoorbell?

    /// Opens (creating on first use) the database in a data directory.
    public convenience init(directory: DataDirectory, limits: Limits = Limits()) throws {
        try directory.create()
        try self.init(path: directory.databaseURL.path, limits: limits,
                      doorbell: AgentDoorbell(runtime: RuntimeDirectory.resolve(for: directory)))
    }

    public init(path: String, limits: Limits = Limits(), clock: @escaping @Sendable () -> Date = { Date() },
                doorbell: AgentDoorbell? = nil) throws {
        self.path = path
        self.doorbell = doorbell
        self.limits = limits
        self.clock = clock
        var configuration = Configuration()
        // Writers of other processes hold the lock for milliseconds; wait rather than fail.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL survives any process crash; only an OS crash may lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try FileLock.withLock(at: path + ".migrate.lock") {
                try SQLiteSchema.migrator.migrate(pool)
            }
        } catch let error as DatabaseError {
            throw StoreError.storage("cannot open database \(path): \(error.message ?? error.description)")
        }
    }

    /// Runs `body` in one IMMEDIATE transaction, with the value of this write's change counter.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database, Int64) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    let seq = try Int64.fetchOne(db, sql: "UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq") ?? 0
                    result = try body(db, seq)
                    return .commit
                }
                return result!
            }
        } catch let error as DatabaseError {
            throw Self.storageError(error, path: path)
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as DatabaseError {
            throw Self.storageError(error, path: path)
        }
    }

    static func storageError(_ error: DatabaseError, path: String) -> StoreError {
        switch error.resultCode {
        case .SQLITE_FULL: .storage("disk full: cannot write \(path)")
        case .SQLITE_READONLY: .storage("database \(path) is read-only")
        default: .storage("database \(path): \(error.message ?? error.description)")
        }
    }

    var now: Date { clock() }

    /// SQLite's own check of the file: `ok` when nothing is damaged.
    public func integrityCheck() async throws -> String {
        try await read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }
}

import Foundation
import GRDB
import GRDBSQLite
import LaunchAPI
import LaunchModel

/// The embedded backend: one SQLite file in WAL mode, shared safely by every LaunchDeck process of a machine.
/// Every write runs in an IMMEDIATE transaction, so SQLite serialises writers across processes and a
/// read-then-write (such as a lease) can never interleave with another process's.
public final class SQLiteBackend: LaunchBackend {
    public typealias Limits = StoreLimits

    let database: any DatabaseWriter
    let limits: Limits
    let stalls = StallWatch()
    let clock: @Sendable () -> Date
    public let path: String
    /// Rung after each enqueue so idle local agents start at once instead of at their next poll.
    let doorbell: AgentDoorbell?
    /// Set when the data directory cannot be written (a read-only mount, no permission): reads work, every
    /// write fails with this reason before touching anything.
    public let readOnlyReason: String?
    /// The data directory, which is what users name (`LAUNCHDECK_DATA`), not the file in it.
    public var location: String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    /// Opens (creating on first use) the database in a data directory. A data directory this process cannot
    /// write (a read-only mount, no permission, a full disk) is opened read-only, so what is there can still be
    /// listed and watched, and every change fails with the reason.
    public convenience init(directory: DataDirectory, limits: Limits = Limits()) throws {
        let path = directory.databaseURL.path
        let exists = FileManager.default.fileExists(atPath: path)
        if let reason = directory.unwritableReason() {
            guard exists else {
                throw LaunchError.storage("data directory \(directory.url.path) is not writable (\(reason)): cannot create launchdeck.db")
            }
            let why = "data directory \(directory.url.path) is read-only (\(reason))"
            try self.init(database: Self.openReadOnly(path: path, reason: why, immutable: directory.isOnReadOnlyFileSystem),
                          readOnlyReason: why, path: path, limits: limits)
            return
        }
        if exists && directory.isFull {
            // With the disk full, show what is there and say why nothing can change, rather than fail at the first
            // write: the WAL kept from earlier commands may still have room, but job code, logs and a growing WAL
            // would not. Read through the WAL where it can be opened; else as immutable, which may lag commits still
            // in another process's WAL but never writes, so it cannot damage anything.
            let why = "disk full: no space left in data directory \(directory.url.path)"
            let database = try (try? Self.openReadOnly(path: path, reason: why, immutable: false))
                ?? Self.openReadOnly(path: path, reason: why, immutable: true)
            self.init(database: database, readOnlyReason: why, path: path, limits: limits)
            return
        }
        try directory.create()
        let database = try Self.openWritable(path: path)
        directory.secureDatabaseFiles()
        self.init(database: database, readOnlyReason: nil, path: path, limits: limits,
                  doorbell: AgentDoorbell(runtime: RuntimeDirectory.resolve(for: directory)))
    }

    public convenience init(path: String, limits: Limits = Limits(), clock: @escaping @Sendable () -> Date = { Date() },
                            doorbell: AgentDoorbell? = nil) throws {
        try self.init(database: Self.openWritable(path: path), readOnlyReason: nil, path: path, limits: limits, clock: clock, doorbell: doorbell)
    }

    init(database: any DatabaseWriter, readOnlyReason: String?, path: String, limits: Limits,
         clock: @escaping @Sendable () -> Date = { Date() }, doorbell: AgentDoorbell? = nil) {
        self.database = database
        self.readOnlyReason = readOnlyReason
        self.path = path
        self.limits = limits
        self.clock = clock
        self.doorbell = readOnlyReason == nil ? doorbell : nil
    }

    static func openWritable(path: String) throws -> any DatabaseWriter {
        var configuration = Configuration()
        // Writers of other processes hold the lock for milliseconds; wait rather than fail.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL survives any process crash; only an OS crash may lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Most LaunchDeck processes are one command long. The last connection to close checkpoints the WAL and,
            // with the size limit below, empties it; GRDB then opens the next process's pool with a tiny write so
            // the WAL is not empty. That write measured 0.1-0.4 ms of a 10 ms command; keeping the WAL whole at close
            // instead made each next opener rebuild the WAL index from all of it and copy it into the database again,
            // for no gain (2026-11-28). Persisting it spares deleting and re-creating the file.
            var persist: Int32 = 1
            _ = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
            // A kept WAL would otherwise keep the size of its largest burst (100,000 enqueues: ~40 MB) for good.
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try FileLock.withLock(at: path + ".migrate.lock") {
                try SQLiteSchema.migrator.migrate(pool)
            }
            return pool
        } catch let error as DatabaseError {
            throw Self.storageError(error, path: path, opening: true)
        }
    }

    /// Read-only access for a data directory that cannot be written. Where SQLite cannot create the WAL index it
    /// needs (a read-only mount), the file is opened `immutable`, which is safe because nothing can change it there.
    static func openReadOnly(path: String, reason: String, immutable: Bool) throws -> any DatabaseWriter {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
        do {
            let queue = try DatabaseQueue(path: "file:\(encoded)?\(immutable ? "immutable=1" : "mode=ro")", configuration: configuration)
            guard try queue.read({ db in try SQLiteSchema.migrator.hasCompletedMigrations(db) }) else {
                throw LaunchError.storage("\(reason): the database needs an upgrade by this version, which cannot be written")
            }
            return queue
        } catch let error as DatabaseError {
            throw LaunchError.storage("\(reason), and the database cannot be opened read-only: \(error.message ?? error.description)")
        }
    }

    /// Runs `body` in one IMMEDIATE transaction, with the value of this write's change counter.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database, Int64) throws -> T) async throws -> T {
        if let readOnlyReason { throw LaunchError.readOnly("\(readOnlyReason): nothing was changed") }
        let clock = self.clock
        let stalls = self.stalls
        do {
            return try await database.writeWithoutTransaction { db in
                var result: T?
                let asked = ContinuousClock.now
                try db.inTransaction(.immediate) {
                    let seq = try Int64.fetchOne(db.cachedStatement(sql: "UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq")) ?? 0
                    if stalls.stalled(waited: ContinuousClock.now - asked) {
                        try Self.noteStall(db, now: clock())
                    }
                    result = try body(db, seq)
                    return .commit
                }
                return result!
            }
        } catch let error as DatabaseError {
            if [.SQLITE_FULL, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR].contains(error.resultCode) { stalls.failed() }
            throw Self.storageError(error, path: path)
        }
    }

    /// The store was stalled (this process waited long for the write lock, or its writes failed for a while): leases
    /// whose agents could not heartbeat meanwhile ran out without those agents being dead. No lease is reclaimed for
    /// `StallWatch.reclaimPause` from now, long enough for every live agent's next heartbeat (at most 10 s apart) to
    /// get through. This only delays taking items over; it never lets two attempts overlap, which the agents' guards
    /// prevent by their own clocks (LeaseFence).
    static func noteStall(_ db: Database, now: Date) throws {
        try db.execute(sql: "UPDATE store_health SET reclaim_paused_until = MAX(reclaim_paused_until, ?) WHERE id = 1",
                       arguments: [now.addingTimeInterval(StallWatch.reclaimPause).timeIntervalSince1970])
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch let error as DatabaseError {
            throw Self.storageError(error, path: path)
        }
    }

    /// SQLite's result codes in the contract's kinds: what may pass (a full disk, a lock held past the busy timeout,
    /// an I/O error) is `unavailable`, so that agents try again; a damaged or unreadable file is not.
    static func storageError(_ error: DatabaseError, path: String, opening: Bool = false) -> LaunchError {
        switch error.resultCode {
        case .SQLITE_FULL: .unavailable("disk full: cannot write \(path); nothing was changed")
        case .SQLITE_BUSY, .SQLITE_LOCKED: .unavailable("database \(path) is locked by another process; nothing was changed")
        case .SQLITE_IOERR where !opening: .unavailable("database \(path): I/O error (\(error.message ?? error.description)); nothing was changed")
        case .SQLITE_READONLY: .readOnly("database \(path) is read-only; nothing was changed")
        default: .storage("\(opening ? "cannot open database" : "database") \(path): \(error.message ?? error.description)")
        }
    }

    var now: Date { clock() }

    /// Holds the write lock for `seconds` (then commits nothing), as another process stuck mid-write would: for tests
    /// of a stalled store. `locked` runs once the lock is held.
    public func holdWriteLock(for seconds: Double, locked: @escaping @Sendable () -> Void) async throws {
        try await database.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            locked()
            Thread.sleep(forTimeInterval: seconds)
            try db.execute(sql: "ROLLBACK")
        }
    }

    /// SQLite's own check of the file: `ok` when nothing is damaged.
    public func integrityCheck() async throws -> String {
        try await read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }
}

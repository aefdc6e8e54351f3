import Foundation

/// A table `launchdeck migrate` copies from one backend's store into another's, as data: every backend keeps these
/// tables with these columns (the embedded store's SQLite schema and PostgreSQL's were made alike for this), so a
/// copy moves rows as they are: ids, positions (FIFO order), attempts, leases, timestamps and log sequence numbers
/// stay what they were, and nothing is decided again on the way.
public struct StoreTable: Sendable, Hashable {
    /// How a column's values are kept: SQLite keeps times as seconds since 1970 and flags as 0/1; PostgreSQL keeps
    /// `timestamptz` (microseconds) and `boolean`.
    public enum Kind: Sendable, Hashable { case text, integer, time, flag }

    public struct Column: Sendable, Hashable {
        public var name: String
        public var kind: Kind
    }

    public var name: String
    public var columns: [Column]
    /// An integer column that orders the rows and pages through them (a big table: items, log lines); nil reads
    /// the table whole. It is the table's generated key too (an identity in PostgreSQL), copied as it was.
    public var pagingColumn: String?

    init(_ name: String, pagedBy pagingColumn: String? = nil, _ columns: [(String, Kind)]) {
        self.name = name
        self.pagingColumn = pagingColumn
        self.columns = columns.map { Column(name: $0.0, kind: $0.1) }
    }

    /// In an order that satisfies the foreign keys (an item names its queue).
    public static let all: [StoreTable] = [
        StoreTable("jobs", [("name", .text), ("version", .integer), ("spec", .text), ("digest", .text), ("created_at", .time)]),
        StoreTable("queues", [("name", .text), ("target", .text), ("config_text", .text), ("config_version", .integer),
                              ("created_at", .time), ("paused", .flag)]),
        StoreTable("items", pagedBy: "position", [
            ("position", .integer), ("id", .text), ("queue", .text), ("job_name", .text), ("job_version", .integer),
            ("overrides", .text), ("priority", .integer), ("state", .text), ("attempts", .integer), ("max_attempts", .integer),
            ("agent_id", .text), ("lease_expires_at", .time), ("enqueued_at", .time), ("leased_at", .time), ("building_at", .time),
            ("running_at", .time), ("finished_at", .time), ("updated_at", .time), ("exit_code", .integer), ("error", .text),
            ("relaunch_of", .text), ("reclaimed_from", .text), ("progress", .text), ("log_count", .integer),
            ("log_dropped", .integer), ("idempotency_key", .text),
        ]),
        StoreTable("item_logs", pagedBy: "id", [("id", .integer), ("item_id", .text), ("stream", .text), ("at", .time), ("line", .text)]),
        StoreTable("agents", [("id", .text), ("name", .text), ("host", .text), ("queues", .text), ("max_jobs", .integer),
                              ("state", .text), ("version", .text), ("started_at", .time), ("last_heartbeat", .time),
                              ("environment", .text), ("stop_requested", .flag)]),
        StoreTable("api_tokens", [("id", .text), ("secret_hash", .text), ("name", .text), ("role", .text), ("queues", .text),
                                  ("created_at", .time), ("expires_at", .time), ("revoked_at", .time)]),
    ]
}

/// One value of a copied row, in the kind of its column.
public enum StoreValue: Sendable, Hashable {
    case null
    case text(String)
    case integer(Int64)
    case time(Date)
    case flag(Bool)
}

/// A store a copy reads from: one consistent snapshot, however many pages are read.
public protocol StoreRowSource: Sendable {
    /// Up to `limit` rows of `table` in its paging order, after the row whose paging column is `after` (nil: from
    /// the start); a table read whole ignores both. Values are in the order of `table.columns`.
    func rows(of table: StoreTable, after: Int64?, limit: Int) async throws -> [[StoreValue]]
}

/// A store a copy writes into, empty before it.
public protocol StoreRowSink: Sendable {
    /// Copies every table of `source` in one transaction: on any error nothing is kept. Refuses a store that holds
    /// anything already. Returns the rows copied per table.
    func copy(from source: any StoreRowSource, pageSize: Int) async throws -> [String: Int]
}

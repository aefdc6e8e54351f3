import GRDB

/// The items table's columns in the order every item query selects them (`ItemColumn.selection`), so a row is
/// read by position. Read by name, GRDB lowercases the name at each lookup, and for rows fetched into an array
/// every column name before it too: that was a seventh of `launchdeck items`' time, and it runs for each of the
/// 100,000 rows a dashboard loads.
enum ItemColumn: Int, CaseIterable {
    case id, queue, jobName, jobVersion, overrides, priority, state, attempts, maxAttempts, agentID, leaseExpiresAt
    case enqueuedAt, leasedAt, buildingAt, runningAt, finishedAt, updatedAt, exitCode, error, relaunchOf, progress
    case logDropped, position

    var name: String {
        switch self {
        case .id: "id"
        case .queue: "queue"
        case .jobName: "job_name"
        case .jobVersion: "job_version"
        case .overrides: "overrides"
        case .priority: "priority"
        case .state: "state"
        case .attempts: "attempts"
        case .maxAttempts: "max_attempts"
        case .agentID: "agent_id"
        case .leaseExpiresAt: "lease_expires_at"
        case .enqueuedAt: "enqueued_at"
        case .leasedAt: "leased_at"
        case .buildingAt: "building_at"
        case .runningAt: "running_at"
        case .finishedAt: "finished_at"
        case .updatedAt: "updated_at"
        case .exitCode: "exit_code"
        case .error: "error"
        case .relaunchOf: "relaunch_of"
        case .progress: "progress"
        case .logDropped: "log_dropped"
        case .position: "position"
        }
    }

    /// The select list, `id, queue, ...`, for `SELECT \(ItemColumn.selection) FROM items`.
    static let selection = allCases.map(\.name).joined(separator: ", ")

    /// The same and what only the lifecycle rules read (`StoredItem`), for reports.
    static let storedSelection = selection + ", reclaimed_from"
}

extension Row {
    /// The value of an item column (optional where the column may be NULL); the row must come from a query
    /// selecting `ItemColumn.selection`.
    subscript<Value: DatabaseValueConvertible>(_ column: ItemColumn) -> Value {
        self[column.rawValue]
    }

    /// The same, read straight from SQLite where the type allows (GRDB's fast path for Int, Double, String...).
    subscript<Value: DatabaseValueConvertible & StatementColumnConvertible>(_ column: ItemColumn) -> Value {
        self[column.rawValue]
    }
}

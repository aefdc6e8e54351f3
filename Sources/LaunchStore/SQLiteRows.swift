import Foundation
import GRDB
import LaunchAPI
import LaunchModel

/// Conversions between database rows and domain values; JSON columns as every backend writes them (`RecordJSON`).
enum SQLiteRows {
    static func json<T: Encodable>(_ value: T) throws -> String {
        try RecordJSON.text(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try RecordJSON.decode(type, text)
    }

    static func date(_ row: Row, _ column: String) -> Date? {
        (row[column] as Double?).map { Date(timeIntervalSince1970: $0) }
    }

    static func date(_ row: Row, _ column: ItemColumn) -> Date? {
        (row[column] as Double?).map { Date(timeIntervalSince1970: $0) }
    }

    static func overrides(_ text: String) throws -> ItemOverrides {
        try RecordJSON.overrides(text)
    }

    /// An item from a row of `SELECT \(ItemColumn.selection) FROM items`.
    static func item(_ row: Row) throws -> LaunchItem {
        assert(row.columnNames.starts(with: ItemColumn.allCases.map(\.name)), "an item query must select ItemColumn.selection")
        let stateText: String = row[.state]
        let rank: Int = row[.priority]
        let progressText: String? = row[.progress]
        return LaunchItem(
            id: row[.id], queue: row[.queue], jobName: row[.jobName], jobVersion: row[.jobVersion],
            overrides: try overrides(row[.overrides]),
            priority: Priority(rank: rank) ?? .normal,
            state: ItemState(rawValue: stateText) ?? .failed,
            attempts: row[.attempts], maxAttempts: row[.maxAttempts],
            agentID: row[.agentID], leaseExpiresAt: date(row, .leaseExpiresAt),
            timestamps: ItemTimestamps(
                enqueued: date(row, .enqueuedAt) ?? Date(timeIntervalSince1970: 0),
                leased: date(row, .leasedAt), building: date(row, .buildingAt), running: date(row, .runningAt),
                finished: date(row, .finishedAt), updated: date(row, .updatedAt)),
            exitCode: row[.exitCode], error: row[.error], relaunchOf: row[.relaunchOf],
            progress: try progressText.map { try decode(ItemProgress.self, $0) },
            droppedLogLines: row[.logDropped])
    }

    /// An item with what only the lifecycle rules read, from `SELECT \(ItemColumn.storedSelection) FROM items`.
    static func storedItem(_ row: Row) throws -> StoredItem {
        StoredItem(try item(row), reclaimedFrom: row[ItemColumn.allCases.count])
    }

    static func job(_ row: Row) throws -> JobVersion {
        JobVersion(name: row["name"], version: row["version"], spec: try decode(JobSpec.self, row["spec"]), digest: row["digest"],
                   createdAt: date(row, "created_at") ?? Date(timeIntervalSince1970: 0))
    }

    static func queue(_ row: Row) throws -> Queue {
        let targetText: String = row["target"]
        guard let target = TargetKind(rawValue: targetText) else {
            throw LaunchError.storage("queue \(row["name"] as String): unknown target \(targetText) in the database")
        }
        let text: String = row["config_text"]
        return Queue(name: row["name"], target: target, config: QueueConfig.stored(text, target: target),
                     createdAt: date(row, "created_at") ?? Date(timeIntervalSince1970: 0), paused: row["paused"],
                     configVersion: row["config_version"])
    }

    static func agent(_ row: Row) throws -> Agent {
        let stateText: String = row["state"]
        return Agent(
            id: row["id"], name: row["name"], host: row["host"], queues: try decode([String].self, row["queues"]),
            maxJobs: row["max_jobs"], state: AgentState(rawValue: stateText) ?? .idle, version: row["version"],
            startedAt: date(row, "started_at") ?? Date(timeIntervalSince1970: 0),
            lastHeartbeat: date(row, "last_heartbeat") ?? Date(timeIntervalSince1970: 0),
            environment: try decode(AgentEnvironment.self, row["environment"]))
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

/// Conversions between PostgreSQL rows and domain values; JSON columns as every backend writes them (`RecordJSON`).
enum PostgresRows {
    /// The items table's columns as every item query selects them (from `items i`), in the order `item` reads them.
    static let itemSelection = """
        i.id, i.queue, i.job_name, i.job_version, i.overrides, i.priority, i.state, i.attempts, i.max_attempts, i.agent_id, \
        i.lease_expires_at, i.enqueued_at, i.leased_at, i.building_at, i.running_at, i.finished_at, i.updated_at, \
        i.exit_code, i.error, i.relaunch_of, i.progress, i.log_dropped, i.reclaimed_from
        """

    /// PostgreSQL keeps microseconds, and postgres-nio truncates toward them: the date a write should use so that it
    /// returns what a later read gives back.
    static func storable(_ date: Date) -> Date {
        let start = Date(timeIntervalSince1970: 946_684_800)
        let microseconds = Int64(date.timeIntervalSince(start) * 1_000_000)
        return Date(timeInterval: Double(microseconds) / 1_000_000, since: start)
    }

    /// An item and what only the lifecycle rules read, from a row of `SELECT \(itemSelection) FROM items i`.
    static func storedItem(_ row: PostgresRow) throws -> StoredItem {
        let (id, queue, jobName, jobVersion, overrides, rank, stateText, attempts, maxAttempts, agentID,
             leaseExpiresAt, enqueued, leased, building, running, finished, updated,
             exitCode, error, relaunchOf, progressText, logDropped, reclaimedFrom) = try row.decode(
            (String, String, String, Int, String, Int, String, Int, Int, String?,
             Date?, Date, Date?, Date?, Date?, Date?, Date,
             Int?, String?, String?, String?, Int, String?).self)
        let item = LaunchItem(
            id: id, queue: queue, jobName: jobName, jobVersion: jobVersion,
            overrides: try RecordJSON.overrides(overrides),
            priority: Priority(rank: rank) ?? .normal,
            state: ItemState(rawValue: stateText) ?? .failed,
            attempts: attempts, maxAttempts: maxAttempts, agentID: agentID, leaseExpiresAt: leaseExpiresAt,
            timestamps: ItemTimestamps(enqueued: enqueued, leased: leased, building: building, running: running,
                                       finished: finished, updated: updated),
            exitCode: exitCode, error: error, relaunchOf: relaunchOf,
            progress: try progressText.map { try RecordJSON.decode(ItemProgress.self, $0) },
            droppedLogLines: logDropped)
        return StoredItem(item, reclaimedFrom: reclaimedFrom)
    }

    static func item(_ row: PostgresRow) throws -> LaunchItem {
        try storedItem(row).item
    }

    static func items(_ rows: PostgresRowSequence) async throws -> [LaunchItem] {
        var items: [LaunchItem] = []
        for try await row in rows { items.append(try item(row)) }
        return items
    }

    static let jobSelection = "name, version, spec, digest, created_at"

    static func job(_ row: PostgresRow) throws -> JobVersion {
        let (name, version, spec, digest, createdAt) = try row.decode((String, Int, String, String, Date).self)
        return JobVersion(name: name, version: version, spec: try RecordJSON.decode(JobSpec.self, spec), digest: digest, createdAt: createdAt)
    }

    static let queueSelection = "name, target, config_text, created_at, paused, config_version"

    static func queue(_ row: PostgresRow) throws -> Queue {
        let (name, targetText, text, createdAt, paused, configVersion) = try row.decode((String, String, String, Date, Bool, Int).self)
        guard let target = TargetKind(rawValue: targetText) else {
            throw LaunchError.storage("queue \(name): unknown target \(targetText) in the database")
        }
        return Queue(name: name, target: target, config: QueueConfig.stored(text, target: target), createdAt: createdAt,
                     paused: paused, configVersion: configVersion)
    }

    static let agentSelection = "id, name, host, queues, max_jobs, state, version, started_at, last_heartbeat, environment"

    static func agent(_ row: PostgresRow) throws -> Agent {
        let (id, name, host, queues, maxJobs, stateText, version, startedAt, lastHeartbeat, environment) = try row.decode(
            (String, String, String, String, Int, String, String, Date, Date, String).self)
        return Agent(id: id, name: name, host: host, queues: try RecordJSON.decode([String].self, queues), maxJobs: maxJobs,
                     state: AgentState(rawValue: stateText) ?? .idle, version: version, startedAt: startedAt,
                     lastHeartbeat: lastHeartbeat, environment: try RecordJSON.decode(AgentEnvironment.self, environment))
    }

    static let tokenSelection = "id, name, role, queues, created_at, expires_at, revoked_at, secret_hash"

    static func token(_ row: PostgresRow) throws -> (token: APIToken, secretHash: String) {
        let (id, name, roleText, queues, createdAt, expiresAt, revokedAt, secretHash) = try row.decode(
            (String, String, String, String?, Date, Date?, Date?, String).self)
        guard let role = APIRole(rawValue: roleText) else { throw LaunchError.storage("token \(id): unknown role \(roleText) in the database") }
        let token = APIToken(id: id, name: name, role: role, queues: try queues.map { try RecordJSON.decode([String].self, $0) },
                             createdAt: createdAt, expiresAt: expiresAt, revokedAt: revokedAt)
        return (token, secretHash)
    }
}

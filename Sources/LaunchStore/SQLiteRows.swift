import Foundation
import GRDB
import LaunchModel
import Synchronization

/// Conversions between database rows and domain values; JSON columns use one encoder setup.
enum SQLiteRows {
    /// Queue configurations are read far more often than they change (an agent reads its queue for every item, a
    /// dashboard with every poll), and parsing YAML is the dear part: the parsed value is kept per text.
    struct ParsedConfigKey: Hashable { let text: String; let target: TargetKind }
    static let parsedConfigs = Mutex<[ParsedConfigKey: QueueConfig]>([:])

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    static func date(_ row: Row, _ column: String) -> Date? {
        (row[column] as Double?).map { Date(timeIntervalSince1970: $0) }
    }

    static func item(_ row: Row) throws -> LaunchItem {
        let stateText: String = row["state"]
        let rank: Int = row["priority"]
        let progressText: String? = row["progress"]
        return LaunchItem(
            id: row["id"], queue: row["queue"], jobName: row["job_name"], jobVersion: row["job_version"],
            overrides: try decode(ItemOverrides.self, row["overrides"]),
            priority: Priority(rank: rank) ?? .normal,
            state: ItemState(rawValue: stateText) ?? .failed,
            attempts: row["attempts"], maxAttempts: row["max_attempts"],
            agentID: row["agent_id"], leaseExpiresAt: date(row, "lease_expires_at"),
            timestamps: ItemTimestamps(
                enqueued: date(row, "enqueued_at") ?? Date(timeIntervalSince1970: 0),
                leased: date(row, "leased_at"), building: date(row, "building_at"), running: date(row, "running_at"),
                finished: date(row, "finished_at"), updated: date(row, "updated_at")),
            exitCode: row["exit_code"], error: row["error"], relaunchOf: row["relaunch_of"],
            progress: try progressText.map { try decode(ItemProgress.self, $0) },
            droppedLogLines: row["log_dropped"])
    }

    static func job(_ row: Row) throws -> JobVersion {
        var version = JobVersion(name: row["name"], version: row["version"], spec: try decode(JobSpec.self, row["spec"]),
                                 createdAt: date(row, "created_at") ?? Date(timeIntervalSince1970: 0))
        version.digest = row["digest"]
        return version
    }

    static func queue(_ row: Row) throws -> Queue {
        let targetText: String = row["target"]
        guard let target = TargetKind(rawValue: targetText) else {
            throw StoreError.storage("queue \(row["name"] as String): unknown target \(targetText) in the database")
        }
        let text: String = row["config_text"]
        let config = parsedConfigs.withLock { $0[ParsedConfigKey(text: text, target: target)] } ?? {
            let config: QueueConfig
            do {
                config = try QueueConfig.parse(text, target: target)
            } catch {
                // A config stored by an older release that this one rejects: keep the text, so the user can fix it.
                config = QueueConfig(text: text, value: .object([:]), variables: [], maxAttempts: 3)
            }
            parsedConfigs.withLock { cache in
                if cache.count >= 256 { cache.removeAll() }
                cache[ParsedConfigKey(text: text, target: target)] = config
            }
            return config
        }()
        return Queue(name: row["name"], target: target, config: config,
                     createdAt: date(row, "created_at") ?? Date(timeIntervalSince1970: 0), paused: row["paused"])
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

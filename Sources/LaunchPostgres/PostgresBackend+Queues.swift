import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

extension PostgresBackend {
    public func createQueue(name: String, target: TargetKind, config: QueueConfig) async throws -> Queue {
        try Names.validateQueueName(name)
        let queue = Queue(name: name, target: target, config: config, createdAt: now)
        try await write { connection in
            let inserted = try await connection.query("""
                INSERT INTO queues (name, target, config_text, created_at) VALUES (\(name), \(target.rawValue), \(config.text), \(queue.createdAt))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """, logger: self.logger).collect(Int.self)
            if inserted.isEmpty { throw LaunchError.conflict("queue \"\(name)\" already exists") }
        }
        return queue
    }

    public func queues() async throws -> [Queue] {
        try await read { connection in
            var queues: [Queue] = []
            for try await row in try await connection.query("SELECT \(unescaped: PostgresRows.queueSelection) FROM queues ORDER BY name",
                                                            logger: self.logger) {
                queues.append(try PostgresRows.queue(row))
            }
            return queues
        }
    }

    public func queue(named name: String) async throws -> Queue {
        try await read { connection in try await Self.queue(named: name, connection, logger: self.logger) }
    }

    /// `locking`: FOR UPDATE, for a read-modify-write of the row (a config edit's compare and swap).
    static func queue(named name: String, locking: Bool = false, _ connection: PostgresConnection, logger: Logger) async throws -> Queue {
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresRows.queueSelection) FROM queues WHERE name = \(name) \(unescaped: locking ? "FOR UPDATE" : "")
            """, logger: logger) {
            return try PostgresRows.queue(row)
        }
        throw LaunchError.notFound("queue \"\(name.escapedForMessage)\" not found")
    }

    public func queueDepths() async throws -> [String: QueueDepth] {
        try await read { connection in
            var depths: [String: QueueDepth] = [:]
            for try await (queue, stateText, count) in try await connection.query(
                "SELECT queue, state, COUNT(*) FROM items GROUP BY queue, state", logger: self.logger).decode((String, String, Int).self) {
                guard let state = ItemState(rawValue: stateText) else { continue }
                depths[queue, default: QueueDepth()].counts[state] = count
            }
            return depths
        }
    }

    public func updateQueueConfig(name: String, config: QueueConfig, expectedVersion: Int?) async throws -> Queue {
        try await write { connection in
            var queue = try await Self.queue(named: name, locking: true, connection, logger: self.logger)
            if let expectedVersion, expectedVersion != queue.configVersion {
                throw LaunchError.conflict("queue \(name): its configuration was changed by someone else since version \(expectedVersion) (it is at version \(queue.configVersion) now)")
            }
            // The config must be valid for the queue's own target, whatever the caller checked it against.
            queue.config = try QueueConfig.parse(config.text, target: queue.target)
            queue.configVersion += 1
            try await connection.query("UPDATE queues SET config_text = \(config.text), config_version = \(queue.configVersion) WHERE name = \(name)",
                                       logger: self.logger)
            return queue
        }
    }

    public func setQueuePaused(name: String, paused: Bool) async throws -> Queue {
        try await write { connection in
            var queue = try await Self.queue(named: name, locking: true, connection, logger: self.logger)
            queue.paused = paused
            try await connection.query("UPDATE queues SET paused = \(paused) WHERE name = \(name)", logger: self.logger)
            return queue
        }
    }
}

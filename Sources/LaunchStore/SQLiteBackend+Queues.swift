import Foundation
import GRDB
import LaunchModel

extension SQLiteBackend {
    public func createQueue(name: String, target: TargetKind, config: QueueConfig) async throws -> Queue {
        try Names.validateQueueName(name)
        let queue = Queue(name: name, target: target, config: config, createdAt: now)
        try await write { db, seq in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM queues WHERE name = ?)", arguments: [name]) == true {
                throw LaunchError.conflict("queue \"\(name)\" already exists")
            }
            try db.execute(sql: "INSERT INTO queues (name, target, config_text, created_at, paused, changed_seq) VALUES (?, ?, ?, ?, 0, ?)",
                           arguments: [name, target.rawValue, config.text, queue.createdAt.timeIntervalSince1970, seq])
        }
        return queue
    }

    public func queues() async throws -> [Queue] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM queues ORDER BY name").map(SQLiteRows.queue) }
    }

    public func queue(named name: String) async throws -> Queue {
        try await read { db in try Self.queue(named: name, db) }
    }

    static func queue(named name: String, _ db: Database) throws -> Queue {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM queues WHERE name = ?"), arguments: [name]) else {
            throw LaunchError.notFound("queue \"\(name.escapedForMessage)\" not found")
        }
        return try SQLiteRows.queue(row)
    }

    public func queueDepths() async throws -> [String: QueueDepth] {
        try await read { db in
            var depths: [String: QueueDepth] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT queue, state, COUNT(*) AS count FROM items GROUP BY queue, state") {
                let queue: String = row["queue"]
                let stateText: String = row["state"]
                guard let state = ItemState(rawValue: stateText) else { continue }
                depths[queue, default: QueueDepth()].counts[state] = row["count"]
            }
            return depths
        }
    }

    public func updateQueueConfig(name: String, config: QueueConfig, expectedVersion: Int?) async throws -> Queue {
        try await write { db, seq in
            var queue = try Self.queue(named: name, db)
            if let expectedVersion, expectedVersion != queue.configVersion {
                throw LaunchError.conflict("queue \(name): its configuration was changed by someone else since version \(expectedVersion) (it is at version \(queue.configVersion) now)")
            }
            // The config must be valid for the queue's own target, whatever the caller checked it against.
            queue.config = try QueueConfig.parse(config.text, target: queue.target)
            queue.configVersion += 1
            try db.execute(sql: "UPDATE queues SET config_text = ?, config_version = ?, changed_seq = ? WHERE name = ?",
                           arguments: [config.text, queue.configVersion, seq, name])
            return queue
        }
    }

    public func setQueuePaused(name: String, paused: Bool) async throws -> Queue {
        try await write { db, seq in
            var queue = try Self.queue(named: name, db)
            queue.paused = paused
            try db.execute(sql: "UPDATE queues SET paused = ?, changed_seq = ? WHERE name = ?", arguments: [paused, seq, name])
            return queue
        }
    }
}

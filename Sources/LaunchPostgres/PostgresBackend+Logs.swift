import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

extension PostgresBackend {
    public func logs(itemID: String, tail: Int?) async throws -> [LogLine] {
        try await readLogs(itemID: itemID, after: 0, tail: tail)
    }

    public func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine] {
        try await readLogs(itemID: itemID, after: sequence, tail: tail)
    }

    private func readLogs(itemID: String, after sequence: Int64, tail: Int?) async throws -> [LogLine] {
        let prefix = try ItemID.validatePrefix(itemID)
        return try await read { connection in
            let item = try await Self.item(prefix: prefix, connection, logger: self.logger)
            let query: PostgresQuery = if let tail {
                "SELECT * FROM (SELECT id, stream, at, line FROM item_logs WHERE item_id = \(item.id) AND id > \(sequence) ORDER BY id DESC LIMIT \(tail)) newest ORDER BY id"
            } else {
                "SELECT id, stream, at, line FROM item_logs WHERE item_id = \(item.id) AND id > \(sequence) ORDER BY id"
            }
            var lines: [LogLine] = []
            for try await (id, stream, at, text) in try await connection.query(query, logger: self.logger).decode((Int64, String, Date, String).self) {
                lines.append(LogLine(stream: LogStream(rawValue: stream) ?? .stdout, at: at, text: text, sequence: id))
            }
            return lines
        }
    }

    public func appendLog(_ attempt: ItemAttempt, stream: LogStream, lines: [String]) async throws {
        guard !lines.isEmpty else { return }
        let now = self.now
        let limits = self.limits
        try await write { connection in
            // The item's row locked first: appends of one item are serialised, so its count stays true.
            var found: (Int, Int, String?, String?)?
            for try await row in try await connection.query("""
                SELECT log_count, attempts, agent_id, reclaimed_from FROM items WHERE id = \(attempt.item) FOR UPDATE
                """, logger: self.logger).decode((Int, Int, String?, String?).self) {
                found = row
            }
            guard let (count, attempts, agent, reclaimedFrom) = found else { throw LaunchError.notFound("item \(attempt.item) not found") }
            guard ItemLifecycle.acceptsOutput(attempts: attempts, agent: agent, reclaimedFrom: reclaimedFrom, from: attempt) else {
                throw LaunchError.conflict("\(attempt) is no longer current: the item is at attempt \(attempts)")
            }
            // Only the newest `cap` lines of a batch can survive; skip writing the rest.
            let kept = lines.suffix(limits.logLinesPerItem).map { LogLineLimit.cut($0, maxBytes: limits.logLineBytes) }
            let skipped = lines.count - kept.count
            try await connection.query("""
                INSERT INTO item_logs (item_id, stream, at, line)
                SELECT \(attempt.item), \(stream.rawValue), \(now), line FROM unnest(\(Array(kept))) WITH ORDINALITY AS batch (line, ordinal) ORDER BY ordinal
                """, logger: self.logger)
            let excess = max(0, count + kept.count - limits.logLinesPerItem)
            let dropped = excess > 0
                ? try await Self.trimLogs(item: attempt.item, excess: excess, keepingPerStream: limits.logLinesPerStream, connection, logger: self.logger)
                : 0
            try await connection.query("""
                UPDATE items SET log_count = \(count + kept.count - dropped), log_dropped = log_dropped + \(dropped + skipped), updated_at = \(now)
                WHERE id = \(attempt.item)
                """, logger: self.logger)
        }
        announcements.announce(.change)
    }

    /// As the embedded store trims (`SQLiteBackend.trimLogs`): up to `excess` lines go, the oldest of the streams whose
    /// oldest lines are oldest, never a stream's newest `keepingPerStream`, never the agent stream's. Returns how many.
    static func trimLogs(item: String, excess: Int, keepingPerStream floor: Int, _ connection: PostgresConnection, logger: Logger) async throws -> Int {
        var streams: [(stream: String, count: Int, oldest: Int64)] = []
        for try await row in try await connection.query("""
            SELECT stream, COUNT(*), MIN(id) FROM item_logs WHERE item_id = \(item) AND stream <> 'agent' GROUP BY stream
            """, logger: logger).decode((String, Int, Int64).self) {
            streams.append(row)
        }
        var left = excess
        for stream in streams.sorted(by: { $0.oldest < $1.oldest }) where left > 0 {
            let take = min(left, max(0, stream.count - floor))
            guard take > 0 else { continue }
            left -= try await deleteOldest(item: item, stream: stream.stream, count: take, connection, logger: logger)
        }
        if left > 0 {
            // Every stream at its floor (more streams than the cap allows for): the oldest output goes.
            left -= try await deleteOldest(item: item, stream: nil, count: left, connection, logger: logger)
        }
        return excess - left
    }

    private static func deleteOldest(item: String, stream: String?, count: Int, _ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let query: PostgresQuery = if let stream {
            """
            DELETE FROM item_logs WHERE id IN (SELECT id FROM item_logs WHERE item_id = \(item) AND stream = \(stream) ORDER BY id LIMIT \(count))
            RETURNING 1
            """
        } else {
            """
            DELETE FROM item_logs WHERE id IN (SELECT id FROM item_logs WHERE item_id = \(item) AND stream <> 'agent' ORDER BY id LIMIT \(count))
            RETURNING 1
            """
        }
        return try await connection.query(query, logger: logger).collect(Int.self).count
    }

    public func reportProgress(_ attempt: ItemAttempt, phase: String, current: Double, total: Double?, message: String) async throws {
        let progress = try RecordJSON.text(ItemProgress(phase: phase, current: current, total: total, message: message))
        let now = self.now
        try await write { connection in
            let updated = try await connection.query("""
                UPDATE items SET progress = \(progress), updated_at = \(now)
                WHERE id = \(attempt.item) AND attempts = \(attempt.number) AND (agent_id = \(attempt.agent) OR reclaimed_from = \(attempt.agent))
                RETURNING 1
                """, logger: self.logger).collect(Int.self)
            if updated.isEmpty {
                _ = try await Self.storedItem(attempt.item, connection, logger: self.logger)
                throw LaunchError.conflict("\(attempt) is no longer current")
            }
        }
        announcements.announce(.change)
    }
}

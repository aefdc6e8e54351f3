import Foundation
import GRDB
import LaunchAPI
import LaunchModel

extension SQLiteBackend {
    public func enqueue(_ request: EnqueueRequest) async throws -> LaunchItem {
        try await enqueue(batch: [request])[0]
    }

    public func enqueue(batch requests: [EnqueueRequest]) async throws -> [LaunchItem] {
        let now = self.now
        defer { doorbell?.ring() }
        return try await write { db, seq in
            // A batch usually targets one queue and job: read and parse each once, and check each distinct set of
            // variables once, rather than per item.
            var queues: [String: Queue] = [:]
            var jobs: [JobReference: JobVersion] = [:]
            var checked: [String: [[String: String]: [String: JSONValue]]] = [:]
            return try requests.map { request in
                if let key = request.idempotencyKey, let earlier = try Self.item(idempotencyKey: key, db) { return earlier }
                let queue = try queues[request.queue] ?? Self.queue(named: request.queue, db)
                queues[queue.name] = queue
                let job = try jobs[request.job] ?? Self.resolveJob(request.job, db)
                jobs[request.job] = job
                let variables: [String: JSONValue]
                if let known = checked[queue.name]?[request.variables] {
                    variables = known
                } else {
                    variables = try ItemLifecycle.enqueueVariables(request.variables, on: queue)
                    checked[queue.name, default: [:]][request.variables] = variables
                }
                let relaunchOf = try request.relaunchOf.map { try Self.item(prefix: try ItemID.validatePrefix($0), db).id }
                let item = ItemLifecycle.enqueue(job: job, on: queue, hyperparameters: request.hyperparameters, variables: variables,
                                                 priority: request.priority, relaunchOf: relaunchOf, at: now)
                try Self.insert(item, db, seq: seq, idempotencyKey: request.idempotencyKey)
                return item
            }
        }
    }

    static func insert(_ item: LaunchItem, _ db: Database, seq: Int64, idempotencyKey: String? = nil) throws {
        try db.cachedStatement(sql: """
            INSERT INTO items (id, queue, job_name, job_version, overrides, priority, state, attempts, max_attempts,
                               enqueued_at, updated_at, relaunch_of, changed_seq, idempotency_key)
            VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [item.id, item.queue, item.jobName, item.jobVersion, try SQLiteRows.json(item.overrides),
                             item.priority.rank, item.maxAttempts, item.timestamps.enqueued.timeIntervalSince1970,
                             item.timestamps.enqueued.timeIntervalSince1970, item.relaunchOf, seq, idempotencyKey])
    }

    /// The item an earlier enqueue or relaunch with this key made, as it is now.
    static func item(idempotencyKey key: String, _ db: Database) throws -> LaunchItem? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(ItemColumn.selection) FROM items WHERE idempotency_key = ?"),
                         arguments: [key]).map(SQLiteRows.item)
    }

    public func items(_ filter: ItemFilter) async throws -> [LaunchItem] {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let queue = filter.queue {
                conditions.append("queue = ?")
                arguments += [queue]
            }
            if let states = filter.states, !states.isEmpty {
                conditions.append("state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
                for state in states.sorted(by: { $0.rawValue < $1.rawValue }) { arguments += [state.rawValue] }
            }
            if let agent = filter.agentID {
                conditions.append("agent_id = ?")
                arguments += [agent]
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            if let limit = filter.limit {
                // The newest `limit`: their positions first, sorted from the dispatch index alone, then only those
                // rows. Sorting whole rows cost 200 ms for a queue of 100,000 (the dashboard's first frame, `items
                // --limit`), this 30 ms; an index on (queue, position) would cost every enqueue 5-9%.
                arguments += [limit]
                return try Row.fetchAll(db, sql: """
                    SELECT \(ItemColumn.selection) FROM items
                    WHERE position IN (SELECT position FROM items \(whereClause) ORDER BY position DESC LIMIT ?) ORDER BY position
                    """, arguments: arguments).map(SQLiteRows.item)
            }
            return try Row.fetchAll(db, sql: "SELECT \(ItemColumn.selection) FROM items \(whereClause) ORDER BY position", arguments: arguments).map(SQLiteRows.item)
        }
    }

    public func item(id: String) async throws -> LaunchItem {
        let prefix = try ItemID.validatePrefix(id)
        return try await read { db in try Self.item(prefix: prefix, db) }
    }

    /// The item a user names by any unique prefix or suffix of its id (`ItemID.pick`).
    static func item(prefix reference: String, _ db: Database) throws -> LaunchItem {
        // ULIDs have no LIKE wildcards, and validatePrefix allowed only their alphabet. A prefix is an index range; a
        // suffix scans, which a command typed by hand can afford.
        let prefixed = try Row.fetchAll(db.cachedStatement(sql: "SELECT \(ItemColumn.selection) FROM items WHERE id >= ? AND id < ? ORDER BY id LIMIT 6"),
                                        arguments: [reference, reference + "\u{7f}"])
        if let exact = prefixed.first(where: { ($0[.id] as String) == reference }) { return try SQLiteRows.item(exact) }
        let suffixed = prefixed.isEmpty
            ? try Row.fetchAll(db.cachedStatement(sql: "SELECT \(ItemColumn.selection) FROM items WHERE id LIKE ? ORDER BY id LIMIT 6"),
                               arguments: ["%" + reference])
            : []
        let rows = prefixed.isEmpty ? suffixed : prefixed
        let id = try ItemID.pick(reference, prefixed: prefixed.map { $0[.id] }, suffixed: suffixed.map { $0[.id] })
        return try SQLiteRows.item(rows.first { ($0[.id] as String) == id }!)
    }

    public func cancel(itemID: String) async throws -> LaunchItem {
        let prefix = try ItemID.validatePrefix(itemID)
        let now = self.now
        return try await write { db, seq in
            let item = try ItemLifecycle.cancel(try Self.item(prefix: prefix, db), at: now)
            try Self.persist(StoredItem(item), db, seq: seq)
            return item
        }
    }

    public func relaunch(itemID: String, idempotencyKey: String?) async throws -> LaunchItem {
        let prefix = try ItemID.validatePrefix(itemID)
        let now = self.now
        defer { doorbell?.ring() }
        return try await write { db, seq in
            if let idempotencyKey, let earlier = try Self.item(idempotencyKey: idempotencyKey, db) { return earlier }
            let original = try Self.item(prefix: prefix, db)
            let item = try ItemLifecycle.relaunch(original, on: try Self.queue(named: original.queue, db), at: now)
            try Self.insert(item, db, seq: seq, idempotencyKey: idempotencyKey)
            return item
        }
    }

    public func relaunches(of itemID: String) async throws -> [LaunchItem] {
        let prefix = try ItemID.validatePrefix(itemID)
        return try await read { db in
            let item = try Self.item(prefix: prefix, db)
            return try Row.fetchAll(db.cachedStatement(sql: "SELECT \(ItemColumn.selection) FROM items WHERE relaunch_of = ? ORDER BY position"),
                                    arguments: [item.id]).map(SQLiteRows.item)
        }
    }

    public func logs(itemID: String, tail: Int?) async throws -> [LogLine] {
        try await readLogs(itemID: itemID, after: 0, tail: tail)
    }

    public func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine] {
        try await readLogs(itemID: itemID, after: sequence, tail: tail)
    }

    private func readLogs(itemID: String, after sequence: Int64, tail: Int?) async throws -> [LogLine] {
        let prefix = try ItemID.validatePrefix(itemID)
        return try await read { db in
            let item = try Self.item(prefix: prefix, db)
            let rows: [Row]
            if let tail {
                rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, stream, at, line FROM item_logs WHERE item_id = ? AND id > ? ORDER BY id DESC LIMIT ?"),
                                        arguments: [item.id, sequence, tail]).reversed()
            } else {
                rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, stream, at, line FROM item_logs WHERE item_id = ? AND id > ? ORDER BY id"),
                                        arguments: [item.id, sequence])
            }
            // By position (id, stream, at, line), as items are read (see ItemColumn): a follower reads thousands.
            return rows.map { row in
                let stream: String = row[1]
                let at: Double = row[2]
                return LogLine(stream: LogStream(rawValue: stream) ?? .stdout, at: Date(timeIntervalSince1970: at), text: row[3], sequence: row[0])
            }
        }
    }

    public func appendLog(_ attempt: ItemAttempt, stream: LogStream, lines: [String]) async throws {
        guard !lines.isEmpty else { return }
        let now = self.now
        let limits = self.limits
        try await write { db, seq in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT log_count, attempts, agent_id, reclaimed_from FROM items WHERE id = ?"),
                                             arguments: [attempt.item]) else {
                throw LaunchError.notFound("item \(attempt.item) not found")
            }
            try Self.requireCurrent(attempt, attempts: row[1], agent: row[2], reclaimedFrom: row[3])
            let count: Int = row[0]
            let item = attempt.item
            // Only the newest `cap` lines of a batch can survive; skip writing the rest.
            let kept = lines.suffix(limits.logLinesPerItem)
            let skipped = lines.count - kept.count
            let statement = try db.cachedStatement(sql: "INSERT INTO item_logs (item_id, stream, at, line) VALUES (?, ?, ?, ?)")
            for line in kept {
                try statement.execute(arguments: [item, stream.rawValue, now.timeIntervalSince1970, LogLineLimit.cut(line, maxBytes: limits.logLineBytes)])
            }
            let excess = max(0, count + kept.count - limits.logLinesPerItem)
            let dropped = excess > 0 ? try Self.trimLogs(item: item, excess: excess, keepingPerStream: limits.logLinesPerStream, db) : 0
            try db.cachedStatement(sql: """
                UPDATE items SET log_count = ?, log_dropped = log_dropped + ?, updated_at = ?, changed_seq = ? WHERE id = ?
                """).execute(arguments: [count + kept.count - dropped, dropped + skipped, now.timeIntervalSince1970, seq, item])
        }
    }

    /// Drops up to `excess` lines of an item, the oldest of the streams whose oldest lines are oldest, but never a
    /// stream's newest `keepingPerStream` (those stay whatever the others print), and never the agent stream's: a few
    /// lines an attempt, the attempt list `item describe` reads. Returns how many went.
    static func trimLogs(item: String, excess: Int, keepingPerStream floor: Int, _ db: Database) throws -> Int {
        var counts: [String: Int] = [:]
        var oldest: [String: Int64] = [:]
        for stream in LogStream.allCases.filter({ $0 != .agent }).map(\.rawValue) {
            counts[stream] = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM item_logs WHERE item_id = ? AND stream = ?"),
                                              arguments: [item, stream]) ?? 0
            oldest[stream] = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(id) FROM item_logs WHERE item_id = ? AND stream = ?"),
                                                arguments: [item, stream])
        }
        var left = excess
        // The stream whose oldest line is oldest gives first, down to its floor; then the next.
        for stream in counts.keys.filter({ oldest[$0] != nil }).sorted(by: { oldest[$0]! < oldest[$1]! }) where left > 0 {
            let take = min(left, max(0, counts[stream]! - floor))
            guard take > 0 else { continue }
            try db.cachedStatement(sql: """
                DELETE FROM item_logs WHERE id IN (SELECT id FROM item_logs WHERE item_id = ? AND stream = ? ORDER BY id LIMIT ?)
                """).execute(arguments: [item, stream, take])
            left -= db.changesCount
        }
        if left > 0 {
            // Every stream at its floor (more streams than the cap allows for): the oldest output goes, as before.
            try db.cachedStatement(sql: """
                DELETE FROM item_logs WHERE id IN (SELECT id FROM item_logs WHERE item_id = ? AND stream != 'agent' ORDER BY id LIMIT ?)
                """).execute(arguments: [item, left])
            left -= db.changesCount
        }
        return excess - left
    }

    /// Output of an attempt that is no longer current (a late batch after the item was taken over) is refused, as
    /// `ItemLifecycle.acceptsOutput` says, without reading the whole item.
    static func requireCurrent(_ attempt: ItemAttempt, attempts: Int, agent: String?, reclaimedFrom: String?) throws {
        guard ItemLifecycle.acceptsOutput(attempts: attempts, agent: agent, reclaimedFrom: reclaimedFrom, from: attempt) else {
            throw LaunchError.conflict("\(attempt) is no longer current: the item is at attempt \(attempts)")
        }
    }

    public func reportProgress(_ attempt: ItemAttempt, phase: String, current: Double, total: Double?, message: String) async throws {
        let progress = ItemProgress(phase: phase, current: current, total: total, message: message)
        let now = self.now
        try await write { db, seq in
            try db.cachedStatement(sql: """
                UPDATE items SET progress = ?, updated_at = ?, changed_seq = ?
                WHERE id = ? AND attempts = ? AND (agent_id = ? OR reclaimed_from = ?)
                """).execute(arguments: [try SQLiteRows.json(progress), now.timeIntervalSince1970, seq, attempt.item, attempt.number,
                                         attempt.agent, attempt.agent])
            if db.changesCount == 0 {
                _ = try Self.storedItem(attempt.item, db)
                throw LaunchError.conflict("\(attempt) is no longer current")
            }
        }
    }
}

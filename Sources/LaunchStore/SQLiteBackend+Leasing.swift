import Foundation
import GRDB
import LaunchAPI
import LaunchModel

extension SQLiteBackend {
    public func lease(agent: String, queues: [String], max: Int, leaseFor: TimeInterval) async throws -> [LaunchItem] {
        guard max > 0, !queues.isEmpty else { return [] }
        let now = self.now
        return try await write { db, seq in
            try Self.reclaimExpired(db, seq: seq, now: now)
            // Per queue, the index (queue, state, priority, position) yields its best `max` candidates in order;
            // merging those is cheap however long the queues are, unlike one ORDER BY over all of them.
            var candidates: [(rank: Int, position: Int64, row: Row)] = []
            for queue in Set(queues).sorted() {
                let rows = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT \(ItemColumn.selection) FROM items i
                    WHERE i.queue = ? AND i.state = 'queued'
                      AND NOT (SELECT paused FROM queues WHERE name = i.queue)
                    ORDER BY i.priority, i.position LIMIT ?
                    """), arguments: [queue, max])
                candidates += rows.map { (rank: $0[.priority], position: $0[.position], row: $0) }
            }
            let chosen = candidates.sorted { ($0.rank, $0.position) < ($1.rank, $1.position) }.prefix(max)
            return try chosen.map { candidate in
                let item = try ItemLifecycle.lease(try SQLiteRows.item(candidate.row), to: agent, at: now, for: leaseFor)
                try Self.persist(StoredItem(item), db, seq: seq, clearingProgress: true)
                return item
            }
        }
    }

    public func heartbeat(agent: String, attempts: [ItemAttempt], leaseFor: TimeInterval) async throws -> HeartbeatReply {
        let now = self.now
        return try await write { db, seq in
            let stop = try Bool.fetchOne(db.cachedStatement(sql: """
                UPDATE agents SET last_heartbeat = ?, changed_seq = ? WHERE id = ? RETURNING stop_requested
                """), arguments: [now.timeIntervalSince1970, seq, agent]) ?? false
            let expires = now.addingTimeInterval(leaseFor).timeIntervalSince1970
            var revoked: [String] = []
            // The statement is ItemLifecycle.heartbeatExtends as SQL: one indexed update per item, no read.
            for attempt in attempts where attempt.agent == agent {
                try db.cachedStatement(sql: """
                    UPDATE items SET lease_expires_at = ?
                    WHERE id = ? AND agent_id = ? AND attempts = ? AND state IN ('leased', 'building', 'running')
                    """).execute(arguments: [expires, attempt.item, agent, attempt.number])
                if db.changesCount == 0 { revoked.append(attempt.item) }
            }
            return HeartbeatReply(revoked: revoked, stop: stop)
        }
    }

    @discardableResult
    public func reportState(_ attempt: ItemAttempt, to state: ItemState, exitCode: Int?, error: String?) async throws -> LaunchItem {
        let now = self.now
        return try await write { db, seq in
            let stored = try Self.storedItem(attempt.item, db)
            let result = try ItemLifecycle.report(stored, from: attempt, to: state, exitCode: exitCode, error: error, at: now)
            if case .changed(let next) = result {
                // Each attempt's log begins with the line that names it (agent and host, from the agent's record),
                // written with the attempt's first move into its work rather than with its lease: the lease is the
                // one write every agent contends for, and this one happens anyway. An attempt that ends before it
                // starts work (its preparation could not begin) is on the item itself; a lost lease writes its own line.
                let starts = stored.item.state == .leased && (next.item.state == .building || next.item.state == .running)
                if starts {
                    let holder = try Row.fetchOne(db.cachedStatement(sql: "SELECT name, host FROM agents WHERE id = ?"), arguments: [attempt.agent])
                    try Self.appendAgentLine(AttemptLog.started(number: attempt.number, of: next.item.maxAttempts,
                                                                agent: holder?["name"] ?? attempt.agent, host: holder?["host"] ?? "?"),
                                             item: attempt.item, at: now, db)
                }
                try Self.persist(next, db, seq: seq, loggedLines: starts ? 1 : 0)
            }
            return result.item
        }
    }

    @discardableResult
    public func reclaimExpiredLeases() async throws -> [LaunchItem] {
        let now = self.now
        return try await write { db, seq in try Self.reclaimExpired(db, seq: seq, now: now) }
    }

    /// Returns every in-flight item whose lease ran out to its queue, at its old position, or fails it when it has used
    /// all its attempts. Runs inside each lease, so no separate janitor is needed. Not while reclaims are paused after
    /// a stall of the store: agents that could not heartbeat through it are not dead (see `noteStall`).
    @discardableResult
    static func reclaimExpired(_ db: Database, seq: Int64, now: Date) throws -> [LaunchItem] {
        let pausedUntil = try Double.fetchOne(db.cachedStatement(sql: "SELECT reclaim_paused_until FROM store_health WHERE id = 1")) ?? 0
        guard now.timeIntervalSince1970 >= pausedUntil else { return [] }
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(ItemColumn.selection) FROM items WHERE lease_expires_at IS NOT NULL AND lease_expires_at < ?
              AND state IN ('leased', 'building', 'running')
            """), arguments: [now.timeIntervalSince1970])
        return try rows.map { row in
            let item = try SQLiteRows.item(row)
            let reclaimed = ItemLifecycle.reclaim(item, at: now)
            // The item's log says so, where its attempts are read back (`AttemptLog`), naming the agent as its
            // attempt line did.
            let name = try item.agentID.flatMap { try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM agents WHERE id = ?"), arguments: [$0]) }
            try appendAgentLine(AttemptLog.leaseLost(number: item.attempts, agent: name ?? item.agentID ?? "?", next: reclaimed.item.state),
                                item: item.id, at: now, db)
            try persist(reclaimed, db, seq: seq, loggedLines: 1)
            return reclaimed.item
        }
    }

    /// A line of the agent stream, written by the store itself in the transaction that makes it true; the item's
    /// `persist` in that transaction counts it (`loggedLines`).
    static func appendAgentLine(_ line: String, item: String, at now: Date, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO item_logs (item_id, stream, at, line) VALUES (?, 'agent', ?, ?)")
            .execute(arguments: [item, now.timeIntervalSince1970, line])
    }

    /// Until when no lease is reclaimed because the store was stalled (`noteStall`), or nil when reclaims run.
    public func reclaimsPausedUntil() async throws -> Date? {
        let now = self.now
        let until = try await read { db in
            try Double.fetchOne(db.cachedStatement(sql: "SELECT reclaim_paused_until FROM store_health WHERE id = 1")) ?? 0
        }
        return until > now.timeIntervalSince1970 ? Date(timeIntervalSince1970: until) : nil
    }

    /// The item with exactly this id (reports name it in full), as the lifecycle rules read it.
    static func storedItem(_ id: String, _ db: Database) throws -> StoredItem {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(ItemColumn.storedSelection) FROM items WHERE id = ?"), arguments: [id]) else {
            throw LaunchError.notFound("item \(id) not found")
        }
        return try SQLiteRows.storedItem(row)
    }

    /// Writes what the lifecycle rules decided: every column a lease, report, reclaim or cancel can change.
    /// Writes an item's state; `loggedLines` counts lines the same transaction added to its log (`appendAgentLine`).
    static func persist(_ stored: StoredItem, _ db: Database, seq: Int64, clearingProgress: Bool = false, loggedLines: Int = 0) throws {
        let item = stored.item
        let times = item.timestamps
        try db.cachedStatement(sql: """
            UPDATE items SET state = ?, attempts = ?, agent_id = ?, reclaimed_from = ?, lease_expires_at = ?, leased_at = ?,
                             building_at = ?, running_at = ?, finished_at = ?, updated_at = ?, exit_code = ?, error = ?,
                             progress = CASE WHEN ? THEN NULL ELSE progress END, changed_seq = ?, log_count = log_count + ?
            WHERE id = ?
            """).execute(arguments: [
                item.state.rawValue, item.attempts, item.agentID, stored.reclaimedFrom, item.leaseExpiresAt?.timeIntervalSince1970,
                times.leased?.timeIntervalSince1970, times.building?.timeIntervalSince1970, times.running?.timeIntervalSince1970,
                times.finished?.timeIntervalSince1970, times.updated.timeIntervalSince1970, item.exitCode, item.error,
                clearingProgress, seq, loggedLines, item.id,
            ])
    }
}

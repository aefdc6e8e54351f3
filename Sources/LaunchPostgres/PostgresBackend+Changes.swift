import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

/// The change feed with concurrent writers (docs/postgres-backend.md): every changed row carries the id of the
/// transaction that wrote it, and a cursor is a fence: every transaction of this database below it had ended when a
/// snapshot was taken (`fence`). A read returns the rows with `cursor <= changed_xid < fence`, in that same
/// snapshot, and the fence as the next cursor. A writer still running then has an id at or above the fence, so its
/// rows come with a later read whenever it commits, however late; nothing is skipped, and nothing comes twice.
///
/// So that a read returns every write that committed before it was asked for (a client reads its own writes), it
/// waits for the writers running when it began to end (`readYourWritesWait`); writers take milliseconds. One that
/// runs longer only delays its successors' rows to a later read, as above: never loses them.
extension PostgresBackend {
    static let readYourWritesWait: Duration = .seconds(1)

    public func changes(since cursor: Int64) async throws -> ChangeSet {
        try await changes(since: cursor, includingItems: true)
    }

    public func changes(since cursor: Int64, includingItems: Bool) async throws -> ChangeSet {
        let now = self.now
        let lostAfter = limits.agentLostAfter
        let committed = try await committedBefore()
        let deadline = ContinuousClock.now + Self.readYourWritesWait
        // REPEATABLE READ (`read`): the fence and the rows come from the transaction's one snapshot.
        while true {
            let changes = try await read { connection -> ChangeSet? in
                let fence = try await Self.fence(connection, logger: self.logger)
                if fence < committed && ContinuousClock.now < deadline { return nil }
                return try await self.changes(since: cursor, fence: fence, includingItems: includingItems, now: now, lostAfter: lostAfter, connection)
            }
            if let changes { return changes }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The id the next transaction will get (a snapshot's `xmax`): every one that committed before has a lower id.
    func committedBefore() async throws -> Int64 {
        do {
            return try await client.query("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", logger: logger).collect(Int64.self).first ?? 0
        } catch {
            throw Self.launchError(error, location: postgres)
        }
    }

    private func changes(since cursor: Int64, fence: Int64, includingItems: Bool, now: Date, lostAfter: TimeInterval,
                         _ connection: PostgresConnection) async throws -> ChangeSet {
        guard fence > cursor else { return ChangeSet(cursor: cursor) }
        let since = String(cursor), before = String(fence)
        var items: [LaunchItem] = []
        if includingItems {
            items = try await PostgresRows.items(try await connection.query("""
                SELECT \(unescaped: PostgresRows.itemSelection) FROM items i
                WHERE i.changed_xid >= \(since)::xid8 AND i.changed_xid < \(before)::xid8 ORDER BY i.changed_xid, i.position
                """, logger: self.logger))
        }
        var queues: [Queue] = []
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresRows.queueSelection) FROM queues
            WHERE changed_xid >= \(since)::xid8 AND changed_xid < \(before)::xid8 ORDER BY changed_xid, name
            """, logger: self.logger) {
            queues.append(try PostgresRows.queue(row))
        }
        var agents: [Agent] = []
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresRows.agentSelection) FROM agents
            WHERE changed_xid >= \(since)::xid8 AND changed_xid < \(before)::xid8 ORDER BY changed_xid, name
            """, logger: self.logger) {
            var agent = try PostgresRows.agent(row)
            agent.state = agent.effectiveState(now: now, lostAfter: lostAfter)
            agents.append(agent)
        }
        return ChangeSet(cursor: fence, items: items, queues: queues, agents: agents)
    }

    /// The fence of the transaction's snapshot: the lowest id among the transactions it saw running, or the next id
    /// when none was. Transaction ids are the cluster's, and the snapshot's own `xmin` would wait for a writer of any
    /// database (a CREATE DATABASE takes a second); those known to be another database's (their backend says so in
    /// pg_stat_activity) cannot have written here and are left out. An unknown one (a prepared transaction, a backend
    /// whose database is hidden) counts as ours: that can only delay rows, never skip one. pg_stat_activity shows a
    /// role the transaction ids of its own sessions only, unless it has `pg_read_all_stats`: without that, an
    /// autovacuum worker's ANALYZE in another database (seconds, under load) delays every read here, so the role
    /// the servers use should have it (`scripts/postgres-local` grants it).
    static func fence(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("""
            SELECT COALESCE(
                (SELECT min(running) FROM pg_snapshot_xip(pg_current_snapshot()) AS running
                 WHERE running::xid NOT IN (SELECT backend_xid FROM pg_stat_activity
                                            WHERE backend_xid IS NOT NULL AND datid IS NOT NULL AND datid <> (
                                                SELECT oid FROM pg_database WHERE datname = current_database()))),
                pg_snapshot_xmax(pg_current_snapshot()))::text::bigint
            """, logger: logger).collect(Int64.self).first ?? 0
    }

    public func changeCursor() async throws -> Int64 {
        try await read { connection in try await Self.fence(connection, logger: self.logger) }
    }

    public func items(after id: String?, limit: Int) async throws -> [LaunchItem] {
        try await read { connection in
            try await PostgresRows.items(try await connection.query("""
                SELECT \(unescaped: PostgresRows.itemSelection) FROM items i WHERE i.id > \(id ?? "") ORDER BY i.id LIMIT \(limit)
                """, logger: self.logger))
        }
    }

    /// PostgreSQL's plans for the lease, reclaim and change queries, so a test can hold them to their indexes.
    public func explainHotQueries() async throws -> [String: String] {
        let statements: [String: String] = [
            "lease": "SELECT \(PostgresRows.itemSelection) FROM items i WHERE i.queue = 'q' AND i.state = 'queued' ORDER BY i.priority, i.position LIMIT 8 FOR UPDATE SKIP LOCKED",
            "reclaim": "SELECT \(PostgresRows.itemSelection) FROM items i WHERE i.state IN ('leased', 'building', 'running') AND i.lease_expires_at < now() FOR UPDATE OF i SKIP LOCKED",
            "item changes": "SELECT \(PostgresRows.itemSelection) FROM items i WHERE i.changed_xid >= '1000'::xid8 AND i.changed_xid < '1010'::xid8 ORDER BY i.changed_xid, i.position",
            "queue changes": "SELECT name FROM queues WHERE changed_xid >= '1000'::xid8 AND changed_xid < '1010'::xid8 ORDER BY changed_xid, name",
            "agent changes": "SELECT name FROM agents WHERE changed_xid >= '1000'::xid8 AND changed_xid < '1010'::xid8 ORDER BY changed_xid, name",
        ]
        var plans: [String: String] = [:]
        for (name, statement) in statements {
            plans[name] = try await write { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + statement), logger: self.logger)
                    .collect(String.self).joined(separator: "\n")
            }
        }
        // The lease's plan is made once per connection and kept (`launchdeck_lease` forces the generic plan): the
        // one made without the queue's name or the limit must use the dispatch index too.
        plans["lease (generic plan)"] = try await write { connection in
            try await connection.query("SET LOCAL plan_cache_mode = force_generic_plan", logger: self.logger)
            try await connection.query(PostgresQuery(unsafeSQL: """
                PREPARE launchdeck_explained_lease (text, bigint) AS SELECT \(PostgresRows.itemSelection) FROM items i
                WHERE i.queue = $1 AND i.state = 'queued' ORDER BY i.priority, i.position LIMIT $2 FOR UPDATE SKIP LOCKED
                """), logger: self.logger)
            let plan = try await connection.query("EXPLAIN EXECUTE launchdeck_explained_lease ('q', 8)", logger: self.logger)
                .collect(String.self).joined(separator: "\n")
            try await connection.query("DEALLOCATE launchdeck_explained_lease", logger: self.logger)
            return plan
        }
        return plans
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

extension PostgresBackend {
    /// Leases that come together are made together (`leases`, a group commit): one statement for every agent asking
    /// for the same queues meanwhile (`leaseStatement`), so under load a lease costs PostgreSQL a share of one
    /// statement's planning and round trip instead of a statement of its own.
    public func lease(agent: String, queues: [String], max: Int, leaseFor: TimeInterval) async throws -> [LaunchItem] {
        guard max > 0, !queues.isEmpty else { return [] }
        let items = try await leases.submit(LeaseRequest(agent: agent, queues: queues, max: max, leaseFor: leaseFor))
        if !items.isEmpty { announcements.announce(.change) }
        return items
    }

    /// A batch of lease requests: those for the same queues in one statement each, in the order they came, unless a
    /// lease has run out: then, as the embedded store does, the expired leases are reclaimed first (their items go
    /// back to the head of their queues) and the leases are made after.
    func writeLeases(_ requests: [LeaseRequest]) async -> [Result<[LaunchItem], any Error>] {
        let now = self.now
        var results = [Result<[LaunchItem], any Error>](repeating: .success([]), count: requests.count)
        var groups: [[String]: [Int]] = [:]
        var order: [[String]] = []
        for (index, request) in requests.enumerated() {
            if groups[request.queues] == nil { order.append(request.queues) }
            groups[request.queues, default: []].append(index)
        }
        for queues in order {
            let indices = groups[queues]!
            let group = indices.map { requests[$0] }
            do {
                var leased = try await leaseStatement(group, queues: queues, at: now, unlessExpired: true)
                if leased == nil {
                    _ = try await reclaimExpiredLeases(at: now)
                    leased = try await leaseStatement(group, queues: queues, at: now, unlessExpired: false)
                }
                for (index, items) in zip(indices, leased ?? []) { results[index] = .success(items) }
            } catch {
                for index in indices { results[index] = .failure(error) }
            }
        }
        return results
    }

    /// `ItemLifecycle.lease` as SQL, for several agents asking for the same queues, in one statement, so a lease is
    /// one round trip: per open queue, the dispatch index (queue, state, priority, position) yields its best in order,
    /// skipping rows another lease holds locked right now (SKIP LOCKED: no waiting, and no item leased twice); the best
    /// of those, highest priority first and FIFO within one, fill the requests' slots in the order the requests came
    /// (the first request's `max` slots first). The values set are the lifecycle's (the conformance suite compares a
    /// leased item with `ItemLifecycle.lease` of it). One list of items per request, in order.
    ///
    /// `unlessExpired`: nil, leasing nothing, when a lease has run out and reclaims are not paused (the in-flight
    /// index finds that without scanning the queues), so the caller reclaims first.
    private func leaseStatement(_ requests: [LeaseRequest], queues: [String], at now: Date,
                                unlessExpired: Bool) async throws -> [[LaunchItem]]? {
        let agents = requests.map(\.agent)
        let maxima = requests.map(\.max)
        let expiries = requests.map { now.addingTimeInterval($0.leaseFor) }
        let total = maxima.reduce(0, +)
        return try await write(inTransaction: false) { connection in
            let rows = try await connection.query("""
                WITH expired AS (
                    SELECT \(unlessExpired)
                           AND EXISTS (SELECT 1 FROM items e WHERE e.state IN ('leased', 'building', 'running') AND e.lease_expires_at < \(now))
                           AND (SELECT reclaim_paused_until FROM store_health WHERE id = 1) <= \(now) AS found
                ), slots AS (
                    SELECT r.agent, r.expires, r.ordinal, row_number() OVER (ORDER BY r.ordinal, n.n) AS slot
                    FROM unnest(\(agents)::text[], \(maxima)::bigint[], \(expiries)::timestamptz[]) WITH ORDINALITY AS r (agent, max, expires, ordinal)
                    CROSS JOIN LATERAL generate_series(1, r.max) AS n (n)
                ), candidates AS (
                    SELECT c.id, c.priority, c.position FROM unnest(\(queues)::text[]) AS wanted (name)
                    JOIN queues q ON q.name = wanted.name AND NOT q.paused AND NOT (SELECT found FROM expired)
                    CROSS JOIN LATERAL (
                        SELECT i.id, i.priority, i.position FROM items i
                        WHERE i.queue = q.name AND i.state = 'queued'
                        ORDER BY i.priority, i.position LIMIT \(total) FOR UPDATE SKIP LOCKED) c
                    ORDER BY c.priority, c.position LIMIT \(total)
                ), ranked AS (
                    SELECT id, priority, position, row_number() OVER (ORDER BY priority, position) AS slot FROM candidates
                ), leased AS (
                    UPDATE items i SET state = 'leased', agent_id = s.agent, attempts = i.attempts + 1, lease_expires_at = s.expires,
                                       exit_code = NULL, progress = NULL, building_at = NULL, running_at = NULL, leased_at = \(now),
                                       updated_at = \(now), reclaimed_from = NULL
                    FROM ranked c JOIN slots s ON s.slot = c.slot WHERE i.id = c.id
                    RETURNING \(unescaped: PostgresRows.itemSelection), c.priority AS rank, c.position, s.ordinal
                )
                SELECT leased.*, expired.found FROM expired LEFT JOIN leased ON true ORDER BY leased.ordinal, leased.rank, leased.position
                """, logger: self.logger)
            var leased = [[LaunchItem]](repeating: [], count: requests.count)
            var expired = false
            for try await row in rows {
                let columns = row.makeRandomAccess()
                expired = try columns[26].decode(Bool.self)
                // The one row of a lease that found nothing has NULL item columns.
                guard let ordinal = try columns[25].decode(Int?.self) else { continue }
                leased[ordinal - 1].append(try PostgresRows.item(row))
            }
            return expired ? nil : leased
        }
    }

    public func heartbeat(agent: String, attempts: [ItemAttempt], leaseFor: TimeInterval) async throws -> HeartbeatReply {
        let now = self.now
        let expires = now.addingTimeInterval(leaseFor)
        let ours = attempts.filter { $0.agent == agent }
        let reply = try await write { connection in
            let stop = try await connection.query("""
                UPDATE agents SET last_heartbeat = \(now) WHERE id = \(agent) RETURNING stop_requested
                """, logger: self.logger).collect(Bool.self).first ?? false
            // ItemLifecycle.heartbeatExtends as SQL, for every attempt in one statement. It sets the expiry alone, so the
            // items' change trigger does not fire: a renewal is no change a follower shows.
            var extended = Set<String>()
            if !ours.isEmpty {
                extended = Set(try await connection.query("""
                    UPDATE items i SET lease_expires_at = \(expires)
                    FROM unnest(\(ours.map(\.item)), \(ours.map(\.number))) AS renewal (item, attempt)
                    WHERE i.id = renewal.item AND i.attempts = renewal.attempt AND i.agent_id = \(agent)
                      AND i.state IN ('leased', 'building', 'running')
                    RETURNING i.id
                    """, logger: self.logger).collect(String.self))
            }
            return HeartbeatReply(revoked: attempts.map(\.item).filter { !extended.contains($0) }, stop: stop)
        }
        announcements.announce(.change)
        return reply
    }

    @discardableResult
    public func reclaimExpiredLeases() async throws -> [LaunchItem] {
        try await reclaimExpiredLeases(at: now)
    }

    private func reclaimExpiredLeases(at now: Date) async throws -> [LaunchItem] {
        let reclaimed = try await write { connection in try await Self.reclaimExpired(connection, now: now, logger: self.logger) }
        if !reclaimed.isEmpty { announcements.announce(.work) }
        return reclaimed
    }

    /// Returns every in-flight item whose lease ran out to its queue, at its old position, or fails it when it has used
    /// all its attempts; not while reclaims are paused after the database was out of reach (`noteStall`). Rows another
    /// transaction holds are skipped: that one is reporting or reclaiming the item right now.
    static func reclaimExpired(_ connection: PostgresConnection, now: Date, logger: Logger) async throws -> [LaunchItem] {
        let expired = try await PostgresRows.items(try await connection.query("""
            SELECT \(unescaped: PostgresRows.itemSelection) FROM items i
            WHERE i.state IN ('leased', 'building', 'running') AND i.lease_expires_at < \(now)
              AND (SELECT reclaim_paused_until FROM store_health WHERE id = 1) <= \(now)
            FOR UPDATE OF i SKIP LOCKED
            """, logger: logger))
        var reclaimed: [LaunchItem] = []
        for item in expired {
            let next = ItemLifecycle.reclaim(item, at: now)
            var name: String?
            if let agent = item.agentID {
                name = try await connection.query("SELECT name FROM agents WHERE id = \(agent)", logger: logger).collect(String.self).first
            }
            try await appendAgentLine(AttemptLog.leaseLost(number: item.attempts, agent: name ?? item.agentID ?? "?", next: next.item.state),
                                      item: item.id, at: now, connection, logger: logger)
            try await persist(next, connection, loggedLines: 1, logger: logger)
            reclaimed.append(next.item)
        }
        return reclaimed
    }

    /// A line of the agent stream, written by the store itself in the transaction that makes it true; the item's
    /// `persist` in that transaction counts it (`loggedLines`).
    static func appendAgentLine(_ line: String, item: String, at now: Date, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("INSERT INTO item_logs (item_id, stream, at, line) VALUES (\(item), 'agent', \(now), \(line))", logger: logger)
    }

    /// The item with exactly this id (reports name it in full), as the lifecycle rules read it.
    static func storedItem(_ id: String, locking: Bool = false, _ connection: PostgresConnection, logger: Logger) async throws -> StoredItem {
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresRows.itemSelection) FROM items i WHERE i.id = \(id) \(unescaped: locking ? "FOR UPDATE" : "")
            """, logger: logger) {
            return try PostgresRows.storedItem(row)
        }
        throw LaunchError.notFound("item \(id) not found")
    }

    /// Writes what the lifecycle rules decided: every column a lease, report, reclaim or cancel can change;
    /// `loggedLines` counts lines the same transaction added to the item's log (`appendAgentLine`).
    static func persist(_ stored: StoredItem, _ connection: PostgresConnection, clearingProgress: Bool = false, loggedLines: Int = 0,
                        logger: Logger) async throws {
        let item = stored.item
        let times = item.timestamps
        try await connection.query("""
            UPDATE items SET state = \(item.state.rawValue), attempts = \(item.attempts), agent_id = \(item.agentID),
                             reclaimed_from = \(stored.reclaimedFrom), lease_expires_at = \(item.leaseExpiresAt),
                             leased_at = \(times.leased), building_at = \(times.building), running_at = \(times.running),
                             finished_at = \(times.finished), updated_at = \(times.updated), exit_code = \(item.exitCode),
                             error = \(item.error), progress = CASE WHEN \(clearingProgress) THEN NULL ELSE progress END,
                             log_count = log_count + \(loggedLines)
            WHERE id = \(item.id)
            """, logger: logger)
    }
}

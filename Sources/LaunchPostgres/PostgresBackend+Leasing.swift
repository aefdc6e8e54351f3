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

    /// `LeaseStatement` for several agents asking for the same queues: one round trip for them all. One list of items
    /// per request, in order; nil, leasing nothing, when `unlessExpired` and a lease has run out (the in-flight index
    /// finds that without scanning the queues), so the caller reclaims first.
    private func leaseStatement(_ requests: [LeaseRequest], queues: [String], at now: Date,
                                unlessExpired: Bool) async throws -> [[LaunchItem]]? {
        let statement = LeaseStatement(unlessExpired: unlessExpired, now: now, agents: requests.map(\.agent), maxima: requests.map(\.max),
                                       expiries: requests.map { now.addingTimeInterval($0.leaseFor) }, queues: queues)
        return try await write(inTransaction: false) { connection in
            var leased = [[LaunchItem]](repeating: [], count: requests.count)
            var expired = false
            for try await row in try await connection.execute(statement, logger: self.logger) {
                let columns = row.makeRandomAccess()
                expired = try columns[LeaseStatement.foundColumn].decode(Bool.self)
                // The one row of a lease that found nothing has NULL item columns.
                guard let ordinal = try columns[LeaseStatement.ordinalColumn].decode(Int?.self) else { continue }
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

    /// Writes what the lifecycle rules decided (`PersistItemStatement`); `loggedLines` counts lines the same transaction
    /// added to the item's log (`appendAgentLine`).
    static func persist(_ stored: StoredItem, _ connection: PostgresConnection, clearingProgress: Bool = false, loggedLines: Int = 0,
                        logger: Logger) async throws {
        _ = try await connection.execute(PersistItemStatement(stored: stored, clearingProgress: clearingProgress, loggedLines: loggedLines),
                                     logger: logger)
    }
}

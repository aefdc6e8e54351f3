import Foundation
import GRDB
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
            let expires = now.addingTimeInterval(leaseFor)
            return try chosen.map { candidate in
                var item = try SQLiteRows.item(candidate.row)
                try ItemStateMachine.validate(item: item.id, from: item.state, to: .leased, attempts: item.attempts, maxAttempts: item.maxAttempts)
                try db.cachedStatement(sql: """
                    UPDATE items SET state = 'leased', agent_id = ?, attempts = attempts + 1, lease_expires_at = ?,
                                     leased_at = ?, building_at = NULL, running_at = NULL, updated_at = ?, exit_code = NULL,
                                     progress = NULL, changed_seq = ?
                    WHERE id = ? AND state = 'queued'
                    """).execute(arguments: [agent, expires.timeIntervalSince1970, now.timeIntervalSince1970, now.timeIntervalSince1970, seq, item.id])
                item.state = .leased
                item.agentID = agent
                item.attempts += 1
                item.leaseExpiresAt = expires
                item.exitCode = nil
                item.progress = nil
                // An earlier attempt's times would count in this one's duration.
                item.timestamps.building = nil
                item.timestamps.running = nil
                item.timestamps.record(.leased, at: now)
                return item
            }
        }
    }

    public func heartbeat(agent: String, items: [String], leaseFor: TimeInterval) async throws -> HeartbeatReply {
        let now = self.now
        return try await write { db, seq in
            try db.cachedStatement(sql: "UPDATE agents SET last_heartbeat = ?, changed_seq = ? WHERE id = ?").execute(
                arguments: [now.timeIntervalSince1970, seq, agent])
            let expires = now.addingTimeInterval(leaseFor).timeIntervalSince1970
            var revoked: [String] = []
            for id in items {
                try db.cachedStatement(sql: """
                    UPDATE items SET lease_expires_at = ? WHERE id = ? AND agent_id = ? AND state IN ('leased', 'building', 'running')
                    """).execute(arguments: [expires, id, agent])
                if db.changesCount == 0 { revoked.append(id) }
            }
            return HeartbeatReply(revoked: revoked)
        }
    }

    @discardableResult
    public func reportState(item id: String, agent: String, to state: ItemState, exitCode: Int?, error: String?) async throws -> LaunchItem {
        let now = self.now
        return try await write { db, seq in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(ItemColumn.selection) FROM items WHERE id = ?"), arguments: [id]) else {
                throw LaunchError.notFound("item \(id) not found")
            }
            var item = try SQLiteRows.item(row)
            guard item.agentID == agent, item.state.isInFlight else {
                throw LaunchError.conflict("item \(id) is no longer leased by agent \(agent) (it is \(item.state))")
            }
            if state == .queued {
                // The agent hands the item back (drain): that run did not happen, so it does not use up an attempt.
                item.attempts = Swift.max(0, item.attempts - 1)
            }
            try ItemStateMachine.validate(item: id, from: item.state, to: state, attempts: item.attempts, maxAttempts: item.maxAttempts)
            item.state = state
            item.timestamps.record(state, at: now)
            if state.isFinal || state == .queued { item.leaseExpiresAt = nil }
            if state == .queued { item.agentID = nil }
            if let exitCode { item.exitCode = exitCode }
            if let error { item.error = SecretRedactor.redactText(error) }
            let column: String? = switch state {
            case .leased: "leased_at"
            case .building: "building_at"
            case .running: "running_at"
            case .succeeded, .failed, .cancelled: "finished_at"
            case .queued: nil
            }
            try db.cachedStatement(sql: """
                UPDATE items SET state = ?, attempts = ?, agent_id = ?, lease_expires_at = ?, exit_code = ?, error = ?,
                                 updated_at = ?, changed_seq = ? \(column.map { ", \($0) = ?" } ?? "")
                WHERE id = ?
                """).execute(arguments: StatementArguments([
                    state.rawValue, item.attempts, item.agentID, item.leaseExpiresAt?.timeIntervalSince1970, item.exitCode, item.error,
                    now.timeIntervalSince1970, seq,
                ] + (column == nil ? [] : [now.timeIntervalSince1970]) + [id] as [(any DatabaseValueConvertible)?]))
            return item
        }
    }

    @discardableResult
    public func reclaimExpiredLeases() async throws -> [LaunchItem] {
        let now = self.now
        return try await write { db, seq in try Self.reclaimExpired(db, seq: seq, now: now) }
    }

    /// Returns every in-flight item whose lease ran out to its queue, at its old position, or fails it
    /// when it has used all its attempts. Runs inside each lease, so no separate janitor is needed.
    @discardableResult
    static func reclaimExpired(_ db: Database, seq: Int64, now: Date) throws -> [LaunchItem] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(ItemColumn.selection) FROM items WHERE lease_expires_at IS NOT NULL AND lease_expires_at < ?
              AND state IN ('leased', 'building', 'running')
            """), arguments: [now.timeIntervalSince1970])
        return try rows.map { row in
            var item = try SQLiteRows.item(row)
            let next = ItemStateMachine.stateAfterLostLease(attempts: item.attempts, maxAttempts: item.maxAttempts)
            let previousAgent = item.agentID ?? "?"
            item.state = next
            item.agentID = nil
            item.leaseExpiresAt = nil
            item.timestamps.record(next, at: now)
            if next == .failed {
                item.error = "lease expired after \(item.attempts) attempts (last agent \(previousAgent))"
            }
            try db.execute(sql: """
                UPDATE items SET state = ?, agent_id = NULL, lease_expires_at = NULL, error = ?, updated_at = ?,
                                 finished_at = ?, changed_seq = ? WHERE id = ?
                """, arguments: [next.rawValue, item.error, now.timeIntervalSince1970,
                                 next == .failed ? now.timeIntervalSince1970 : nil, seq, item.id])
            return item
        }
    }
}

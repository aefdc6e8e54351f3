import Foundation
import GRDB
import LaunchModel

extension SQLiteBackend {
    public func changes(since cursor: Int64) async throws -> ChangeSet {
        let now = self.now
        let lostAfter = limits.agentLostAfter
        // One read transaction: the cursor and the rows come from the same snapshot, so nothing slips between polls.
        return try await read { db in
            let current = try Int64.fetchOne(db, sql: "SELECT seq FROM change_counter WHERE id = 1") ?? 0
            guard current > cursor else { return ChangeSet(cursor: current) }
            let items = try Row.fetchAll(db, sql: "SELECT * FROM items WHERE changed_seq > ? ORDER BY position", arguments: [cursor])
                .map(SQLiteRows.item)
            let queues = try Row.fetchAll(db, sql: "SELECT * FROM queues WHERE changed_seq > ? ORDER BY name", arguments: [cursor])
                .map(SQLiteRows.queue)
            let agents = try Row.fetchAll(db, sql: "SELECT * FROM agents WHERE changed_seq > ? ORDER BY name", arguments: [cursor])
                .map { row in
                    var agent = try SQLiteRows.agent(row)
                    agent.state = agent.effectiveState(now: now, lostAfter: lostAfter)
                    return agent
                }
            return ChangeSet(cursor: current, items: items, queues: queues, agents: agents)
        }
    }
}

import Foundation
import GRDB
import LaunchModel

extension SQLiteBackend {
    public func changes(since cursor: Int64) async throws -> ChangeSet {
        try await changes(since: cursor, includingItems: true)
    }

    public func changes(since cursor: Int64, includingItems: Bool) async throws -> ChangeSet {
        let now = self.now
        let lostAfter = limits.agentLostAfter
        // One read transaction: the cursor and the rows come from the same snapshot, so nothing slips between polls.
        return try await read { db in
            let current = try Self.changeCounter(db)
            guard current > cursor else { return ChangeSet(cursor: current) }
            // Ordered by the change index itself: ORDER BY position alone made SQLite scan the whole table.
            // A cursor, not fetchAll: rows are decoded one at a time instead of all held at once.
            var items: [LaunchItem] = []
            if includingItems {
                let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(ItemColumn.selection) FROM items WHERE changed_seq > ? ORDER BY changed_seq, position"), arguments: [cursor])
                while let row = try rows.next() { items.append(try SQLiteRows.item(row)) }
            }
            let queues = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM queues WHERE changed_seq > ? ORDER BY changed_seq, name"), arguments: [cursor])
                .map(SQLiteRows.queue)
            let agents = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM agents WHERE changed_seq > ? ORDER BY changed_seq, name"), arguments: [cursor])
                .map { row in
                    var agent = try SQLiteRows.agent(row)
                    agent.state = agent.effectiveState(now: now, lostAfter: lostAfter)
                    return agent
                }
            return ChangeSet(cursor: current, items: items, queues: queues, agents: agents)
        }
    }
}

extension SQLiteBackend {
    public func changeCursor() async throws -> Int64 {
        try await read { db in try Self.changeCounter(db) }
    }

    static func changeCounter(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM change_counter WHERE id = 1")) ?? 0
    }

    public func items(after id: String?, limit: Int) async throws -> [LaunchItem] {
        try await read { db in
            var items: [LaunchItem] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(ItemColumn.selection) FROM items WHERE id > ? ORDER BY id LIMIT ?"), arguments: [id ?? "", limit])
            while let row = try rows.next() { items.append(try SQLiteRows.item(row)) }
            return items
        }
    }

    /// SQLite's plan for the poll queries, so a test can hold them to index searches.
    public func explainChangesPlan() async throws -> [String] {
        try await read { db in
            try ["items", "queues", "agents"].flatMap { table -> [String] in
                let order = table == "items" ? "changed_seq, position" : "changed_seq, name"
                return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM \(table) WHERE changed_seq > 0 ORDER BY \(order)")
                    .map { "\(table): \($0["detail"] as String? ?? "")" }
            }
        }
    }
}

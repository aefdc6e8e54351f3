import Foundation
import GRDB
import LaunchModel

extension SQLiteBackend {
    public func registerAgent(_ agent: Agent) async throws {
        try await write { db, seq in
            try db.execute(sql: """
                INSERT INTO agents (id, name, host, queues, max_jobs, state, version, started_at, last_heartbeat, environment, changed_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, queues = excluded.queues,
                    max_jobs = excluded.max_jobs, state = excluded.state, version = excluded.version,
                    started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat,
                    environment = excluded.environment, changed_seq = excluded.changed_seq, stop_requested = 0
                """, arguments: [agent.id, agent.name, agent.host, try SQLiteRows.json(agent.queues), agent.maxJobs, agent.state.rawValue,
                                 agent.version, agent.startedAt.timeIntervalSince1970, agent.lastHeartbeat.timeIntervalSince1970,
                                 try SQLiteRows.json(agent.environment), seq])
        }
    }

    public func updateAgent(id: String, state: AgentState, environment: AgentEnvironment?) async throws {
        let now = self.now
        try await write { db, seq in
            if let environment {
                try db.execute(sql: "UPDATE agents SET state = ?, environment = ?, last_heartbeat = ?, changed_seq = ? WHERE id = ?",
                               arguments: [state.rawValue, try SQLiteRows.json(environment), now.timeIntervalSince1970, seq, id])
            } else {
                try db.execute(sql: "UPDATE agents SET state = ?, last_heartbeat = ?, changed_seq = ? WHERE id = ?",
                               arguments: [state.rawValue, now.timeIntervalSince1970, seq, id])
            }
            if db.changesCount == 0 { throw LaunchError.notFound("agent \(id) not found") }
        }
    }

    public func agents() async throws -> [Agent] {
        let now = self.now
        let lostAfter = limits.agentLostAfter
        return try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM agents ORDER BY name, id").map { row in
                var agent = try SQLiteRows.agent(row)
                agent.state = agent.effectiveState(now: now, lostAfter: lostAfter)
                return agent
            }
        }
    }

    public func agent(id: String) async throws -> Agent {
        try Agent.pick(id, from: try await agents())
    }

    public func requestAgentStop(_ reference: String) async throws -> Agent {
        let agent = try await self.agent(id: reference)
        guard agent.isLive else { throw LaunchError.conflict("agent \(agent.name) (\(agent.id)) is \(agent.state): nothing to stop") }
        try await write { db, seq in
            try db.execute(sql: "UPDATE agents SET stop_requested = 1, changed_seq = ? WHERE id = ?", arguments: [seq, agent.id])
        }
        return agent
    }
}

extension Array {
    var onlyElement: Element? { count == 1 ? first : nil }
}

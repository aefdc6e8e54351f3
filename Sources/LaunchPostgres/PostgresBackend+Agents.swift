import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

extension PostgresBackend {
    public func registerAgent(_ agent: Agent) async throws {
        let queues = try RecordJSON.text(agent.queues)
        let environment = try RecordJSON.text(agent.environment)
        try await write { connection in
            try await connection.query("""
                INSERT INTO agents (id, name, host, queues, max_jobs, state, version, started_at, last_heartbeat, environment)
                VALUES (\(agent.id), \(agent.name), \(agent.host), \(queues), \(agent.maxJobs), \(agent.state.rawValue), \(agent.version),
                        \(agent.startedAt), \(agent.lastHeartbeat), \(environment))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, queues = excluded.queues,
                    max_jobs = excluded.max_jobs, state = excluded.state, version = excluded.version, started_at = excluded.started_at,
                    last_heartbeat = excluded.last_heartbeat, environment = excluded.environment, stop_requested = false
                """, logger: self.logger)
        }
        announcements.announce(.change)
    }

    public func updateAgent(id: String, state: AgentState, environment: AgentEnvironment?) async throws {
        let now = self.now
        let environmentText = try environment.map { try RecordJSON.text($0) }
        try await write { connection in
            let updated = try await connection.query("""
                UPDATE agents SET state = \(state.rawValue), environment = COALESCE(\(environmentText), environment), last_heartbeat = \(now)
                WHERE id = \(id) RETURNING 1
                """, logger: self.logger).collect(Int.self)
            if updated.isEmpty { throw LaunchError.notFound("agent \(id) not found") }
        }
        announcements.announce(.change)
    }

    public func agents() async throws -> [Agent] {
        let now = self.now
        let lostAfter = limits.agentLostAfter
        return try await read { connection in
            var agents: [Agent] = []
            for try await row in try await connection.query("SELECT \(unescaped: PostgresRows.agentSelection) FROM agents ORDER BY name, id",
                                                            logger: self.logger) {
                var agent = try PostgresRows.agent(row)
                agent.state = agent.effectiveState(now: now, lostAfter: lostAfter)
                agents.append(agent)
            }
            return agents
        }
    }

    public func agent(id: String) async throws -> Agent {
        try Agent.pick(id, from: try await agents())
    }

    public func requestAgentStop(_ reference: String) async throws -> Agent {
        let agent = try await self.agent(id: reference)
        guard agent.isLive else { throw LaunchError.conflict("agent \(agent.name) (\(agent.id)) is \(agent.state): nothing to stop") }
        try await write { connection in
            try await connection.query("UPDATE agents SET stop_requested = true WHERE id = \(agent.id)", logger: self.logger)
        }
        announcements.announce(.change)
        return agent
    }
}

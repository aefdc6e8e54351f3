import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

extension PostgresBackend {
    public func createToken(_ token: APIToken, secretHash: String) async throws {
        let queues = try token.queues.map { try RecordJSON.text($0) }
        try await write { connection in
            // Locked, so two servers cannot each make a live token of one name.
            try await connection.query("LOCK TABLE api_tokens IN SHARE ROW EXCLUSIVE MODE", logger: self.logger)
            let taken = try await connection.query("SELECT 1 FROM api_tokens WHERE name = \(token.name) AND revoked_at IS NULL",
                                                   logger: self.logger).collect(Int.self)
            if !taken.isEmpty {
                throw LaunchError.conflict("a token named \(token.name.escapedForMessage) exists; revoke it first or choose another --name")
            }
            try await connection.query("""
                INSERT INTO api_tokens (id, secret_hash, name, role, queues, created_at, expires_at, revoked_at)
                VALUES (\(token.id), \(secretHash), \(token.name), \(token.role.rawValue), \(queues), \(token.createdAt), \(token.expiresAt), NULL)
                """, logger: self.logger)
        }
    }

    public func token(secretHash: String) async throws -> (token: APIToken, secretHash: String)? {
        try await read { connection in
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.tokenSelection) FROM api_tokens WHERE secret_hash = \(secretHash)
                """, logger: self.logger) {
                return try PostgresRows.token(row)
            }
            return nil
        }
    }

    public func tokens() async throws -> [APIToken] {
        try await read { connection in
            var tokens: [APIToken] = []
            for try await row in try await connection.query("SELECT \(unescaped: PostgresRows.tokenSelection) FROM api_tokens ORDER BY created_at, id",
                                                            logger: self.logger) {
                tokens.append(try PostgresRows.token(row).token)
            }
            return tokens
        }
    }

    @discardableResult
    public func revokeToken(_ reference: String) async throws -> APIToken {
        let now = self.now
        return try await write { connection in
            // The whole id or name only: a prefix as short as "0" would name the admin's token.
            var chosen: APIToken?
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.tokenSelection) FROM api_tokens
                WHERE revoked_at IS NULL AND (name = \(reference) OR id = \(reference.uppercased())) ORDER BY created_at LIMIT 1 FOR UPDATE
                """, logger: self.logger) {
                chosen = try PostgresRows.token(row).token
            }
            guard var token = chosen else { throw LaunchError.notFound("no live token named or with id \(reference.escapedForMessage)") }
            try await connection.query("UPDATE api_tokens SET revoked_at = \(now) WHERE id = \(token.id)", logger: self.logger)
            token.revokedAt = now
            return token
        }
    }
}

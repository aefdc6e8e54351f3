import Foundation
import GRDB
import LaunchAPI
import LaunchModel

extension SQLiteBackend {
    public func createToken(_ token: APIToken, secretHash: String) async throws {
        try await write { db, _ in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL", arguments: [token.name]) == true {
                throw LaunchError.conflict("a token named \(token.name.escapedForMessage) exists; revoke it first or choose another --name")
            }
            try db.execute(sql: """
                INSERT INTO api_tokens (id, secret_hash, name, role, queues, created_at, expires_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                """, arguments: [token.id, secretHash, token.name, token.role.rawValue, try token.queues.map(SQLiteRows.json),
                                 token.createdAt.timeIntervalSince1970, token.expiresAt?.timeIntervalSince1970])
        }
    }

    public func token(secretHash: String) async throws -> (token: APIToken, secretHash: String)? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_tokens WHERE secret_hash = ?"), arguments: [secretHash])
                .map { row in (try Self.token(row), row["secret_hash"] as String) }
        }
    }

    public func tokens() async throws -> [APIToken] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY created_at, id").map(Self.token)
        }
    }

    @discardableResult
    public func revokeToken(_ reference: String) async throws -> APIToken {
        let now = self.now
        return try await write { db, _ in
            // The whole id or name only: a prefix as short as "0" would name the admin's token.
            let chosen = try Row.fetchAll(db, sql: "SELECT * FROM api_tokens WHERE revoked_at IS NULL AND (name = ? OR id = ?)",
                                          arguments: [reference, reference.uppercased()]).map(Self.token)
            guard let token = chosen.first else { throw LaunchError.notFound("no live token named or with id \(reference.escapedForMessage)") }
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, token.id])
            var revoked = token
            revoked.revokedAt = now
            return revoked
        }
    }

    static func token(_ row: Row) throws -> APIToken {
        let roleText: String = row["role"]
        guard let role = APIRole(rawValue: roleText) else {
            throw LaunchError.storage("token \(row["id"] as String): unknown role \(roleText) in the database")
        }
        let queues: String? = row["queues"]
        return APIToken(id: row["id"], name: row["name"], role: role, queues: try queues.map { try SQLiteRows.decode([String].self, $0) },
                        createdAt: SQLiteRows.date(row, "created_at") ?? Date(timeIntervalSince1970: 0),
                        expiresAt: SQLiteRows.date(row, "expires_at"), revokedAt: SQLiteRows.date(row, "revoked_at"))
    }
}

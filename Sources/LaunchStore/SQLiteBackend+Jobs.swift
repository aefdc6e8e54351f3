import Foundation
import GRDB
import LaunchModel

extension SQLiteBackend {
    public func createJob(name: String, spec: JobSpec) async throws -> (version: JobVersion, created: Bool) {
        try Names.validateJobName(name)
        try spec.validate()
        let now = self.now
        return try await write { db, _ in
            if let latestRow = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE name = ? ORDER BY version DESC LIMIT 1", arguments: [name]) {
                let latest = try SQLiteRows.job(latestRow)
                if latest.digest == spec.digest { return (latest, false) }
                let version = JobVersion(name: name, version: latest.version + 1, spec: spec, createdAt: now)
                try Self.insert(version, db)
                return (version, true)
            }
            let version = JobVersion(name: name, version: 1, spec: spec, createdAt: now)
            try Self.insert(version, db)
            return (version, true)
        }
    }

    private static func insert(_ version: JobVersion, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO jobs (name, version, spec, digest, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [version.name, version.version, try SQLiteRows.json(version.spec), version.digest,
                                   version.createdAt.timeIntervalSince1970])
    }

    public func jobs() async throws -> [JobSummary] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT j.*, c.count FROM jobs j
                JOIN (SELECT name, MAX(version) AS latest, COUNT(*) AS count FROM jobs GROUP BY name) c
                  ON c.name = j.name AND c.latest = j.version
                ORDER BY j.name
                """)
            return try rows.map { JobSummary(name: $0["name"], latest: try SQLiteRows.job($0), versionCount: $0["count"]) }
        }
    }

    public func jobVersions(name: String) async throws -> [JobVersion] {
        let versions = try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE name = ? ORDER BY version", arguments: [name]).map(SQLiteRows.job)
        }
        if versions.isEmpty { throw LaunchError.notFound("job \"\(name.escapedForMessage)\" not found") }
        return versions
    }

    public func resolveJob(_ reference: JobReference) async throws -> JobVersion {
        try await read { db in try Self.resolveJob(reference, db) }
    }

    static func resolveJob(_ reference: JobReference, _ db: Database) throws -> JobVersion {
        let row: Row?
        if let version = reference.version {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE name = ? AND version = ?"), arguments: [reference.name, version])
        } else {
            row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE name = ? ORDER BY version DESC LIMIT 1", arguments: [reference.name])
        }
        guard let row else {
            let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE name = ?)", arguments: [reference.name]) ?? false
            if exists { throw LaunchError.notFound("job \(reference) not found (no such version)") }
            throw LaunchError.notFound("job \"\(reference.name.escapedForMessage)\" not found")
        }
        return try SQLiteRows.job(row)
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

extension PostgresBackend {
    public func createJob(name: String, spec: JobSpec) async throws -> (version: JobVersion, created: Bool) {
        try Names.validateJobName(name)
        try spec.validate()
        let now = self.now
        let specText = try RecordJSON.text(spec)
        return try await write { connection in
            // Two servers creating the next version at once: the second's insert hits the primary key, and `write`
            // runs it again, when it finds the first's version (equal content) or makes the one after.
            let latest = try await Self.latestJob(name: name, connection, logger: self.logger)
            if let latest, latest.digest == spec.digest { return (latest, false) }
            let version = JobVersion(name: name, version: (latest?.version ?? 0) + 1, spec: spec, createdAt: now)
            try await connection.query("""
                INSERT INTO jobs (name, version, spec, digest, created_at)
                VALUES (\(version.name), \(version.version), \(specText), \(version.digest), \(version.createdAt))
                """, logger: self.logger)
            return (version, true)
        }
    }

    static func latestJob(name: String, _ connection: PostgresConnection, logger: Logger) async throws -> JobVersion? {
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresRows.jobSelection) FROM jobs WHERE name = \(name) ORDER BY version DESC LIMIT 1
            """, logger: logger) {
            return try PostgresRows.job(row)
        }
        return nil
    }

    public func jobs() async throws -> [JobSummary] {
        try await read { connection in
            var summaries: [JobSummary] = []
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.jobSelection.split(separator: ", ").map { "j.\($0)" }.joined(separator: ", ")), c.count
                FROM jobs j JOIN (SELECT name, MAX(version) AS latest, COUNT(*) AS count FROM jobs GROUP BY name) c
                  ON c.name = j.name AND c.latest = j.version
                ORDER BY j.name
                """, logger: self.logger) {
                let job = try PostgresRows.job(row)
                let count = try row.makeRandomAccess()[5].decode(Int.self)
                summaries.append(JobSummary(name: job.name, latest: job, versionCount: count))
            }
            return summaries
        }
    }

    public func jobVersions(name: String) async throws -> [JobVersion] {
        let versions = try await read { connection in
            var versions: [JobVersion] = []
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.jobSelection) FROM jobs WHERE name = \(name) ORDER BY version
                """, logger: self.logger) {
                versions.append(try PostgresRows.job(row))
            }
            return versions
        }
        if versions.isEmpty { throw LaunchError.notFound("job \"\(name.escapedForMessage)\" not found") }
        return versions
    }

    public func resolveJob(_ reference: JobReference) async throws -> JobVersion {
        try await read { connection in try await Self.resolveJob(reference, connection, logger: self.logger) }
    }

    static func resolveJob(_ reference: JobReference, _ connection: PostgresConnection, logger: Logger) async throws -> JobVersion {
        if let version = reference.version {
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.jobSelection) FROM jobs WHERE name = \(reference.name) AND version = \(version)
                """, logger: logger) {
                return try PostgresRows.job(row)
            }
        } else if let latest = try await latestJob(name: reference.name, connection, logger: logger) {
            return latest
        }
        let exists = try await connection.query("SELECT EXISTS (SELECT 1 FROM jobs WHERE name = \(reference.name))", logger: logger)
            .collect(Bool.self).first ?? false
        if exists { throw LaunchError.notFound("job \(reference) not found (no such version)") }
        throw LaunchError.notFound("job \"\(reference.name.escapedForMessage)\" not found")
    }
}

import Foundation
import TestSupport
import Testing

/// The PostgreSQL cluster `scripts/postgres-local start` runs for the PostgreSQL backend (`.ci/run` starts it): on
/// loopback only, its role reached with the password of a 0600 file and not without it.
@Suite struct PostgresLocalTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-local").path

    struct Output {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `argv` with `environment` added to this process's, minus the libpq variables a developer may have set.
    static func run(_ argv: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        merged.merge(environment) { $1 }
        process.environment = merged
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, output: String(decoding: stdout, as: UTF8.self),
                      errors: String(decoding: stderr, as: UTF8.self))
    }

    @Test func theClusterListensOnLoopbackAndNeedsItsPassword() throws {
        guard RequiredComponent.available("PostgreSQL (run scripts/postgres-local start)", probe: ["bash", Self.script, "status"]) else { return }
        let status = try Self.run(["bash", Self.script, "status"])
        let lines = status.output.split(separator: "\n").map(String.init)
        let url = try #require(lines.first { $0.hasPrefix("postgres://") }, "\(status.output)")
        #expect(url.contains("@127.0.0.1:"), "\(url)")
        #expect(!url.contains(":", after: "postgres://"), "no password in the URL: \(url)")
        let passwordFile = try #require(lines.first { $0.hasPrefix("password file: ") }.map { String($0.dropFirst("password file: ".count)) })
        let attributes = try FileManager.default.attributesOfItem(atPath: passwordFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count >= 20)

        // The password goes in the environment, never in argv.
        let query = ["psql", url, "-X", "-tA", "-c", "SELECT current_user || ' ' || current_setting('listen_addresses')"]
        let signedIn = try Self.run(query, environment: ["PGPASSWORD": password])
        #expect(signedIn.status == 0, "\(signedIn.errors)")
        #expect(signedIn.output.trimmingCharacters(in: .whitespacesAndNewlines) == "launchdeck 127.0.0.1")
        let refused = try Self.run(query, environment: ["PGPASSWORD": "wrong", "PGCONNECT_TIMEOUT": "5"])
        #expect(refused.status != 0 && refused.errors.contains("password authentication failed"), "\(refused.errors)")
    }
}

extension String {
    /// Whether `character` occurs after the first `prefix` (the scheme of a URL, say).
    fileprivate func contains(_ character: Character, after prefix: String) -> Bool {
        guard let range = range(of: prefix) else { return false }
        return self[range.upperBound...].split(separator: "@").first?.contains(character) ?? false
    }
}

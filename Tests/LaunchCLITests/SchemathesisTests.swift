import Foundation
import TestSupport
import Testing

/// schemathesis (from PyPI; .ci/run installs it) generates requests from the OpenAPI document and sends them to a live
/// server: no response may be a 5xx, and every response must fit the document (status, content type, schema).
@Suite(.serialized) struct SchemathesisTests {
    /// `LAUNCHDECK_SCHEMATHESIS`, else the one .ci/run installs, else whichever is on PATH.
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["LAUNCHDECK_SCHEMATHESIS"], !path.isEmpty { return path }
        let cache = (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/launchdeck-ci/venv/bin/schemathesis"
        return FileManager.default.isExecutableFile(atPath: cache) ? cache : "schemathesis"
    }

    @Test func generatedRequestsGetNo5xxAndRepliesThatFitTheDocument() async throws {
        guard RequiredComponent.available("schemathesis", probe: [Self.executable, "--version"]) else { return }
        let server = try await ServerProcess.start()
        defer { server.process.terminate() }
        let runner = try LaunchdeckProcess()
        let report = runner.home.appendingPathComponent("schemathesis.txt")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            Self.executable, "run", "\(server.url)/api/v1/openapi.json",
            "--header", "Authorization: Bearer \(server.adminToken)",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            // Revoking tokens would revoke the one this run uses, leaving nothing but 401s to test.
            "--exclude-operation-id", "revokeToken",
            // Long polls may be held for a minute.
            "--request-timeout", "75", "--max-time", "30", "--workers", "1", "--seed", "1",
        ]
        _ = FileManager.default.createFile(atPath: report.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: report)
        process.standardError = process.standardOutput
        // schemathesis keeps a cache (`.schemathesis/`) in its working directory: the runner's scratch, not the repository.
        process.currentDirectoryURL = runner.home
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        try process.run()
        await process.exited()
        let output = try String(contentsOf: report, encoding: .utf8)
        #expect(process.terminationStatus == 0, "schemathesis found problems:\n\(output.suffix(6000))")
        let serverLog = (try? String(contentsOf: server.errors, encoding: .utf8)) ?? ""
        #expect(!serverLog.contains("status=5"), "the server answered 5xx: \(serverLog.split(separator: "\n").filter { $0.contains("status=5") }.prefix(5))")
    }
}

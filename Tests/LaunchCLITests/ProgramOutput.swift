import Foundation
import TestSupport

/// Runs a program found on PATH (git, podman, squeue) and returns what it printed on stdout, trimmed; stderr is
/// dropped. Throws only when the program cannot be started. Output goes to a file and the wait holds no thread
/// (see `LaunchdeckProcess.run`).
func programOutput(_ argv: [String]) async throws -> String {
    let output = TestScratch.directory("program-output")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    await process.exited()
    return ((try? String(contentsOf: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
}

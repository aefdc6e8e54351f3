import Foundation
import TestSupport

/// Runs the built `launchdeck` binary as a user would, with its own data directory.
struct LaunchdeckProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary sits beside the test bundle in the build directory; `LAUNCHDECK_BINARY` overrides it.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["LAUNCHDECK_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On macOS the runner lives inside the .xctest bundle.
        while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("launchdeck")
    }()

    let home: URL
    var environment: [String: String] = [:]

    init() throws {
        home = TestScratch.directory("cli")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    /// `executable`: another program to run with this home's environment (a wrapper such as `ip netns exec`).
    func start(_ arguments: [String], stdout: URL, stderr: URL, extraEnvironment: [String: String] = [:], executable: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? Self.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["LAUNCHDECK_HOME"] = home.path
        env.merge(environment) { $1 }
        env.merge(extraEnvironment) { $1 }
        process.environment = env
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Output goes to files, not pipes, so a chatty command can never block on a full pipe. The wait holds no
    /// thread: tests share Swift's cooperative pool (two threads on a two-core machine), and a test blocked in
    /// `waitUntilExit` starves every async test beside it.
    @discardableResult
    func run(_ arguments: String..., environment extra: [String: String] = [:]) async throws -> Result {
        try await run(arguments, environment: extra)
    }

    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:], executable: String? = nil) async throws -> Result {
        let out = home.appendingPathComponent("out-\(UUID().uuidString)")
        let err = home.appendingPathComponent("err-\(UUID().uuidString)")
        let process = try start(arguments, stdout: out, stderr: err, extraEnvironment: extra, executable: executable)
        await process.exited()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: out, encoding: .utf8),
                      stderr: try String(contentsOf: err, encoding: .utf8))
    }

    func write(_ name: String, _ content: String, executable: Bool = false) throws -> URL {
        let url = home.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
        return url
    }

    func json(_ arguments: String...) async throws -> Any {
        let result = try await run(arguments)
        guard result.status == 0 else { throw Failure(message: "\(arguments) exited \(result.status): \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

extension Process {
    /// Waits for the process to end without holding a thread (see `LaunchdeckProcess.run`).
    func exited() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(5)) }
    }
}

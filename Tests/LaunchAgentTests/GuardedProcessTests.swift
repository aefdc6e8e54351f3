import Foundation
@testable import LaunchAgent
import LaunchModel
import Synchronization
import Testing

/// The guard against the real `launchdeck-guard`, built with the package beside the test runner.
@Suite struct GuardedProcessTests {
    static let guardPath: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("launchdeck-guard").path
    }()

    struct Refused: Error, Equatable {}

    let runner = GuardedProcess(guardPath: guardPath, stopGraceSeconds: 1)
    let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]

    @Test func theJobStartsOnlyAfterTheGateReturns() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.guardPath), "launchdeck-guard is built with the package")
        let gateDone = Mutex<Double>(0)
        let printed = Mutex<[String]>([])
        let status = try await runner.run(ProcessSpec(executable: "date", arguments: ["+%s.%N"], environment: environment),
                                          handle: ProcessGroupHandle(), startWhen: {
            try await Task.sleep(for: .milliseconds(300))
            gateDone.withLock { $0 = Date().timeIntervalSince1970 }
        }) { _, line in printed.withLock { $0.append(line) } }
        #expect(status == 0)
        let started = try #require(printed.withLock { $0.first }.flatMap(Double.init))
        #expect(started >= gateDone.withLock { $0 }, "the job ran before its item was recorded as running")
    }

    @Test func aGateThatThrowsStartsNothingAndRethrows() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)")
        await #expect(throws: Refused.self) {
            _ = try await runner.run(ProcessSpec(executable: "touch", arguments: [marker.path], environment: environment),
                                     handle: ProcessGroupHandle(), startWhen: { throw Refused() }) { _, _ in }
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the job ran although its gate refused")
    }

    @Test func aStopBeforeTheGateOpensEndsTheGuardWithoutTheJob() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)")
        let handle = ProcessGroupHandle()
        let status = try await runner.run(ProcessSpec(executable: "touch", arguments: [marker.path], environment: environment),
                                          handle: handle, startWhen: {
            handle.stop()
            try await Task.sleep(for: .milliseconds(200))
        }) { _, _ in }
        #expect(status == 128 + SIGTERM)
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the job ran although it was stopped before it started")
    }
}

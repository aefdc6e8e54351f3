import ArgumentParser
import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore

/// Tools for tests and benchmarks; hidden from help.
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug", abstract: "Internal tools for tests and benchmarks.", shouldDisplay: false,
        subcommands: [LeaseWorker.self, EnqueueBurst.self, IntegrityCheck.self, HoldWriteLock.self])
}

/// Leases items until the queues stay empty, printing each leased id on its own line and finishing it,
/// so several of these in separate processes exercise lease exclusivity on one database file.
struct LeaseWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lease-worker")
    @Option var agent: String
    @Option var queue: [String]
    @Option var batch: Int = 1
    @Option(help: "Stop after this many empty leases in a row.") var idleRounds: Int = 3

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        guard batch >= 1 else { throw LaunchError.invalidInput("--batch: must be at least 1") }
        let backend = try await CommandContext.open(connection).backend
        var idle = 0
        var output = ""
        while idle < idleRounds {
            let items = try await backend.lease(agent: agent, queues: queue, max: batch, leaseFor: 60)
            if items.isEmpty {
                idle += 1
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            idle = 0
            for item in items {
                output += item.id + "\n"
                try await backend.reportState(item.currentAttempt!, to: .succeeded, exitCode: 0, error: nil)
            }
        }
        print(output, terminator: "")
    }
}

/// Enqueues items one transaction at a time and prints each acknowledged id at once, so a test can kill it
/// mid-burst and check that every acknowledged item survived.
struct EnqueueBurst: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enqueue-burst")
    @Option var job: String
    @Option var queue: String
    @Option var count: Int = 1000
    @Option(help: "Keep retrying an enqueue the backend calls unavailable for this long (a server or database restarting).")
    var retryFor: Double = 0

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        for _ in 0..<count {
            // One key per item, kept across retries, as a careful client does: a retry of an enqueue that was stored
            // but whose reply was lost returns the stored item instead of a second one.
            let request = EnqueueRequest(job: try JobReference(parsing: job), queue: queue, idempotencyKey: UUID().uuidString)
            let deadline = ContinuousClock.now + .milliseconds(Int(retryFor * 1000))
            while true {
                do {
                    let item = try await backend.enqueue(request)
                    FileHandle.standardOutput.write(Data((item.id + "\n").utf8))
                    break
                } catch let error as LaunchError where error.isTransient && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }
}

/// Runs SQLite's `PRAGMA integrity_check` on the data directory's database.
struct IntegrityCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "integrity-check")

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let result = try await CommandContext.open(connection).requireEmbedded(for: "integrity-check").integrityCheck()
        print(result)
        if result != "ok" { throw CommandExit(code: 1, message: "integrity check failed") }
    }
}

/// Holds SQLite's write lock on the data directory's database for a while, as another process stuck mid-write would,
/// so tests can check that a busy store is not mistaken for dead agents.
struct HoldWriteLock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold-write-lock")
    @Option var seconds: Double

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        guard seconds >= 0, seconds <= 3600 else { throw LaunchError.invalidInput("--seconds: must be 0 to 3600") }
        let backend = try await CommandContext.open(connection).requireEmbedded(for: "hold-write-lock")
        try await backend.holdWriteLock(for: seconds) {
            FileHandle.standardOutput.write(Data("locked\n".utf8))
        }
    }
}

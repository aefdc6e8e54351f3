import Foundation
import LaunchModel
import Synchronization

/// Agents' reports written together: a report that arrives while others are being written waits for the next
/// transaction and goes in it with every other that came meanwhile (group commit, as River's completer batches job
/// completions). One report alone is written at once, so nothing waits for a batch to fill; under load, a commit
/// (PostgreSQL's fsync of the WAL, about 0.4 ms here) carries as many reports as arrived during the one before. At most
/// `writers` batches are in flight, so reports leave connections of the pool to leases and reads.
final class ReportCommits: Sendable {
    struct Report: Sendable {
        let attempt: ItemAttempt
        let state: ItemState
        let exitCode: Int?
        let error: String?
    }

    /// Writes a batch in one transaction: one result per report, in order.
    typealias Writer = @Sendable ([Report]) async -> [Result<LaunchItem, any Error>]

    private struct Waiting {
        let report: Report
        let continuation: CheckedContinuation<LaunchItem, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let writers: Int
    /// Rows locked by one transaction: enough to carry every agent's burst, short enough to commit in milliseconds.
    private let largestBatch = 256
    /// One ring per writer to start.
    private let rings = AsyncStream<Void>.makeStream()
    private let unavailable: @Sendable () -> any Error

    init(writers: Int, unavailable: @escaping @Sendable () -> any Error) {
        self.writers = max(1, writers)
        self.unavailable = unavailable
    }

    /// What the report made of its item, once its batch has committed (or its error: the lifecycle's refusal of this
    /// report alone, or the database's of the whole batch). A caller that goes away meanwhile leaves its report in
    /// the batch, as a request already sent would be.
    func submit(_ report: Report) async throws -> LaunchItem {
        try await withCheckedThrowingContinuation { continuation in
            let startsWriter = state.withLock { state -> Bool? in
                if state.closed { return nil }
                state.waiting.append(Waiting(report: report, continuation: continuation))
                guard state.writing < writers else { return false }
                state.writing += 1
                return true
            }
            switch startsWriter {
            case nil: continuation.resume(throwing: unavailable())
            case true?: rings.continuation.yield()
            case false?: break
            }
        }
    }

    /// Until cancelled: writes what waits with `write`, a writer per ring; then fails what is left, and what comes.
    func run(_ write: @escaping Writer) async {
        await withDiscardingTaskGroup { group in
            for await _ in rings.stream {
                group.addTask { await self.drain(write) }
            }
        }
        let left = state.withLock { state -> [Waiting] in
            state.closed = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiting in left { waiting.continuation.resume(throwing: unavailable()) }
    }

    /// One writer: batch after batch until nothing waits.
    private func drain(_ write: Writer) async {
        while true {
            let batch = state.withLock { state -> [Waiting]? in
                guard !state.waiting.isEmpty else {
                    state.writing -= 1
                    return nil
                }
                let taken = Array(state.waiting.prefix(largestBatch))
                state.waiting.removeFirst(taken.count)
                return taken
            }
            guard let batch else { return }
            let results = await write(batch.map(\.report))
            for (waiting, result) in zip(batch, results) { waiting.continuation.resume(with: result) }
        }
    }
}

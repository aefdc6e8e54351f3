import Foundation
import LaunchAPI
import LaunchModel
import Synchronization

/// Requests written together (group commit, as River's completer batches job completions and its producers fetch for
/// many workers at once): a request that arrives while others are being written waits for the next write and goes in
/// it with every other that came meanwhile. One request alone is written at once, so nothing waits for a batch to
/// fill; under load, one statement or transaction carries as many requests as arrived during the one before. At most
/// `writers` batches are in flight, so a kind of request leaves the pool's other connections to the rest.
final class GroupCommit<Request: Sendable, Answer: Sendable>: Sendable {
    /// Writes a batch: one result per request, in order.
    typealias Writer = @Sendable ([Request]) async -> [Result<Answer, any Error>]

    private struct Waiting {
        let request: Request
        let continuation: CheckedContinuation<Answer, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let writers: Int
    private let largestBatch: Int
    /// One ring per writer to start.
    private let rings = AsyncStream<Void>.makeStream()
    private let unavailable: @Sendable () -> any Error
    /// Below a server's request timeout (30 s), so a caller hears of a write that never ends before its client does.
    static var writeLimit: Duration { .seconds(20) }

    /// `largestBatch`: the most requests one write carries, enough for every agent's burst and small enough that the
    /// rows it locks are held for milliseconds only.
    init(writers: Int, largestBatch: Int, unavailable: @escaping @Sendable () -> any Error) {
        self.writers = max(1, writers)
        self.largestBatch = max(1, largestBatch)
        self.unavailable = unavailable
    }

    /// What the write made of the request, once its batch is written (or its error: the refusal of this request alone,
    /// or the database's of the whole batch). A caller that goes away meanwhile leaves its request in the batch, as a
    /// request already sent would be.
    func submit(_ request: Request) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            let startsWriter = state.withLock { state -> Bool? in
                if state.closed { return nil }
                state.waiting.append(Waiting(request: request, continuation: continuation))
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
    private func drain(_ write: @escaping Writer) async {
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
            let requests = batch.map(\.request)
            // A write the pool never serves (postgres-nio 1.33 can strand a request for a connection made while the
            // database was down) would hold this writer, and with it a share of every later request, for good: the
            // callers have given up by the time limit, so the batch fails as unavailable and the writer goes on.
            let results: [Result<Answer, any Error>]
            do {
                results = try await withTimeout(Self.writeLimit, timedOut: { LaunchError.unavailable("the database did not answer within \(Self.writeLimit); try again") }) {
                    await write(requests)
                }
            } catch {
                results = requests.map { _ in .failure(error) }
            }
            for (waiting, result) in zip(batch, results) { waiting.continuation.resume(with: result) }
        }
    }
}

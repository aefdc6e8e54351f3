import Foundation
import LaunchAPI
import LaunchModel
import Logging
import PostgresNIO
import Synchronization

/// Ends the transactions whose connection closed under them. postgres-nio can leave a query waiting for ever on a
/// connection that closed while it was being sent (found here with `pg_ctl stop -m immediate` mid-burst: about one
/// outage in three left one request hanging, the server's own timeout unable to end it because the query ignores
/// cancellation; upstream's fix, vapor/postgres-nio#487, was reverted in #501). So each transaction runs in a task of
/// its own while its caller waits on a continuation, and one loop looks at the connections of those in flight every
/// `interval`: a closed one fails its transaction as unreachable (the client tries again), and the stuck task is left
/// to the connection's end. A transaction on a healthy connection costs a task, a continuation, and an insert and a
/// removal here.
final class ClosedConnectionWatch: Sendable {
    static let interval: Duration = .milliseconds(200)

    private struct Watched {
        let connection: PostgresConnection
        let abandon: @Sendable () -> Void
    }

    private let watched = Mutex<[UInt64: Watched]>([:])
    private let counter = Atomic<UInt64>(0)
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// One transaction's caller, resumed once: by its work, or by the watch.
    private final class Waiter<T: Sendable>: Sendable {
        let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let work = Mutex<Task<Void, Never>?>(nil)

        func resume(with result: Result<T, any Error>) {
            continuation.withLock { $0.take() }?.resume(with: result)
        }
    }

    /// `body` on `connection`, or `unavailable` as soon as the connection is seen closed while it runs. Cancelling
    /// the caller cancels `body`, as if it ran inline.
    func run<T: Sendable>(on connection: PostgresConnection, location: PostgresLocation,
                          _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let key = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let waiter = Waiter<T>()
        defer { _ = watched.withLock { $0.removeValue(forKey: key) } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.continuation.withLock { $0 = continuation }
                let task = Task {
                    waiter.resume(with: await Result(catching: body))
                }
                waiter.work.withLock { $0 = task }
                if Task.isCancelled { task.cancel() }
                watched.withLock {
                    $0[key] = Watched(connection: connection) {
                        task.cancel()
                        waiter.resume(with: .failure(LaunchError.unavailable(
                            "PostgreSQL at \(location.description) closed the connection during a transaction; try again")))
                    }
                }
            }
        } onCancel: {
            waiter.work.withLock { $0 }?.cancel()
        }
    }

    /// Until cancelled: fails the transactions whose connection has closed.
    func watch() async {
        while (try? await Task.sleep(for: Self.interval)) != nil {
            let closed = watched.withLock { entries in entries.values.filter { $0.connection.isClosed } }
            if !closed.isEmpty {
                logger.warning("\(closed.count) transaction\(closed.count == 1 ? "" : "s") lost \(closed.count == 1 ? "its" : "their") connection mid-way and \(closed.count == 1 ? "was" : "were") answered unavailable")
            }
            for entry in closed { entry.abandon() }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: @Sendable () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

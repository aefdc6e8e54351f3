import Foundation

/// `body`'s value, or `timedOut()` thrown once `limit` has passed; `body` is cancelled then, so what it waits on
/// (a request, a pool's connection) is given up rather than left waiting for good.
public func withTimeout<T: Sendable>(_ limit: Duration, timedOut: @escaping @Sendable () -> any Error,
                                     _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw timedOut() }
        return value
    }
}

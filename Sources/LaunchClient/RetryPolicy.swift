import Foundation

/// How a client tries a request again after a transient failure: exponential backoff with full jitter (so clients cut
/// off together do not come back together), for a bounded number of attempts.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var base: Duration
    public var cap: Duration

    public init(attempts: Int = 5, base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.attempts = attempts
        self.base = base
        self.cap = cap
    }

    /// No retries: for callers that retry themselves (the agent's reports, retried while the lease allows).
    public static let none = RetryPolicy(attempts: 1)

    /// The pause before retry number `retry` (1 for the first): random in [0, min(cap, base * 2^(retry-1))].
    public func delay(before retry: Int) -> Duration {
        let ceiling = min(cap, base * (1 << min(20, max(0, retry - 1))))
        let nanoseconds = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(0, nanoseconds)))
    }
}

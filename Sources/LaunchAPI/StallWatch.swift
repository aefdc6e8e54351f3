import Synchronization

/// What one process saw of the store being stalled: a write that waited long for the store (another process held
/// SQLite's write lock), or writes that failed (a full disk, a lock held past the busy timeout, PostgreSQL out of
/// reach). The next write that gets through records the stall in the store (`noteStall` of each backend), so no
/// process reclaims leases that ran out only because their agents could not write either.
public final class StallWatch: Sendable {
    /// Writes hold the lock for milliseconds; a wait this long means the store itself was stuck.
    public static let defaultLongWait: Duration = .seconds(2)
    /// Seconds without reclaims after a stall: more than the longest heartbeat interval an agent may have (10 s).
    public static let reclaimPause: Double = 12

    private let failedSince = Mutex<ContinuousClock.Instant?>(nil)
    /// The wait taken as a stall.
    public let longWait: Duration

    public init(longWait: Duration = StallWatch.defaultLongWait) {
        self.longWait = longWait
    }

    public func failed() {
        failedSince.withLock { $0 = $0 ?? .now }
    }

    /// Whether this write follows a stall; clears what it saw, as the write records it.
    public func stalled(waited: Duration) -> Bool {
        let failedBefore = failedSince.withLock { since -> Bool in
            defer { since = nil }
            // Failures long ago say nothing about the leases running out now.
            return since.map { ContinuousClock.now - $0 < .seconds(300) } ?? false
        }
        return failedBefore || waited >= longWait
    }
}

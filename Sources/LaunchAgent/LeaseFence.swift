import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A point on CLOCK_BOOTTIME, the clock agents and guards share on a machine: it does not jump with the wall clock,
/// and it goes on while the machine sleeps, as the wall-clock time of a lease in the store does.
public struct BootInstant: Comparable, Sendable, Hashable {
    public var nanoseconds: Int64

    public static var now: BootInstant {
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return BootInstant(nanoseconds: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    public static func < (lhs: BootInstant, rhs: BootInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func adding(seconds: Double) -> BootInstant {
        BootInstant(nanoseconds: nanoseconds + Int64((seconds * 1e9).rounded()))
    }

    /// Seconds from `earlier` to this instant.
    public func seconds(since earlier: BootInstant) -> Double { Double(nanoseconds - earlier.nanoseconds) / 1e9 }
}

/// The timing that keeps two attempts of an item from ever running at once, whatever happens to the agent.
///
/// The store grants or renews a lease of L seconds when it processes the request, at or after the moment the agent
/// sent it (`sentAt`); another agent can lease the item only once L seconds have passed since the store's last grant.
/// The agent tells each of its guards to begin stopping the job at `sentAt + L - margin` (the fence), and moves the
/// fence on each time a renewal succeeds, from the moment that renewal was sent. Stopping takes at most `grace`
/// (SIGTERM, then SIGKILL to the whole process tree) plus `slack` for the stop command (`podman rm`, `scancel`) and for
/// scheduling, so the job is gone by `sentAt + L` at the latest, no later than the lease's end as the store counts it,
/// before any other attempt can start. This holds when the agent is frozen, paused (SIGSTOP), cut off from its store,
/// or dead: the guard keeps time itself and needs nothing from the agent to stop the job.
///
/// `margin = grace + slack` with `grace = min(stop grace, L/4)` and `slack = min(2 s, L/4)`, so the fence comes at least
/// L/2 after each renewal was sent; heartbeats come every H < L/2 seconds (the agent refuses slower ones), so a healthy
/// agent always renews before its fence. With the defaults (L = 30 s, H = 2 s, stop grace 5 s) a job is stopped
/// after 23 s without a successful renewal.
///
/// Limits: the store measures leases on its own wall clock; a wall clock stepped forward by more than `slack` (a
/// large NTP correction) shortens every lease by as much. Slurm ends a cancelled job on its own time (its KillWait).
public struct FenceTiming: Sendable, Hashable {
    public var leaseSeconds: Double
    public var grace: Double
    public var slack: Double

    public init(leaseSeconds: Double, stopGraceSeconds: Double) {
        self.leaseSeconds = leaseSeconds
        grace = min(stopGraceSeconds, leaseSeconds / 4)
        slack = min(2, leaseSeconds / 4)
    }

    public var margin: Double { grace + slack }

    /// When a guard must begin to stop its job, for a lease granted or renewed by a request sent at `sentAt`.
    public func fence(after sentAt: BootInstant) -> BootInstant { sentAt.adding(seconds: leaseSeconds - margin) }
}

/// One attempt's fence: when its guards must begin stopping the job unless the lease is renewed, and the guards to
/// tell when it is. An item's preparation steps (git, pip, podman build) and its job each run under a guard of
/// their own, one after the other; all of them follow the same fence.
public final class LeaseFence: Sendable {
    public let timing: FenceTiming
    private let state: Mutex<(fenceAt: BootInstant, channels: [ObjectIdentifier: SupervisionChannel])>

    public init(timing: FenceTiming, leaseSentAt: BootInstant) {
        self.timing = timing
        state = Mutex((timing.fence(after: leaseSentAt), [:]))
    }

    public var fenceAt: BootInstant { state.withLock { $0.fenceAt } }

    public var hasPassed: Bool { BootInstant.now >= fenceAt }

    /// A renewal sent at `sentAt` succeeded: the fence moves on, and every guard of this attempt hears of it.
    public func renewed(sentAt: BootInstant) {
        let next = timing.fence(after: sentAt)
        state.withLock { state in
            guard next > state.fenceAt else { return }
            state.fenceAt = next
            for channel in state.channels.values { channel.renew(fenceAt: next) }
        }
    }

    /// Starts a guard's job with the current fence, and keeps that guard told of renewals until it is detached.
    func start(_ channel: SupervisionChannel) {
        state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = channel
            channel.sendGo(fenceAt: state.fenceAt)
        }
    }

    func detach(_ channel: SupervisionChannel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

import Foundation

/// An item as the store keeps it: the item, and what only the lifecycle rules need, kept out of `LaunchItem` because
/// a dashboard holds 100,000 of those.
public struct StoredItem: Sendable, Hashable {
    public var item: LaunchItem
    /// The agent whose lease ran out, while no later attempt has started: its final report is still accepted, so a
    /// job that finished while the store could not be written does not run again.
    public var reclaimedFrom: String?

    public init(_ item: LaunchItem, reclaimedFrom: String? = nil) {
        self.item = item
        self.reclaimedFrom = reclaimedFrom
    }
}

/// The rules of an item's life as pure functions: a backend reads the item, asks these what it becomes, and persists
/// the answer in the same transaction. Every backend thereby leases, reports, reclaims and cancels alike.
public enum ItemLifecycle {
    /// What a report did: changed the item, or found it already as reported (a final report delivered twice, a hand-back
    /// of an item whose lease had already run out), which is not an error for the reporter.
    public enum ReportResult: Sendable, Hashable {
        case changed(StoredItem)
        case unchanged(StoredItem)

        public var item: LaunchItem {
            switch self {
            case .changed(let stored), .unchanged(let stored): stored.item
            }
        }
    }

    /// A queued item taken by `agent`: a new attempt, with a lease until `now + seconds`.
    public static func lease(_ item: LaunchItem, to agent: String, at now: Date, for seconds: TimeInterval) throws -> LaunchItem {
        try ItemStateMachine.validate(item: item.id, from: item.state, to: .leased, attempts: item.attempts, maxAttempts: item.maxAttempts)
        var leased = item
        leased.state = .leased
        leased.agentID = agent
        leased.attempts += 1
        leased.leaseExpiresAt = now.addingTimeInterval(seconds)
        leased.exitCode = nil
        leased.progress = nil
        // An earlier attempt's times would count in this one's duration.
        leased.timestamps.building = nil
        leased.timestamps.running = nil
        leased.timestamps.record(.leased, at: now)
        return leased
    }

    /// Whether a heartbeat of `attempt` keeps the item's lease: the attempt is the one in flight. A lease that ran out
    /// but was not reclaimed yet is kept too: no other attempt can have started.
    public static func heartbeatExtends(_ item: LaunchItem, for attempt: ItemAttempt) -> Bool {
        item.state.isInFlight && item.agentID == attempt.agent && item.attempts == attempt.number
    }

    /// Whether the lease ran out by `now`.
    public static func isExpired(_ item: LaunchItem, at now: Date) -> Bool {
        item.state.isInFlight && (item.leaseExpiresAt.map { $0 < now } ?? false)
    }

    /// An item whose lease ran out goes back to its queue at its old place, or fails when its attempts are used up. The
    /// agent is remembered, so its final report of this attempt is still accepted until another attempt starts (a lease,
    /// which starts one, and a cancel forget it).
    public static func reclaim(_ item: LaunchItem, at now: Date) -> StoredItem {
        var reclaimed = item
        let next = ItemStateMachine.stateAfterLostLease(attempts: item.attempts, maxAttempts: item.maxAttempts)
        reclaimed.state = next
        reclaimed.agentID = nil
        reclaimed.leaseExpiresAt = nil
        reclaimed.timestamps.record(next, at: now)
        if next == .failed {
            reclaimed.error = "lease expired after \(item.attempts) attempts (last agent \(item.agentID ?? "?"))"
        }
        return StoredItem(reclaimed, reclaimedFrom: item.agentID)
    }

    /// A report from `attempt`: a move to building or running, a final state, or a hand-back to the queue (a drain, or
    /// a job the agent stopped because it could not renew the lease), which does not use up an attempt.
    ///
    /// Only the current attempt may report. Its final report is accepted also after its lease ran out, as long as no
    /// other attempt has started: the job did finish, and running it again would be the worse answer.
    public static func report(_ stored: StoredItem, from attempt: ItemAttempt, to state: ItemState, exitCode: Int?, error: String?,
                              at now: Date) throws -> ReportResult {
        let item = stored.item
        let ours = item.attempts == attempt.number
        if ours && item.state.isInFlight && item.agentID == attempt.agent {
            // The same report again (its first reply was lost to a server or database restart): it is in already.
            if item.state == state { return .unchanged(stored) }
            var next = item
            if state == .queued { next.attempts = max(0, item.attempts - 1) }
            try ItemStateMachine.validate(item: item.id, from: item.state, to: state, attempts: next.attempts, maxAttempts: item.maxAttempts)
            next.state = state
            next.timestamps.record(state, at: now)
            if state.isFinal || state == .queued { next.leaseExpiresAt = nil }
            if state == .queued { next.agentID = nil }
            if let exitCode { next.exitCode = exitCode }
            if let error { next.error = SecretRedactor.redactText(error) }
            return .changed(StoredItem(next))
        }
        if ours && stored.reclaimedFrom == attempt.agent {
            // The lease ran out, and no other attempt has started since.
            if state == .queued { return .unchanged(stored) }
            guard state.isFinal else {
                throw LaunchError.conflict("\(attempt) lost its lease; the item is \(item.state) again")
            }
            var next = item
            next.state = state
            next.agentID = attempt.agent
            next.exitCode = exitCode
            next.error = error.map(SecretRedactor.redactText)
            next.timestamps.record(state, at: now)
            return .changed(StoredItem(next))
        }
        if ours && item.agentID == attempt.agent && item.state == state && state.isFinal {
            // The same final report again (the first reply was lost): nothing to do.
            return .unchanged(stored)
        }
        throw LaunchError.conflict("\(attempt) is no longer current: the item is \(item.state), attempt \(item.attempts)"
                                   + (item.agentID.map { " by agent \($0)" } ?? ""))
    }

    /// Logs and progress are kept from the current attempt only (also once its lease ran out, as for its final report).
    public static func acceptsOutput(_ stored: StoredItem, from attempt: ItemAttempt) -> Bool {
        acceptsOutput(attempts: stored.item.attempts, agent: stored.item.agentID, reclaimedFrom: stored.reclaimedFrom, from: attempt)
    }

    /// The same from the three fields it depends on, for a backend that reads only those.
    public static func acceptsOutput(attempts: Int, agent: String?, reclaimedFrom: String?, from attempt: ItemAttempt) -> Bool {
        attempts == attempt.number && (agent == attempt.agent || reclaimedFrom == attempt.agent)
    }

    /// The variables an enqueue gets on `queue`: the requested ones typed and completed with the queue's defaults, and
    /// checked by rendering the queue's configuration with them, so an item that could never run is refused now.
    public static func enqueueVariables(_ requested: [String: String], on queue: Queue) throws -> [String: JSONValue] {
        let variables = try queue.config.resolveVariables(requested)
        _ = try queue.config.renderValidated(with: variables, target: queue.target)
        return variables
    }

    /// A new queued item of `job` on `queue` (`variables` from `enqueueVariables`): its attempts bounded by the
    /// queue's configuration as it is now.
    public static func enqueue(job: JobVersion, on queue: Queue, hyperparameters: [String: JSONValue], variables: [String: JSONValue],
                               priority: Priority, relaunchOf: String? = nil, at now: Date) -> LaunchItem {
        queued(jobName: job.name, jobVersion: job.version, on: queue,
               overrides: ItemOverrides(hyperparameters: hyperparameters, variables: variables), priority: priority, relaunchOf: relaunchOf, at: now)
    }

    /// A copy of `original` queued again on its queue: the same job version, hyperparameters, variables and priority.
    /// The queue's variables may have changed since, so the copy must still fit them.
    public static func relaunch(_ original: LaunchItem, on queue: Queue, at now: Date) throws -> LaunchItem {
        let variables = try queue.config.checkVariables(original.overrides.variables)
        _ = try queue.config.renderValidated(with: variables, target: queue.target)
        return queued(jobName: original.jobName, jobVersion: original.jobVersion, on: queue,
                      overrides: ItemOverrides(hyperparameters: original.overrides.hyperparameters, variables: variables),
                      priority: original.priority, relaunchOf: original.id, at: now)
    }

    private static func queued(jobName: String, jobVersion: Int, on queue: Queue, overrides: ItemOverrides, priority: Priority,
                               relaunchOf: String?, at now: Date) -> LaunchItem {
        LaunchItem(id: ItemID.make(at: now), queue: queue.name, jobName: jobName, jobVersion: jobVersion, overrides: overrides,
                   priority: priority, maxAttempts: queue.config.maxAttempts, timestamps: ItemTimestamps(enqueued: now), relaunchOf: relaunchOf)
    }

    /// Cancelled by a user: final at once; an agent running it learns so on its next heartbeat and stops the run.
    public static func cancel(_ item: LaunchItem, at now: Date) throws -> LaunchItem {
        try ItemStateMachine.validate(item: item.id, from: item.state, to: .cancelled, attempts: item.attempts, maxAttempts: item.maxAttempts)
        var cancelled = item
        cancelled.state = .cancelled
        cancelled.timestamps.record(.cancelled, at: now)
        cancelled.leaseExpiresAt = nil
        cancelled.error = item.error ?? "cancelled by user"
        return cancelled
    }
}

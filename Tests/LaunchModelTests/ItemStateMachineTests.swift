import Foundation
import LaunchModel
import Testing

@Suite struct ItemStateMachineTests {
    /// The issue's table, written out independently of the implementation.
    static let legal: Set<String> = [
        "queued>leased", "queued>cancelled",
        "leased>building", "leased>running", "leased>succeeded", "leased>failed", "leased>cancelled", "leased>queued",
        "building>running", "building>failed", "building>cancelled", "building>queued",
        "running>succeeded", "running>failed", "running>cancelled", "running>queued",
    ]

    @Test(arguments: ItemState.allCases)
    func everyTransitionFrom(_ from: ItemState) {
        for to in ItemState.allCases {
            let expected = Self.legal.contains("\(from)>\(to)")
            #expect(ItemStateMachine.canTransition(from: from, to: to) == expected, "\(from) -> \(to)")
            if expected && to != .queued {
                #expect(throws: Never.self) { try ItemStateMachine.validate(item: "X", from: from, to: to, attempts: 1, maxAttempts: 3) }
            } else if !expected {
                #expect(throws: LaunchError.illegalTransition(from: from, to: to, item: "X")) {
                    try ItemStateMachine.validate(item: "X", from: from, to: to, attempts: 1, maxAttempts: 3)
                }
            }
        }
    }

    @Test func finalStatesHaveNoWayOut() {
        for state in ItemState.allCases where state.isFinal {
            #expect(ItemStateMachine.allowedTargets(from: state).isEmpty)
        }
    }

    @Test func requeueNeedsAnAttemptLeft() throws {
        try ItemStateMachine.validate(item: "X", from: .running, to: .queued, attempts: 2, maxAttempts: 3)
        #expect(throws: LaunchError.self) {
            try ItemStateMachine.validate(item: "X", from: .running, to: .queued, attempts: 3, maxAttempts: 3)
        }
        #expect(ItemStateMachine.stateAfterLostLease(attempts: 2, maxAttempts: 3) == .queued)
        #expect(ItemStateMachine.stateAfterLostLease(attempts: 3, maxAttempts: 3) == .failed)
    }
}

/// The item lifecycle as pure functions, as every backend applies it.
@Suite struct ItemLifecycleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func item() -> LaunchItem {
        LaunchItem(id: "01AAAAAAAAAAAAAAAAAAAAAAAA", queue: "q", jobName: "j", jobVersion: 1, maxAttempts: 2, timestamps: ItemTimestamps(enqueued: now))
    }

    @Test func onlyTheCurrentAttemptReports() throws {
        let leased = try ItemLifecycle.lease(item(), to: "a", at: now, for: 10)
        let attempt = try #require(leased.currentAttempt)
        #expect(attempt.number == 1)
        let reclaimed = ItemLifecycle.reclaim(leased, at: now.addingTimeInterval(11))
        #expect(reclaimed.item.state == .queued && reclaimed.reclaimedFrom == "a" && reclaimed.item.agentID == nil)
        // Its final report still counts; a move to running does not.
        #expect(try ItemLifecycle.report(reclaimed, from: attempt, to: .succeeded, exitCode: 0, error: nil, at: now).item.state == .succeeded)
        #expect(throws: LaunchError.self) { try ItemLifecycle.report(reclaimed, from: attempt, to: .running, exitCode: nil, error: nil, at: now) }
        // Once another attempt started, nothing of the first counts.
        let again = try ItemLifecycle.lease(reclaimed.item, to: "b", at: now, for: 10)
        #expect(again.attempts == 2)
        #expect(throws: LaunchError.self) { try ItemLifecycle.report(StoredItem(again), from: attempt, to: .succeeded, exitCode: 0, error: nil, at: now) }
        #expect(!ItemLifecycle.acceptsOutput(StoredItem(again), from: attempt))
        #expect(!ItemLifecycle.heartbeatExtends(again, for: attempt))
    }

    /// A report sent again because its reply was lost (the server or its database restarted after the commit) is
    /// in already: the agent carries on rather than failing a healthy item on "running to running".
    @Test func aRepeatedReportIsInAlready() throws {
        let leased = try ItemLifecycle.lease(item(), to: "a", at: now, for: 10)
        let attempt = try #require(leased.currentAttempt)
        guard case .changed(let running) = try ItemLifecycle.report(StoredItem(leased), from: attempt, to: .running, exitCode: nil, error: nil, at: now) else {
            Issue.record("the first report did nothing"); return
        }
        guard case .unchanged(let same) = try ItemLifecycle.report(running, from: attempt, to: .running, exitCode: nil, error: nil, at: now.addingTimeInterval(1)) else {
            Issue.record("the repeated report changed the item"); return
        }
        #expect(same.item == running.item)
        // Another agent's report of the same state is still refused.
        #expect(throws: LaunchError.self) {
            try ItemLifecycle.report(running, from: ItemAttempt(item: attempt.item, agent: "b", number: 1), to: .running, exitCode: nil, error: nil, at: now)
        }
    }

    @Test func aHandBackUsesNoAttemptAndIsHarmlessOnceReclaimed() throws {
        let leased = try ItemLifecycle.lease(item(), to: "a", at: now, for: 10)
        let attempt = try #require(leased.currentAttempt)
        guard case .changed(let back) = try ItemLifecycle.report(StoredItem(leased), from: attempt, to: .queued, exitCode: nil, error: nil, at: now) else {
            Issue.record("hand-back did nothing"); return
        }
        #expect(back.item.state == .queued && back.item.attempts == 0)
        let reclaimed = ItemLifecycle.reclaim(leased, at: now.addingTimeInterval(11))
        #expect(try ItemLifecycle.report(reclaimed, from: attempt, to: .queued, exitCode: nil, error: nil, at: now) == .unchanged(reclaimed))
    }
}

import LaunchModel
import Testing

@Suite struct ItemStateMachineTests {
    /// The table, written out independently of the implementation.
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

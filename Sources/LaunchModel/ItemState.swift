/// Where a launch item is in its life.
public enum ItemState: String, Sendable, Codable, CaseIterable, Hashable, CustomStringConvertible {
    case queued, leased, building, running, succeeded, failed, cancelled

    public var description: String { rawValue }

    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        default: false
        }
    }

    /// Held by an agent: its lease must be kept alive by heartbeats.
    public var isInFlight: Bool {
        switch self {
        case .leased, .building, .running: true
        default: false
        }
    }
}

/// States key the per-state counts by name in JSON (`{"queued": 3}`), not as an array of pairs.
extension ItemState: CodingKeyRepresentable {}

/// The legal moves between item states; the backend refuses any other.
///
/// `leased -> running` is allowed because image jobs on a local or cluster target have nothing to build.
/// `in flight -> queued` is the lease-lost path and needs attempts left; without them the item fails.
public enum ItemStateMachine {
    public static func allowedTargets(from state: ItemState) -> Set<ItemState> {
        switch state {
        case .queued: [.leased, .cancelled]
        case .leased: [.building, .running, .succeeded, .failed, .cancelled, .queued]
        case .building: [.running, .failed, .cancelled, .queued]
        case .running: [.succeeded, .failed, .cancelled, .queued]
        case .succeeded, .failed, .cancelled: []
        }
    }

    public static func canTransition(from: ItemState, to: ItemState) -> Bool {
        allowedTargets(from: from).contains(to)
    }

    /// Checks one move. A requeue also needs an attempt left.
    public static func validate(item: String, from: ItemState, to: ItemState,
                                attempts: Int, maxAttempts: Int) throws {
        guard canTransition(from: from, to: to) else {
            throw LaunchError.illegalTransition(from: from, to: to, item: item)
        }
        if to == .queued && attempts >= maxAttempts {
            throw LaunchError.conflict("item \(item): no attempts left (\(attempts) of \(maxAttempts) used); it must fail instead")
        }
    }

    /// Where an in-flight item goes when its lease is lost: back to its queue while attempts remain.
    public static func stateAfterLostLease(attempts: Int, maxAttempts: Int) -> ItemState {
        attempts < maxAttempts ? .queued : .failed
    }
}

/// One attempt of one item, as its agent names it in every report: the store accepts a report only from the item's
/// current attempt, so a late report of an earlier one can never overwrite a newer attempt.
public struct ItemAttempt: Sendable, Hashable, Codable, CustomStringConvertible {
    public var item: String
    public var agent: String
    /// The item's `attempts` count once this attempt was leased: 1 for the first.
    public var number: Int

    public init(item: String, agent: String, number: Int) {
        self.item = item
        self.agent = agent
        self.number = number
    }

    public var description: String { "item \(item) attempt \(number) (agent \(agent))" }
}

extension LaunchItem {
    /// The attempt now leased, or nil when no agent holds the item.
    public var currentAttempt: ItemAttempt? {
        agentID.map { ItemAttempt(item: id, agent: $0, number: attempts) }
    }
}

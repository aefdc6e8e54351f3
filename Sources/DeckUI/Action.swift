/// Where an action applies.
public enum ActionScope: Sendable, Hashable {
    case global
    case pane(Pane)
    case jobs
    case log
    case detail
}

/// One entry of the action table. The same records drive key dispatch, the hint bar, the `?` help and
/// read-only mode (dangerous actions disappear), so help can never disagree with what keys do.
public struct Action: Sendable {
    public var keys: [Key]
    public var title: String
    public var scopes: Set<ActionScope>
    /// Changes state in the backend (enqueue, cancel, edit): hidden in read-only mode.
    public var isDangerous: Bool
    /// The hint bar's short name for it, for the most useful few per scope.
    public var hint: String?
    /// Why the action cannot run now, if it cannot.
    public var disabledReason: @Sendable (DeckState, DeckSnapshot) -> String?
    public var handler: @Sendable (inout DeckState, DeckSnapshot) -> [Effect]

    public init(_ keys: [Key], _ title: String, scopes: Set<ActionScope>, dangerous: Bool = false, hint: String? = nil,
                disabledReason: @escaping @Sendable (DeckState, DeckSnapshot) -> String? = { _, _ in nil },
                handler: @escaping @Sendable (inout DeckState, DeckSnapshot) -> [Effect]) {
        self.keys = keys
        self.title = title
        self.scopes = scopes
        isDangerous = dangerous
        self.hint = hint
        self.disabledReason = disabledReason
        self.handler = handler
    }

    public var keyLabel: String { keys.map(\.label).joined(separator: "/") }
}

/// What can go wrong behind the backend contract, in kinds a client can act on wherever the backend runs: the same
/// cases come back from the embedded SQLite store and, unchanged, over HTTP from `launchdeck server`. Invalid input
/// with field paths is a `ValidationFailure`; everything else is one of these.
public enum LaunchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A request that can never succeed as given: a bad name, a bad argument. Not retried.
    case invalidInput(String)
    case notFound(String)
    /// The request met a change it did not expect (a queue edited meanwhile, a name taken). Not retried as it is.
    case conflict(String)
    case illegalTransition(from: ItemState, to: ItemState, item: String)
    /// Transient: the store is busy, locked, full or out of reach. The same request may succeed later, and the agent
    /// retries it while its lease allows.
    case unavailable(String)
    /// The store can be read but not written here (a read-only mount, a viewer's token).
    case readOnly(String)
    /// The store is broken in a way retrying will not fix (a damaged file, an unknown schema).
    case storage(String)
    /// No credentials, or credentials the server does not know.
    case unauthorized(String)
    /// Credentials that do not allow this request (a viewer enqueueing, an agent outside its queues).
    case forbidden(String)

    public var description: String {
        switch self {
        case .invalidInput(let message), .notFound(let message), .conflict(let message), .unavailable(let message),
             .readOnly(let message), .storage(let message), .unauthorized(let message), .forbidden(let message):
            message
        case .illegalTransition(let from, let to, let item): "item \(item): cannot go from \(from) to \(to)"
        }
    }

    /// The kinds a client tells apart, as they travel over the wire (`kind` in an HTTP error body). An illegal
    /// transition is a conflict there: the item's state moved under the request.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case invalidInput = "invalid_input", notFound = "not_found", conflict, unavailable, readOnly = "read_only",
             storage, unauthorized, forbidden
    }

    public var kind: Kind {
        switch self {
        case .invalidInput: .invalidInput
        case .notFound: .notFound
        case .conflict, .illegalTransition: .conflict
        case .unavailable: .unavailable
        case .readOnly: .readOnly
        case .storage: .storage
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        }
    }

    public init(kind: Kind, message: String) {
        switch kind {
        case .invalidInput: self = .invalidInput(message)
        case .notFound: self = .notFound(message)
        case .conflict: self = .conflict(message)
        case .unavailable: self = .unavailable(message)
        case .readOnly: self = .readOnly(message)
        case .storage: self = .storage(message)
        case .unauthorized: self = .unauthorized(message)
        case .forbidden: self = .forbidden(message)
        }
    }

    /// Whether the same request may succeed if tried again unchanged.
    public var isTransient: Bool {
        if case .unavailable = self { return true }
        return false
    }
}

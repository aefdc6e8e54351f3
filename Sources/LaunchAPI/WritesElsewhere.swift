/// What a write brought, for the requests that wait on it: `work` (an enqueue, a relaunch, a lease returned to its
/// queue: an idle agent should lease again) or another `change` (a follower of the change feed should look again).
public enum WriteKind: String, Sendable {
    case work, change
}

/// A backend shared by several servers (PostgreSQL) tells each of them of the writes made through the others, so
/// their waiting requests wake at once instead of at their next poll.
public protocol AnnouncesWrites: Sendable {
    /// Each write made elsewhere, as heard; one consumer (the server). When the backend cannot hear for a while (its
    /// listening connection lost), it says `work` every so often, so waiters look again by themselves.
    var writesElsewhere: AsyncStream<WriteKind> { get }
}

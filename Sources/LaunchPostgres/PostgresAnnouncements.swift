import Foundation
import LaunchAPI
import Logging
import PostgresNIO
import Synchronization

/// LISTEN/NOTIFY between the servers of one database. A NOTIFY takes a database-wide lock at commit, so writes do not
/// send their own: each write marks what it brought, and one publisher sends a NOTIFY for all that came since the
/// last (in its own tiny transaction, at most one in flight and one every `spacing`): under load, many writes share
/// one NOTIFY; alone, a write's goes out at once. Each server listens on one connection of its pool; while that is
/// lost it says `work` every `pollingInterval` instead, so waiting requests look again by themselves until it is back.
public final class PostgresAnnouncements: Sendable {
    static let channel = "launchdeck"
    /// Between two NOTIFYs of this server: the wait a burst's writes share.
    static let spacing: Duration = .milliseconds(2)
    static let pollingInterval: Duration = .milliseconds(250)

    /// Tells this server's own NOTIFYs from the others' (each listener hears its own too).
    let sender = UUID().uuidString
    let location: PostgresLocation
    let logger: Logger
    private let pending = Mutex<WriteKind?>(nil)
    private let kicks: AsyncStream<Void>
    private let kick: AsyncStream<Void>.Continuation
    public let writesElsewhere: AsyncStream<WriteKind>
    private let heard: AsyncStream<WriteKind>.Continuation
    /// Whether the listening connection is up, for tests and the status line.
    let listening = Mutex(false)

    let closedConnections: ClosedConnectionWatch

    init(location: PostgresLocation, closedConnections: ClosedConnectionWatch, logger: Logger) {
        self.location = location
        self.closedConnections = closedConnections
        self.logger = logger
        (kicks, kick) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (writesElsewhere, heard) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(64))
    }

    /// After a write commits: what it brought; work outranks a change.
    func announce(_ kind: WriteKind) {
        pending.withLock { current in
            if current != .work { current = kind }
        }
        kick.yield()
    }

    public var isListening: Bool { listening.withLock { $0 } }

    func run(publishingOn client: PostgresClient) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.publish(on: client) }
            group.addTask { await self.listen(on: client) }
        }
    }

    private func publish(on client: PostgresClient) async {
        for await _ in kicks {
            guard let kind = pending.withLock({ current -> WriteKind? in defer { current = nil }; return current }) else { continue }
            do {
                // Watched as transactions are: a NOTIFY stuck on a closed connection would silence this server for good.
                let payload = kind.rawValue + " " + sender
                try await client.withConnection { connection in
                    try await self.closedConnections.run(on: connection, location: self.location) {
                        try await connection.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: self.logger)
                    }
                }
            } catch {
                // The others hear nothing of this write: they find it at their next poll of the feed. The
                // connection's loss shows in the listener too.
                logger.debug("NOTIFY failed: \(error)")
            }
            try? await Task.sleep(for: Self.spacing)
        }
    }

    private func listen(on client: PostgresClient) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        self.listening.withLock { $0 = true }
                        // Anything written while this server did not listen is missed: look again now.
                        self.heard.yield(.work)
                        for try await notification in notifications {
                            let parts = notification.payload.split(separator: " ", maxSplits: 1)
                            guard parts.count == 2, String(parts[1]) != self.sender, let kind = WriteKind(rawValue: String(parts[0])) else { continue }
                            self.heard.yield(kind)
                        }
                    }
                }
            } catch {
                logger.warning("listening for other servers' writes on \(location.description) failed (\(PostgresBackend.launchError(error, location: location))); polling until it is back")
            }
            listening.withLock { $0 = false }
            // Polling meanwhile: waiters look again every interval, until the connection is back.
            for _ in 0..<4 where !Task.isCancelled {
                heard.yield(.work)
                try? await Task.sleep(for: Self.pollingInterval)
            }
        }
    }
}

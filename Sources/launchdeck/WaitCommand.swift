import ArgumentParser
import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore

/// `launchdeck wait`: blocks until items are done, for scripts that enqueue and then need the results.
/// Polls the change counter (one indexed read) and looks at the items only when something changed, so waiting
/// costs next to nothing while the agents work.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait until items are finished; exit 0 when all succeeded, 1 otherwise.",
        discussion: "Give item ids (or unique prefixes), or --queue for the items queued or in flight there when the wait begins.")

    @Argument(help: "Item ids or unique prefixes.") var ids: [String] = []
    @Option(help: "Wait for this queue's items that are queued or in flight now.") var queue: String?
    @Option(help: "Give up after this long (90s, 30m, 2h, 1d).") var timeout: String = "1d"
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        guard ids.isEmpty != (queue == nil) else { throw LaunchError.invalidInput("wait: give item ids or --queue, not both and not neither") }
        guard let limit = TimeLimit.parse(timeout) else {
            throw LaunchError.invalidInput("--timeout: expected a duration such as 90s, 30m, 2h or 1d, got \"\(timeout.escapedForMessage)\"")
        }
        let backend = try await CommandContext.open(connection).backend
        let watched = try await Watched.resolve(ids: ids, queue: queue, backend: backend)
        let deadline = ContinuousClock.now + limit
        var cursor: Int64 = -1
        while ContinuousClock.now < deadline {
            let current = try await backend.changeCursor()
            if current != cursor {
                cursor = current
                if try await watched.allFinished(backend) { break }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let items = try await watched.items(backend)
        let summary = WaitRecord(
            succeeded: items.count { $0.state == .succeeded }, failed: items.count { $0.state == .failed },
            cancelled: items.count { $0.state == .cancelled }, unfinished: items.count { !$0.state.isFinal },
            notSucceeded: items.filter { $0.state != .succeeded }.map(\.id), timedOut: items.contains { !$0.state.isFinal })
        try output.emit(json: summary) {
            "\(summary.succeeded) succeeded, \(summary.failed) failed, \(summary.cancelled) cancelled"
                + (summary.timedOut ? ", \(summary.unfinished) unfinished after \(timeout)" : "") + "\n"
        }
        if summary.succeeded != items.count {
            throw CommandExit(code: 1, message: summary.timedOut ? "wait: timed out after \(timeout)"
                                                                 : "wait: \(items.count - summary.succeeded) of \(items.count) items did not succeed")
        }
    }

    /// What is waited for: the named items, or those of a queue that were queued or in flight when the wait began
    /// (items enqueued later are someone else's to wait for).
    enum Watched {
        case items([String])
        case queue(String, ids: Set<String>)

        static let unfinished: Set<ItemState> = [.queued, .leased, .building, .running]

        static func resolve(ids: [String], queue: String?, backend: any LaunchBackend) async throws -> Watched {
            guard let queue else { return .items(try await ids.asyncMap { try await backend.item(id: $0).id }) }
            let pending = try await backend.items(ItemFilter(queue: queue, states: unfinished))
            if pending.isEmpty { _ = try await backend.queue(named: queue) }
            return .queue(queue, ids: Set(pending.map(\.id)))
        }

        func allFinished(_ backend: any LaunchBackend) async throws -> Bool {
            switch self {
            case .items: try await items(backend).allSatisfy(\.state.isFinal)
            case .queue(let queue, let ids):
                // Only what is still unfinished is read: the list shrinks as the agents work.
                try await backend.items(ItemFilter(queue: queue, states: Self.unfinished)).allSatisfy { !ids.contains($0.id) }
            }
        }

        func items(_ backend: any LaunchBackend) async throws -> [LaunchItem] {
            switch self {
            case .items(let ids): try await ids.asyncMap { try await backend.item(id: $0) }
            case .queue(let queue, let ids): try await backend.items(ItemFilter(queue: queue)).filter { ids.contains($0.id) }
            }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        result.reserveCapacity(count)
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

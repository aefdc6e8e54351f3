import Foundation
@testable import DeckUI
import LaunchAPI
import LaunchAgent
import LaunchModel
import LaunchStore
import Synchronization
import Testing

/// A source that tests control: what `changes` returns, whether it fails, and how long it takes.
final class ScriptedSource: SnapshotSource {
    let state = Mutex<(changes: [ChangeSet], failing: Bool, calls: Int, gate: Bool)>(([], false, 0, false))

    func changes(since cursor: Int64) async throws -> ChangeSet {
        let (next, failing) = state.withLock { state -> (ChangeSet?, Bool) in
            state.calls += 1
            return (state.changes.isEmpty ? nil : state.changes.removeFirst(), state.failing)
        }
        while state.withLock({ $0.gate }) { try await Task.sleep(for: .milliseconds(5)) }
        if failing { throw TestFailure.unreachable }
        return next ?? ChangeSet(cursor: cursor)
    }

    func jobs() async throws -> [JobSummary] { [] }
    func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine] { [] }
    func agentStatuses() async -> [String: AgentStatus] { [:] }

    enum TestFailure: Error, CustomStringConvertible {
        case unreachable
        var description: String { "connection refused" }
    }
}

final class TestClock: Sendable {
    let current = Mutex(SnapshotFixtures.now)
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct StateStoreTests {
    @Test func changesAreAppliedAndOnlyChangedRowsFlash() async {
        let source = ScriptedSource()
        let clock = TestClock()
        let store = StateStore(source: source, clock: { clock.now })
        let first = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .queued)
        let second = SnapshotFixtures.item("01BBBBBBBBBBBBBBBBBBBBBBBB", state: .queued)
        var running = first
        running.state = .running
        source.state.withLock {
            $0.changes = [ChangeSet(cursor: 5, items: [first, second], queues: [SnapshotFixtures.queue("gpu")]),
                          ChangeSet(cursor: 6, items: [running])]
        }
        let initial = await store.poll()
        #expect(initial?.items["gpu"]?.count == 2)
        #expect(initial?.changed.isEmpty == true, "the first load flashes nothing")
        let next = await store.poll()
        #expect(next?.items["gpu"]?.map(\.state) == [.running, .queued])
        #expect(next?.changed == [first.id])
        #expect(next?.queues.first?.depth[.running] == 1)
    }

    @Test func overlappingPollsAreDropped() async {
        let source = ScriptedSource()
        let store = StateStore(source: source)
        source.state.withLock { $0.gate = true }
        async let slow = store.poll()
        try? await Task.sleep(for: .milliseconds(50))
        let dropped = await store.poll()
        #expect(dropped == nil)
        source.state.withLock { $0.gate = false }
        #expect(await slow != nil)
        #expect(await store.droppedPolls == 1)
        #expect(source.state.withLock { $0.calls } == 1)
    }

    @Test func failuresBackOffAndShowStaleness() async {
        let source = ScriptedSource()
        let clock = TestClock()
        let store = StateStore(source: source, clock: { clock.now })
        _ = await store.poll()
        source.state.withLock { $0.failing = true }
        clock.advance(4)
        let failed = await store.poll()
        #expect(failed?.staleness.text == "backend unreachable: connection refused")
        #expect(failed?.staleness.stale == true)
        #expect(failed?.updatedAt == SnapshotFixtures.now, "the last good data and its time stay")

        // Backing off: 1 s after the first failure, then 2 s, 4 s ...
        #expect(await store.poll() == nil)
        clock.advance(1.1)
        _ = await store.poll()
        clock.advance(1.1)
        #expect(await store.poll() == nil, "second failure waits 2 s")
        clock.advance(1)
        source.state.withLock { $0.failing = false }
        let recovered = await store.poll()
        #expect(recovered?.error == nil)
        #expect(recovered?.staleness.text == "updated 0s ago")
        clock.advance(4)
        #expect(await store.snapshot.staleness.text == "updated 0s ago", "the snapshot's own clock is when it was made")
        #expect(source.state.withLock { $0.calls } == 4)
    }

    @Test func aUsersActionPollsAtOnceEvenWhileBackingOff() async {
        let source = ScriptedSource()
        let clock = TestClock()
        let store = StateStore(source: source, clock: { clock.now })
        source.state.withLock { $0.failing = true }
        _ = await store.poll()
        #expect(await store.poll() == nil)
        #expect(await store.poll(force: true) != nil)
    }
}

/// A SQLite store in a directory of its own (removed with it), with the job "train" and the given local queues.
final class ScratchBackend {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("launchdeck-deck-\(UUID().uuidString)")
    let backend: SQLiteBackend

    init(queues: [String]) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        backend = try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path)
        _ = try await backend.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
        for name in queues {
            _ = try await backend.createQueue(name: name, target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// The state store on a real database: the first load reads items a page at a time, later polls only changes.
@Suite struct StateStoreOnSQLiteTests {
    @Test func aBigQueueLoadsInPagesAndLaterChangesLandInPlace() async throws {
        let scratch = try await ScratchBackend(queues: ["a", "b"])
        defer { withExtendedLifetime(scratch) {} }
        let backend = scratch.backend
        let count = StateStore.pageSize * 2 + 123
        let enqueued = try await backend.enqueue(batch: (0..<count).map { index in
            EnqueueRequest(job: JobReference(name: "train", version: nil), queue: index % 3 == 0 ? "b" : "a")
        })
        let store = StateStore(source: BackendSource(backend: backend, statuses: nil))
        let first = try #require(await store.poll())
        #expect(first.items["a"].map(Array.init)?.map(\.id) == enqueued.filter { $0.queue == "a" }.map(\.id), "every item, in enqueue order")
        #expect(first.items["b"]?.count == enqueued.filter { $0.queue == "b" }.count)
        #expect(first.queues.map(\.queue.name) == ["a", "b"])
        #expect(first.changed.isEmpty)

        let leased = try await backend.lease(agent: "agent-1", queues: ["a"], max: 2, leaseFor: 60)
        let late = try await backend.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "b"))
        let next = try #require(await store.poll())
        #expect(Set(next.changed) == Set(leased.map(\.id) + [late.id]))
        #expect(next.items["a"]?.count == first.items["a"]?.count, "changed items stay where they were")
        for item in leased { #expect(next.item(item.id)?.state == .leased) }
        #expect(next.items["b"]?.last?.id == late.id)
        #expect(next.inFlightByAgent["agent-1"] == 2)
        #expect(first.item(leased[0].id)?.state == .queued, "an earlier snapshot never changes")
    }
}

/// A first load slower than `earlyFrameAfter` (zero here) shows the backend's counts and the newest items of the queue
/// in view before its pages are in, says it is loading, and never shows a partial list as the whole.
@Suite struct FirstLoadProgressTests {
    func screen(_ snapshot: DeckSnapshot, queue: String) -> String {
        let app = DeckApp()
        app.state.selection[.queues] = queue
        app.receive(snapshot)
        return app.render(width: 160, height: 30).plainText
    }

    @Test func aLongFirstLoadShowsCountsAndTheNewestItemsFirst() async throws {
        let scratch = try await ScratchBackend(queues: ["a", "b"])
        defer { withExtendedLifetime(scratch) {} }
        let backend = scratch.backend
        let count = StateStore.pageSize * 3 + 7
        let enqueued = try await backend.enqueue(batch: (0..<count).map { index in
            EnqueueRequest(job: JobReference(name: "train", version: nil), queue: index % 4 == 0 ? "a" : "b")
        })
        let inB = enqueued.filter { $0.queue == "b" }.map(\.id)
        let store = StateStore(source: BackendSource(backend: backend, statuses: nil), earlyFrameAfter: .zero)
        await store.focus(queue: "b")
        let frames = Mutex<[DeckSnapshot]>([])
        let whole = try #require(await store.poll { snapshot in frames.withLock { $0.append(snapshot) } })

        let early = frames.withLock { $0 }
        let first = try #require(early.first)
        #expect(first.loading?.total == count)
        #expect(first.queues.map { $0.depth.total } == [count - inB.count, inB.count], "the backend's counts, not the pages read so far")
        #expect(first.queues.allSatisfy { !$0.complete })
        #expect(first.items["b"].map(Array.init)?.map(\.id) == Array(inB.suffix(StateStore.previewSize)), "the newest of the queue in view, in order")
        #expect(first.items["a"] == nil, "no partial list of another queue")
        #expect(early.compactMap(\.loading?.loaded) == early.compactMap(\.loading?.loaded).sorted())
        let shown = screen(first, queue: "b")
        #expect(shown.contains("Items of b (newest \(StateStore.previewSize) of \(inB.count), loading)"))
        #expect(shown.contains("loading items:"))

        #expect(whole.loading == nil)
        #expect(whole.items["b"].map(Array.init)?.map(\.id) == inB)
        #expect(whole.queues.allSatisfy { $0.complete })
        #expect(!screen(whole, queue: "b").contains("loading"))
    }

    /// Pages of queue gpu, of which the second fails while `failing` is set.
    final class BrokenPages: SnapshotSource {
        let failing = Mutex(true)
        let items = (0..<(StateStore.pageSize * 2)).map { SnapshotFixtures.item(String(format: "01%024d", $0), state: .queued) }

        func changes(since cursor: Int64) async throws -> ChangeSet { ChangeSet(cursor: 9) }
        func changesWithoutItems(since cursor: Int64) async throws -> ChangeSet? {
            ChangeSet(cursor: 9, queues: [SnapshotFixtures.queue("gpu")])
        }
        func itemPages(limit: Int) -> AsyncThrowingStream<[LaunchItem], any Error> {
            let pages = stride(from: 0, to: items.count, by: limit).map { Array(items[$0..<min($0 + limit, items.count)]) }
            let failing = failing.withLock { $0 }
            return AsyncThrowingStream { continuation in
                continuation.yield(pages[0])
                if failing { continuation.finish(throwing: ScriptedSource.TestFailure.unreachable) }
                for page in pages.dropFirst() { continuation.yield(page) }
                continuation.finish()
            }
        }
        func queueDepths() async throws -> [String: QueueDepth]? { ["gpu": QueueDepth(counts: [.queued: items.count])] }
        func newestItems(queue: String, limit: Int) async throws -> [LaunchItem] { Array(items.suffix(limit)) }
        func jobs() async throws -> [JobSummary] { [] }
        func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine] { [] }
        func agentStatuses() async -> [String: AgentStatus] { [:] }
    }

    @Test func aFirstLoadCutShortNeverShowsItsPagesAsTheList() async throws {
        let source = BrokenPages()
        let store = StateStore(source: source, earlyFrameAfter: .zero)
        let failed = try #require(await store.poll { _ in })
        #expect(failed.error != nil)
        #expect(failed.loading != nil, "still the early frame, marked as loading")
        #expect(failed.items["gpu"].map(Array.init)?.map(\.id) == source.items.suffix(StateStore.previewSize).map(\.id),
                "the newest items, not the first page read")
        source.failing.withLock { $0 = false }
        let whole = try #require(await store.poll(force: true) { _ in })
        #expect(whole.error == nil && whole.loading == nil)
        #expect(whole.items["gpu"]?.count == source.items.count)
    }

    @Test func aQuickLoadOrOneWithoutProgressShowsOnlyTheWhole() async throws {
        let scratch = try await ScratchBackend(queues: ["a"])
        defer { withExtendedLifetime(scratch) {} }
        let backend = scratch.backend
        _ = try await backend.enqueue(batch: Array(repeating: EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "a"),
                                                   count: StateStore.pageSize + 1))
        let quick = StateStore(source: BackendSource(backend: backend, statuses: nil), earlyFrameAfter: .seconds(3600))
        let frames = Mutex(0)
        let whole = try #require(await quick.poll { _ in frames.withLock { $0 += 1 } })
        #expect(frames.withLock { $0 } == 0)
        #expect(whole.items["a"]?.count == StateStore.pageSize + 1)
        let once = StateStore(source: BackendSource(backend: backend, statuses: nil), earlyFrameAfter: .zero)
        #expect(await once.poll()?.loading == nil, "without a progress callback (--once) the first snapshot is the whole")
    }
}

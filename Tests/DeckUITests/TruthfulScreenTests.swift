import Foundation
@testable import DeckUI
import LaunchAgent
import LaunchAPI
import LaunchModel
import Synchronization
import Testing

/// What the screen shows is true: live status only while fresh, expired leases not shown as running, paused queues
/// visible at every width, failures that say why, and a badge when something needs a human.
@Suite struct TruthfulScreenTests {
    /// The dashboard on the gpu queue (the fixtures' first queue by name is cpu).
    func app(_ snapshot: DeckSnapshot) -> DeckApp {
        let app = DeckApp()
        app.state.selection[.queues] = "gpu"
        app.receive(snapshot)
        return app
    }

    func status(_ agent: String, items: [(String, ItemProgress)], at date: Date) -> AgentStatus {
        AgentStatus(id: agent, name: "gpu-box", dataDirectory: "/d", queues: ["gpu"], maxJobs: 2, state: "busy", environment: AgentEnvironment(),
                    inFlight: items.map { AgentStatus.InFlight(id: $0.0, queue: "gpu", job: "train:v1", state: "running", since: date, progress: $0.1,
                                                               recentLines: []) },
                    events: [], updatedAt: date)
    }

    @Test func aLiveStatusOlderThanTheRowNeverOverridesIt() {
        var item = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running, agent: "ag1",
                                         progress: ItemProgress(phase: "run", current: 110, total: 600, message: ""))
        item.timestamps.updated = SnapshotFixtures.now
        var snapshot = SnapshotFixtures.snapshot(items: [item], agents: [SnapshotFixtures.agent("ag1", name: "gpu-box", state: .idle)])
        // What the agent's socket said a minute ago: 15%.
        snapshot.agentStatuses = ["ag1": status("ag1", items: [(item.id, ItemProgress(phase: "run", current: 90, total: 600, message: ""))],
                                                at: SnapshotFixtures.now.addingTimeInterval(-60))]
        snapshot.inFlightByAgent = ["ag1": 1]
        let deck = app(snapshot)
        deck.state.focus = .items
        let text = deck.render(width: 160, height: 30).plainText
        #expect(text.contains(" 18%"), "\(text)")
        #expect(!text.contains(" 15%"))
        // The agent's record says idle; it runs one item: busy 1/2, never idle 1/2.
        #expect(text.contains("busy         1/2") || text.contains("busy") && text.contains("1/2"), "\(text)")
        #expect(!text.contains("idle"), "\(text)")
        // A fresh status does override: it is newer than the row.
        snapshot.agentStatuses = ["ag1": status("ag1", items: [(item.id, ItemProgress(phase: "run", current: 300, total: 600, message: ""))],
                                                at: SnapshotFixtures.now.addingTimeInterval(1))]
        deck.receive(snapshot)
        #expect(deck.render(width: 160, height: 30).plainText.contains(" 50%"))
    }

    @Test func anItemWhoseAgentIsLostIsMarkedNotRunning() throws {
        var item = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running, agent: "ag1")
        item.leaseExpiresAt = SnapshotFixtures.now.addingTimeInterval(-5)
        // The newer item holds the selection, so the adrift row shows its own roles.
        let newer = SnapshotFixtures.item("01BBBBBBBBBBBBBBBBBBBBBBBB", state: .queued)
        let snapshot = SnapshotFixtures.snapshot(items: [item, newer], agents: [SnapshotFixtures.agent("ag1", name: "gpu-box", state: .lost, beat: 60)])
        let screen = app(snapshot).render(width: 160, height: 30)
        let cell = try #require(screen.find("running"))
        #expect(screen[cell.x, cell.y].role == .flashWarn)
        #expect(LiveStatus.isAdrift(item, snapshot))
        #expect(!LiveStatus.isAdrift(newer, snapshot))
    }

    @Test func pausedQueuesShowAtEveryWidth() {
        var paused = SnapshotFixtures.queue("gpu")
        paused.paused = true
        let snapshot = SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .queued)],
                                                 queues: [paused, SnapshotFixtures.queue("cpu")])
        for width in [60, 80, 110, 140, 250] {
            let deck = app(snapshot)
            deck.state.focus = .items
            let text = deck.render(width: width, height: 40).plainText
            #expect(text.contains("paused"), "\(width) columns:\n\(text)")
            #expect(text.contains("Items of gpu (1) · paused"), "\(width) columns:\n\(text)")
        }
        // Its queued item says so where it is looked at, and the enqueue form warns before anything is submitted.
        let deck = app(snapshot)
        deck.state.focus = .items
        _ = deck.handle(.character("l"))
        #expect(deck.render(width: 140, height: 30).plainText.contains("queue gpu is paused"))
        _ = deck.handle(.escape)
        _ = deck.handle(.character("d"))
        #expect(deck.render(width: 140, height: 30).plainText.contains("queue gpu is paused"))
        _ = deck.handle(.escape)
        _ = deck.handle(.character("n"))
        #expect(deck.render(width: 140, height: 40).plainText.contains("⚠ queue gpu is paused"))
    }

    @Test func theEnqueueFormWarnsWhenNoLiveAgentServesTheQueue() {
        let snapshot = SnapshotFixtures.snapshot(items: [], agents: [SnapshotFixtures.agent("ag1", name: "old", state: .stopped)])
        let deck = app(snapshot)
        _ = deck.handle(.character("n"))
        #expect(deck.render(width: 140, height: 40).plainText.contains("no live agent serves gpu"))
    }

    @Test func failuresSayWhyOnTheirRow() {
        var exited = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .failed)
        exited.exitCode = 3
        var broken = SnapshotFixtures.item("01BBBBBBBBBBBBBBBBBBBBBBBB", state: .failed)
        broken.error = "preparation timed out after 2s (resource.prepare_timeout)"
        let deck = app(SnapshotFixtures.snapshot(items: [exited, broken]))
        deck.state.focus = .items
        let text = deck.render(width: 160, height: 30).plainText
        #expect(text.contains("✗ exit 3"), "\(text)")
        #expect(text.contains("✗ preparation"), "\(text)")
    }

    @Test func aFailedBuildShowsHowFarItGotInTheFailedRole() throws {
        var item = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .failed)
        item.timestamps.building = SnapshotFixtures.now.addingTimeInterval(-20)
        item.progress = ItemProgress(phase: "build", current: 2, total: 4, message: "STEP 2/4")
        let deck = app(SnapshotFixtures.snapshot(items: [item]))
        deck.state.focus = .items
        _ = deck.handle(.character("l"))
        let screen = deck.render(width: 120, height: 30)
        let row = try #require(screen.lines.firstIndex { $0.hasPrefix("build") })
        let line = screen.lines[row]
        #expect(line.contains("·"), "a full bar for a build that failed: \(line)")
        #expect(screen[8, row].role == .stateFailed)
    }

    @Test func theHeaderSaysWhatNeedsAHuman() {
        var failed = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .failed)
        failed.exitCode = 1
        let snapshot = SnapshotFixtures.snapshot(items: [failed], agents: [SnapshotFixtures.agent("ag1", name: "gpu-box", state: .lost, beat: 60)])
        let header = app(snapshot).render(width: 160, height: 30).lines[0]
        #expect(header.contains("⚠ agent gpu-box lost · 1 failed in gpu (1 h)"), "\(header)")
        #expect(snapshot.needsAttention)
        #expect(!app(SnapshotFixtures.snapshot(items: [])).render(width: 160, height: 30).lines[0].contains("⚠"))
    }
}

/// The state store drops live statuses when no view needs them, and returns expired leases to their queues.
@Suite struct StateStoreTruthTests {
    final class Source: SnapshotSource {
        let state = Mutex<(changes: [ChangeSet], reclaims: Int, statuses: Int)>(([], 0, 0))
        func changes(since cursor: Int64) async throws -> ChangeSet {
            state.withLock { $0.changes.isEmpty ? ChangeSet(cursor: cursor) : $0.changes.removeFirst() }
        }
        func jobs() async throws -> [JobSummary] { [] }
        func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine] { [] }
        func agentStatuses() async -> [String: AgentStatus] {
            state.withLock { $0.statuses += 1 }
            return ["ag1": AgentStatus(id: "ag1", name: "a", dataDirectory: "/d", queues: [], maxJobs: 1, state: "busy", environment: AgentEnvironment(),
                                       inFlight: [], events: [], updatedAt: SnapshotFixtures.now)]
        }
        func reclaimExpiredLeases() async { state.withLock { $0.reclaims += 1 } }
    }

    @Test func liveStatusGoesWhenItsViewCloses() async {
        let source = Source()
        let store = StateStore(source: source, clock: { SnapshotFixtures.now })
        await store.watchAgentStatus(true)
        #expect(await store.poll()?.agentStatuses.isEmpty == false)
        await store.watchAgentStatus(false)
        #expect(await store.poll()?.agentStatuses.isEmpty == true)
    }

    @Test func aPollReclaimsExpiredLeases() async {
        let source = Source()
        let clock = TestClock()
        let store = StateStore(source: source, clock: { clock.now })
        var item = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running, agent: "dead")
        item.leaseExpiresAt = clock.now.addingTimeInterval(10)
        source.state.withLock { $0.changes = [ChangeSet(cursor: 1, items: [item], queues: [SnapshotFixtures.queue("gpu")])] }
        _ = await store.poll()
        _ = await store.poll()
        #expect(source.state.withLock { $0.reclaims } == 0, "no lease ran out yet")
        clock.advance(11)
        _ = await store.poll()
        #expect(source.state.withLock { $0.reclaims } == 1)
    }
}

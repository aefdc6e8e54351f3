import Foundation
@testable import DeckUI
import LaunchModel
import Testing

/// `launchdeck --once` prints every queue and every agent (not the rows a terminal would have room for), the items of
/// the queue asked for, a "Needs attention:" section with each reason, and no hint bar; a huge queue shows its first
/// 500 items and says how many more there are.
@Suite struct OnceReportTests {
    static let queueNames = (1...30).map { String(format: "queue-%02d", $0) }
    static let agentNames = (1...12).map { String(format: "box-%02d", $0) }

    func agents(lost: Int? = nil) -> [Agent] {
        Self.agentNames.enumerated().map { index, name in
            var agent = SnapshotFixtures.agent(String(format: "01AGENT%019d", index), name: name, state: index == lost ? .lost : .idle)
            agent.queues = [Self.queueNames[index]]
            return agent
        }
    }

    func snapshot(items: [LaunchItem] = [], agents: [Agent]) -> DeckSnapshot {
        SnapshotFixtures.snapshot(items: items, queues: Self.queueNames.map { SnapshotFixtures.queue($0) }, agents: agents)
    }

    @Test func everyQueueAndEveryAgentIsListedWithoutAHintBar() {
        let report = OnceReport.render(snapshot(agents: agents()), width: 120, queue: nil)
        let text = report.plainText
        for name in Self.queueNames + Self.agentNames {
            #expect(text.contains(name), "\(name) missing:\n\(text)")
        }
        #expect(text.contains("[1] Queues (30)") && text.contains("[3] Agents (12)"), "\(text)")
        #expect(!text.contains("<?> help") && !text.contains("<q> quit"), "\(text)")
        #expect(!text.contains("Needs attention"), "nothing needs a human:\n\(text)")
        #expect(report.width == 120)
    }

    @Test func aLostAgentAndARecentFailureAreListedUnderNeedsAttention() throws {
        var failed = SnapshotFixtures.item("01FAILED000000000000000001", queue: "queue-05", state: .failed)
        failed.exitCode = 2
        let report = OnceReport.render(snapshot(items: [failed], agents: agents(lost: 2)), width: 120, queue: nil)
        let text = report.plainText
        let section = try #require(report.lines.firstIndex { $0.contains("Needs attention:") }, "\(text)")
        let reasons = report.lines[(section + 1)...].joined(separator: "\n")
        #expect(reasons.contains("⚠ agent box-03 lost"), "\(text)")
        #expect(reasons.contains("⚠ 1 failed in queue-05 in the last hour"), "\(text)")
        // The section comes after the panes.
        let agentsPane = try #require(report.lines.firstIndex { $0.contains("[3] Agents") })
        #expect(section > agentsPane, "\(text)")
        #expect(report[2, section + 1].role == .flashError, "\(text)")
    }

    @Test func aFailureOlderThanAnHourNeedsNoAttention() {
        var failed = SnapshotFixtures.item("01FAILED000000000000000001", queue: "queue-05", state: .failed)
        failed.timestamps.finished = SnapshotFixtures.now.addingTimeInterval(-7200)
        let text = OnceReport.render(snapshot(items: [failed], agents: agents()), width: 120, queue: nil).plainText
        #expect(!text.contains("Needs attention"), "\(text)")
    }

    @Test func theQueueAskedForHasItsItemsListed() {
        let items = [SnapshotFixtures.item("01CPUITEM00000000000000001", queue: "cpu", state: .queued),
                     SnapshotFixtures.item("01CPUITEM00000000000000002", queue: "cpu", state: .running, agent: "ag1"),
                     SnapshotFixtures.item("01GPUITEM00000000000000001", queue: "gpu", state: .queued)]
        let snapshot = SnapshotFixtures.snapshot(items: items, agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")])
        let text = OnceReport.render(snapshot, width: 120, queue: "cpu").plainText
        #expect(text.contains("Items of cpu (2)"), "\(text)")
        #expect(text.contains("01CPUITEM00000000000000001") && text.contains("01CPUITEM00000000000000002"), "\(text)")
        #expect(!text.contains("01GPUITEM00000000000000001"), "\(text)")
        let gpu = OnceReport.render(snapshot, width: 120, queue: "gpu").plainText
        #expect(gpu.contains("Items of gpu (1)") && gpu.contains("01GPUITEM00000000000000001") && !gpu.contains("01CPUITEM"), "\(gpu)")
    }

    @Test func aHugeQueueShowsItsFirst500ItemsAndSaysHowManyMore() throws {
        let ids = (0..<600).map { String(format: "01HUGE%020d", $0) }
        let snapshot = SnapshotFixtures.snapshot(items: ids.map { SnapshotFixtures.item($0, state: .queued) })
        let report = OnceReport.render(snapshot, width: 120, queue: "gpu")
        let text = report.plainText
        let shown = report.lines.filter { $0.contains("01HUGE") }
        #expect(shown.count == OnceReport.itemRowsShown && shown.count == 500, "\(shown.count) item rows")
        // Newest first, as on the dashboard: the 100 oldest are the ones left out.
        #expect(text.contains(ids[599]) && text.contains(ids[100]) && !text.contains(ids[99]))
        #expect(text.contains("Items of gpu (600)"))
        let more = try #require(report.lines.firstIndex { $0.contains("… 100 more") }, "no '… 100 more' line")
        #expect(report.lines[more].contains("launchdeck items --queue gpu"), "\(report.lines[more])")
        let lastRow = try #require(report.lines.lastIndex { $0.contains("01HUGE") })
        #expect(more > lastRow, "the line comes after the rows")
    }
}

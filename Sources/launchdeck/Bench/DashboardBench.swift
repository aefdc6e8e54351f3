import DeckUI
import Foundation
import LaunchModel

/// The dashboard's frame cost on a queue of 100,000 items, without a terminal (`TerminalBench` runs the real process).
enum DashboardBench {
    static func run(into report: inout BenchReport, items count: Int) async {
        let now = Date()
        let queue = Queue(name: "big", target: .localProcess, config: try! QueueConfig.parse("", target: .localProcess), createdAt: now)
        let states = ItemState.allCases
        let items = (0..<count).map { index in
            var item = LaunchItem(id: ItemID.make(at: now.addingTimeInterval(Double(index) / 1000)), queue: "big", jobName: "train",
                                  jobVersion: 1 + index % 3, priority: Priority.allCases[index % 4], state: states[index % states.count],
                                  timestamps: ItemTimestamps(enqueued: now.addingTimeInterval(Double(index) / 1000)))
            if item.state == .running { item.progress = ItemProgress(phase: "run", current: Double(index % 100), total: 100, message: "") }
            return item
        }
        var snapshot = DeckSnapshot()
        snapshot.queues = [QueueRow(queue: queue, depth: QueueDepth(), throughput: Array(repeating: 0, count: Sparkline.minutes), recentFailures: 0)]
        snapshot.items = ["big": ItemList(items)]
        snapshot.updatedAt = now
        snapshot.now = now
        let app = DeckApp()
        let (_, first) = await measure {
            app.receive(snapshot)
            app.state.focus = .items
            _ = app.render(width: 160, height: 48)
        }
        report.results.append(BenchResult(group: "dashboard", name: "first frame from a snapshot, \(count) items", unit: "ms", median: first * 1000))
        var frames = Samples()
        for index in 0..<200 {
            if index % 2 == 0 { _ = app.handle(.down) }
            let (_, seconds) = await measure { _ = app.render(width: 160, height: 48) }
            frames.add(seconds * 1000)
        }
        report.results.append(BenchResult(group: "dashboard", name: "frame build, \(count) items, 160x48", unit: "ms", median: frames.median,
                                          p99: frames.p99, goal: "< 5", met: frames.p99 < 5))
        var refreshes = Samples()
        for _ in 0..<10 {
            var next = snapshot
            next.version = DeckSnapshot.nextVersion()
            let (_, seconds) = await measure {
                app.receive(next)
                _ = app.render(width: 160, height: 48)
            }
            refreshes.add(seconds * 1000)
        }
        report.results.append(BenchResult(group: "dashboard", name: "refresh with a new snapshot, \(count) items", unit: "ms",
                                          median: refreshes.median, p99: refreshes.p99))
    }
}

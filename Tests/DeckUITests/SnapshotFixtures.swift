import Foundation
@testable import DeckUI
import LaunchModel

/// Snapshots built by hand, so views can be rendered without a backend or a terminal.
enum SnapshotFixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func queue(_ name: String, target: TargetKind = .localProcess, config: String = "") -> Queue {
        Queue(name: name, target: target, config: try! QueueConfig.parse(config, target: target), createdAt: now)
    }

    static func item(_ id: String, queue: String = "gpu", job: String = "train", state: ItemState, agent: String? = nil,
                     progress: ItemProgress? = nil, age: TimeInterval = 60) -> LaunchItem {
        var item = LaunchItem(id: id, queue: queue, jobName: job, jobVersion: 1, state: state, agentID: agent,
                              timestamps: ItemTimestamps(enqueued: now.addingTimeInterval(-age)))
        if state.isFinal { item.timestamps.finished = now.addingTimeInterval(-10) }
        if state == .running { item.timestamps.running = now.addingTimeInterval(-30) }
        item.progress = progress
        return item
    }

    static func snapshot(items: [LaunchItem], queues: [Queue]? = nil, agents: [Agent] = []) -> DeckSnapshot {
        var snapshot = DeckSnapshot()
        let queueList = queues ?? [queue("gpu", config: "variables:\n  gpus: {type: int, default: 1, min: 0, max: 8}\n"), queue("cpu")]
        var grouped: [String: [LaunchItem]] = [:]
        for item in items { grouped[item.queue, default: []].append(item) }
        snapshot.items = grouped.mapValues(ItemList.init)
        snapshot.queues = queueList.map { StateStore.row($0, items: grouped[$0.name] ?? [], now: now) }
        snapshot.agents = agents
        snapshot.jobs = [JobSummary(name: "train", latest: JobVersion(name: "train", version: 2,
                                                                     spec: JobSpec(source: .image(reference: "img:1"), entrypoint: ["python", "t.py"]),
                                                                     createdAt: now), versionCount: 2)]
        snapshot.updatedAt = now
        snapshot.now = now
        return snapshot
    }

    static func agent(_ id: String, name: String, state: AgentState = .busy, beat: TimeInterval = 1) -> Agent {
        Agent(id: id, name: name, host: "node-1", queues: ["gpu"], maxJobs: 2, state: state, version: "t", startedAt: now,
              lastHeartbeat: now.addingTimeInterval(-beat),
              environment: AgentEnvironment(hostname: "node-1", os: "Debian 12", cpuCount: 8, memoryBytes: 16 << 30,
                                            gpus: [.init(index: 0, name: "A100", memoryMiB: 40960)],
                                            environmentVariables: ["WANDB_API_KEY": "secret-value", "PATH": "/usr/bin"]))
    }
}

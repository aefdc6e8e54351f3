import Foundation
import LaunchAPI
import LaunchModel
import Prometheus

/// What `/metrics` tells Prometheus: requests by operation and status with their durations, lease and dispatch
/// latency (enqueue to lease), and, read from the store at each scrape, items by queue and state and agents by state.
struct ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let durationBuckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                              .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
    static let dispatchBuckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                              .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(60),
                                              .seconds(300), .seconds(1800), .seconds(3600), .seconds(6 * 3600), .seconds(24 * 3600)]

    func request(_ operation: String, status: Int, took duration: Duration) {
        registry.makeCounter(name: "launchdeck_http_requests_total", labels: [("operation", operation), ("status", String(status))],
                             help: "API requests by operation and HTTP status").increment()
        registry.makeDurationHistogram(name: "launchdeck_http_request_duration_seconds", labels: [("operation", operation)],
                                       buckets: Self.durationBuckets, help: "Time to answer an API request (long polls include their wait)")
            .record(duration)
    }

    /// A lease call's own time in the store, and for each item it leased, how long it waited in its queue.
    func leased(_ items: [LaunchItem], took duration: Duration, at now: Date = Date()) {
        registry.makeDurationHistogram(name: "launchdeck_lease_duration_seconds", labels: [], buckets: Self.durationBuckets,
                                       help: "Time the store took to lease (without the long poll's wait)").record(duration)
        for item in items {
            let waited = max(0, now.timeIntervalSince(item.timestamps.enqueued))
            registry.makeDurationHistogram(name: "launchdeck_dispatch_latency_seconds", labels: [("queue", item.queue)],
                                           buckets: Self.dispatchBuckets, help: "Time from enqueue to lease, per queue")
                .record(.milliseconds(Int(waited * 1000)))
        }
    }

    /// The text format, with the gauges read from the store now.
    func scrape(_ backend: any LaunchBackend) async throws -> String {
        for (queue, depth) in try await backend.queueDepths() {
            for state in ItemState.allCases {
                registry.makeGauge(name: "launchdeck_items", labels: [("queue", queue), ("state", state.rawValue)],
                                   help: "Items by queue and state").set(Double(depth[state]))
            }
        }
        let now = Date()
        let agents = try await backend.agents()
        for state in AgentState.allCases {
            let count = agents.count { $0.effectiveState(now: now, lostAfter: Agent.lostAfterSeconds) == state }
            registry.makeGauge(name: "launchdeck_agents", labels: [("state", state.rawValue)], help: "Agents by state").set(Double(count))
        }
        return registry.emitToString()
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import Testing

/// What an operator watches: health, readiness, and Prometheus metrics behind a token.
@Suite struct OperationsTests {
    @Test func healthReadinessAndMetrics() async throws {
        let fixture = try await ServerFixture()
        #expect(try await fixture.request(.GET, "/healthz", token: nil).status == 200)
        #expect(try await fixture.request(.GET, "/readyz", token: nil).status == 200)
        #expect(try await fixture.request(.GET, "/metrics", token: nil).status == 401)

        _ = try await fixture.store.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
        _ = try await fixture.store.createQueue(name: "gpu", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        let client = try fixture.server.client()
        for _ in 0..<3 { _ = try await client.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "gpu")) }
        try await client.registerAgent(Agent(id: "a1", name: "m", host: "h", queues: ["gpu"], maxJobs: 1, version: "t", startedAt: Date(), lastHeartbeat: Date()))
        #expect(try await client.lease(agent: "a1", queues: ["gpu"], max: 1, leaseFor: 30).count == 1)

        let scrape = try await fixture.request(.GET, "/metrics", token: try await fixture.token(.viewer))
        #expect(scrape.status == 200)
        let text = String(decoding: scrape.body, as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"launchdeck_items{queue="gpu",state="queued"} 2.0"#), "\(text.prefix(3000))")
        #expect(lines.contains(#"launchdeck_items{queue="gpu",state="leased"} 1.0"#))
        #expect(lines.contains(#"launchdeck_agents{state="idle"} 1.0"#))
        #expect(lines.contains(#"launchdeck_http_requests_total{operation="enqueue",status="201"} 3"#))
        #expect(text.contains(#"launchdeck_dispatch_latency_seconds_count{queue="gpu"} 1"#))
        #expect(text.contains("launchdeck_lease_duration_seconds_bucket"))
    }
}

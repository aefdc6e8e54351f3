import Foundation
import LaunchAPI
import LaunchModel
import Testing

/// The contract's requests and replies are plain data that survive JSON unchanged, with the snake_case keys the
/// CLI's JSON output uses: what a remote backend will send over the wire.
@Suite struct ContractCodingTests {
    func roundTrip<T: Codable & Equatable>(_ value: T) throws -> (T, [String: Any]) {
        let data = try JSONEncoder().encode(value)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try JSONDecoder().decode(T.self, from: data), object)
    }

    @Test func anEnqueueRequestSurvivesJSON() throws {
        let request = EnqueueRequest(job: JobReference(name: "train", version: 3), queue: "gpu", priority: .high,
                                     variables: ["gpus": "2"], hyperparameters: ["lr": .double(0.1), "tags": .array([.string("a")])],
                                     relaunchOf: "01KD9Z0000000000000000000A")
        let (decoded, object) = try roundTrip(request)
        #expect(decoded == request)
        #expect(object["relaunch_of"] as? String == "01KD9Z0000000000000000000A")
        #expect(Set(object.keys) == ["job", "queue", "priority", "variables", "hyperparameters", "relaunch_of"])
        let latest = EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "gpu")
        #expect(try roundTrip(latest).0 == latest)
    }

    @Test func anItemFilterAndAHeartbeatReplySurviveJSON() throws {
        let filter = ItemFilter(queue: "gpu", states: [.queued, .running], agentID: "01AGENT", limit: 50)
        let (decoded, object) = try roundTrip(filter)
        #expect(decoded == filter)
        #expect(object["agent_id"] as? String == "01AGENT")
        #expect(try roundTrip(ItemFilter()).0 == ItemFilter())
        let reply = HeartbeatReply(revoked: ["01A", "01B"], stop: true)
        #expect(try roundTrip(reply).0 == reply)
    }
}

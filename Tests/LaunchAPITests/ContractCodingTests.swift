import Foundation
import LaunchAPI
import LaunchModel
import Testing

/// The contract's requests, replies and records are plain data that survive JSON unchanged, written as
/// `WireCoding` writes them: what travels between `launchdeck server` and its clients.
@Suite struct ContractCodingTests {
    func roundTrip<T: Codable & Equatable>(_ value: T) throws -> (T, [String: Any]) {
        let data = try WireCoding.encoder.encode(value)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try WireCoding.decoder.decode(T.self, from: data), object)
    }

    @Test func anEnqueueRequestSurvivesJSON() throws {
        let request = EnqueueRequest(job: JobReference(name: "train", version: 3), queue: "gpu", priority: .high,
                                     variables: ["gpus": "2"], hyperparameters: ["lr": .double(0.1), "tags": .array([.string("a")])],
                                     relaunchOf: "01KD9Z0000000000000000000A")
        let (decoded, object) = try roundTrip(request)
        #expect(decoded == request)
        #expect(object["relaunchOf"] as? String == "01KD9Z0000000000000000000A")
        #expect(Set(object.keys) == ["job", "queue", "priority", "variables", "hyperparameters", "relaunchOf"])
        let latest = EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "gpu")
        #expect(try roundTrip(latest).0 == latest)
    }

    @Test func anItemFilterAndAHeartbeatReplySurviveJSON() throws {
        let filter = ItemFilter(queue: "gpu", states: [.queued, .running], agentID: "01AGENT", limit: 50)
        let (decoded, object) = try roundTrip(filter)
        #expect(decoded == filter)
        #expect(object["agentID"] as? String == "01AGENT")
        #expect(try roundTrip(ItemFilter()).0 == ItemFilter())
        let reply = HeartbeatReply(revoked: ["01A", "01B"], stop: true)
        #expect(try roundTrip(reply).0 == reply)
    }

    /// A queue's configuration travels as the text the user wrote and is parsed where it arrives, comments and all.
    @Test func aQueueTravelsAsItsConfigurationText() throws {
        let text = "# GPUs for the sweep\nmax_attempts: 5\nresource:\n  timeout: 1h\n"
        let config = try QueueConfig.parse(text, target: .localProcess)
        let queue = Queue(name: "gpu", target: .localProcess, config: config, createdAt: Date(timeIntervalSince1970: 1_700_000_000.25),
                          paused: true, configVersion: 4)
        let (decoded, object) = try roundTrip(queue)
        #expect(decoded == queue)
        #expect(decoded.config.maxAttempts == 5)
        #expect(object["configText"] as? String == text)
        #expect(object["config"] == nil)
    }

    @Test func aChangeSetAndQueueDepthsSurviveJSON() throws {
        let item = LaunchItem(id: "01KD9Z0000000000000000000A", queue: "gpu", jobName: "train", jobVersion: 2,
                              overrides: ItemOverrides(hyperparameters: ["lr": .double(0.01)], variables: ["gpus": .int(2)]),
                              state: .running, attempts: 1, agentID: "01AGENT",
                              timestamps: ItemTimestamps(enqueued: Date(timeIntervalSince1970: 1_700_000_000.5)),
                              progress: ItemProgress(phase: "train", current: 3, total: 10, message: "epoch 3"))
        let changes = ChangeSet(cursor: 42, items: [item], deletedQueues: ["old"])
        let data = try WireCoding.encoder.encode(changes)
        let decoded = try WireCoding.decoder.decode(ChangeSet.self, from: data)
        #expect(decoded.cursor == 42)
        #expect(decoded.items == [item])
        #expect(decoded.deletedQueues == ["old"])
        let depth = QueueDepth(counts: [.queued: 3, .running: 1])
        let (decodedDepth, object) = try roundTrip(depth)
        #expect(decodedDepth == depth)
        #expect((object["counts"] as? [String: Int]) == ["queued": 3, "running": 1])
    }

    /// Each kind of error comes back as the error the backend threw, so a client acts on it alike, local or remote.
    @Test func errorsSurviveTheWireByKind() throws {
        for kind in LaunchError.Kind.allCases where kind != .invalidInput {
            let body = ErrorBody(LaunchError(kind: kind, message: "it went wrong"))
            let decoded = try WireCoding.decoder.decode(ErrorBody.self, from: WireCoding.encoder.encode(body))
            let thrown = try #require(decoded.thrown as? LaunchError)
            #expect(thrown.kind == kind)
            #expect(thrown.description == "it went wrong")
            #expect(thrown.isTransient == (kind == .unavailable))
        }
        let failure = ValidationFailure([ValidationIssue(path: "resource.gpus", message: "expected int, got \"two\""),
                                         ValidationIssue(path: "max_attempts", message: "must be at least 1")])
        let body = ErrorBody(failure)
        let object = try #require(try JSONSerialization.jsonObject(with: WireCoding.encoder.encode(body)) as? [String: Any])
        let detail = try #require(object["error"] as? [String: Any])
        #expect(detail["kind"] as? String == "invalid_input")
        let decoded = try WireCoding.decoder.decode(ErrorBody.self, from: WireCoding.encoder.encode(body))
        let thrown = try #require(decoded.thrown as? ValidationFailure)
        #expect(thrown.issues.map(\.path) == ["resource.gpus", "max_attempts"])
        #expect(ErrorBody(LaunchError.illegalTransition(from: .succeeded, to: .running, item: "01A")).error.kind == .conflict)
        #expect(ErrorBody.status(of: .unavailable) == 503)
        #expect(ErrorBody.status(of: .invalidInput) == 400)
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import Testing

/// Bad requests get a 400 with a JSON error naming what is wrong, and change nothing.
@Suite struct BadInputTests {
    func fixtureWithQueue() async throws -> (ServerFixture, String) {
        let fixture = try await ServerFixture()
        _ = try await fixture.store.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
        _ = try await fixture.store.createQueue(name: "q", target: .localProcess,
                                                config: try QueueConfig.parse("variables:\n  n: {type: int, min: 0, max: 9}\n", target: .localProcess))
        return (fixture, try await fixture.token(.admin))
    }

    @Test func malformedUnknownAndMistypedFieldsAreNamed() async throws {
        let (fixture, token) = try await fixtureWithQueue()
        let malformed = try await fixture.request(.POST, "/api/v1/items", token: token, body: Data("{\"job\": ".utf8))
        #expect(malformed.status == 400 && malformed.error?.error.kind == .invalidInput)

        let unknown = try await fixture.request(.POST, "/api/v1/items", token: token, body: Data("""
            {"job": {"name": "train"}, "queue": "q", "priority": "normal", "variables": {}, "hyperparameters": {}, "priorty": "high"}
            """.utf8))
        #expect(unknown.status == 400)
        #expect(unknown.error?.error.issues?.map(\.path) == ["priorty"], "\(String(decoding: unknown.body, as: UTF8.self))")

        let mistyped = try await fixture.request(.POST, "/api/v1/items", token: token, body: Data("""
            {"job": {"name": "train", "version": "three"}, "queue": "q", "priority": "normal", "variables": {}, "hyperparameters": {}}
            """.utf8))
        #expect(mistyped.status == 400)
        #expect(mistyped.error?.error.issues?.first?.path == "job.version", "\(String(decoding: mistyped.body, as: UTF8.self))")

        let missing = try await fixture.request(.POST, "/api/v1/items", token: token, body: Data(#"{"job": {"name": "train"}}"#.utf8))
        #expect(missing.status == 400 && missing.error?.error.issues?.first?.message == "required")

        let badConfig = try await fixture.request(.POST, "/api/v1/queues", token: token, body: Data("""
            {"name": "g", "target": "container", "configText": "resource:\\n  gpus: two\\n"}
            """.utf8))
        #expect(badConfig.status == 400)
        #expect(badConfig.error?.error.issues?.contains { $0.path == "resource.gpus" } == true, "\(String(decoding: badConfig.body, as: UTF8.self))")
        #expect(try await fixture.store.items(ItemFilter()).isEmpty)
        #expect(try await fixture.store.queues().map(\.name) == ["q"])
    }

    @Test func aBatchWithOneBadRequestEnqueuesNothing() async throws {
        let (fixture, token) = try await fixtureWithQueue()
        let request = { (n: String) in #"{"job": {"name": "train"}, "queue": "q", "priority": "normal", "variables": {"n": "\#(n)"}, "hyperparameters": {}}"# }
        let reply = try await fixture.request(.POST, "/api/v1/item-batches", token: token,
                                              body: Data(#"{"requests": [\#(request("1")), \#(request("2")), \#(request("10"))]}"#.utf8))
        #expect(reply.status == 400, "\(String(decoding: reply.body, as: UTF8.self))")
        #expect(try await fixture.store.items(ItemFilter()).isEmpty)
    }

    @Test func bodiesPastTheLimitAndBlobsThatAreNotTheirDigestAreRefused() async throws {
        let (fixture, token) = try await fixtureWithQueue()
        let huge = Data(#"{"requests": [], "pad": ""#.utf8) + Data(repeating: UInt8(ascii: "x"), count: 9 << 20) + Data(#""}"#.utf8)
        // The refusal comes on the request's head, but the client still sends all 9 MiB: on two cores busy with the
        // whole suite that alone has taken longer than the usual 30 s.
        let tooLarge = try await fixture.request(.POST, "/api/v1/item-batches", token: token, body: huge, timeout: .seconds(180))
        #expect(tooLarge.status == 400 && tooLarge.error?.error.message.contains("larger than") == true)

        let content = Data("print('hi')\n".utf8)
        let wrong = "sha256:" + String(repeating: "a", count: 64)
        let refused = try await fixture.request(.PUT, "/api/v1/blobs/\(wrong)", token: token, body: content, contentType: "application/octet-stream")
        #expect(refused.status == 400 && refused.error?.error.message.contains("nothing was stored") == true)
        #expect(try await fixture.request(.HEAD, "/api/v1/blobs/\(wrong)", token: token).status == 404)
        #expect(try await fixture.request(.GET, "/api/v1/blobs/sha256:nothex", token: token).status == 400)
    }

    /// A retried enqueue (the same idempotency key) returns the item the first made, over HTTP as in the store.
    @Test func aRetriedEnqueueEnqueuesOnce() async throws {
        let (fixture, token) = try await fixtureWithQueue()
        let body = Data(#"{"job": {"name": "train"}, "queue": "q", "priority": "normal", "variables": {"n": "1"}, "hyperparameters": {}, "idempotencyKey": "k-1"}"#.utf8)
        let first = try await fixture.request(.POST, "/api/v1/items", token: token, body: body)
        let second = try await fixture.request(.POST, "/api/v1/items", token: token, body: body)
        #expect(first.status == 201 && second.status == 201)
        let ids = try [first, second].map { try WireCoding.decoder.decode(LaunchItem.self, from: $0.body).id }
        #expect(ids[0] == ids[1])
        #expect(try await fixture.store.items(ItemFilter()).count == 1)
    }
}

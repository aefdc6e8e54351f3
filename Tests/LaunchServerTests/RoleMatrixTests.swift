import Foundation
import LaunchAPI
import LaunchModel
import NIOHTTP1
import Testing

/// Every route with every role, generated from the route list, so a new route cannot be left out: a role the route
/// does not admit gets 403, one it admits gets past authorisation; no token, or a token that is not one, gets 401.
@Suite struct RoleMatrixTests {
    static func path(_ operation: APIOperation) -> String {
        var path = operation.path
        let values = ["id": "01AAAAAAAAAAAAAAAAAAAAAAAA", "name": "nosuch", "version": "latest",
                      "digest": "sha256:" + String(repeating: "0", count: 64)]
        for parameter in operation.parameters { path = path.replacingOccurrences(of: "{\(parameter)}", with: values[parameter]!) }
        return path
    }

    @Test func everyRouteWithEveryRole() async throws {
        let fixture = try await ServerFixture()
        var tokens: [APIRole: String] = [:]
        for role in APIRole.allCases { tokens[role] = try await fixture.token(role) }
        for operation in APIOperation.allCases {
            let method = HTTPMethod(rawValue: operation.method.rawValue)
            let body: Data? = [.GET, .HEAD].contains(operation.method) ? nil : (operation == .putBlob ? Data("x".utf8) : Data("{}".utf8))
            for role in APIRole.allCases {
                let reply = try await fixture.request(method, Self.path(operation), token: tokens[role], body: body,
                                                      contentType: operation == .putBlob ? "application/octet-stream" : "application/json")
                if operation.roles.contains(role) {
                    #expect(![401, 403].contains(reply.status), "\(operation.rawValue) as \(role.rawValue): \(reply.status)")
                } else {
                    #expect(reply.status == 403, "\(operation.rawValue) as \(role.rawValue): \(reply.status), expected 403")
                    if operation.method != .HEAD { #expect(reply.error?.error.kind == .forbidden) }
                }
                #expect(reply.status < 500, "\(operation.rawValue) as \(role.rawValue): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
            }
            for token in [nil, "ldk_notatoken", AccessToken.generate()] {
                let reply = try await fixture.request(method, Self.path(operation), token: token, body: body)
                #expect(reply.status == 401, "\(operation.rawValue) with token \(token ?? "none"): \(reply.status)")
            }
        }
    }

    /// The policy the table must keep: viewers only read, tokens are the admin's, configurations too.
    @Test func theRolesAreThoseOfTheDesign() {
        for operation in APIOperation.allCases {
            let reads = [.GET, .HEAD].contains(operation.method)
            #expect(operation.roles.contains(.admin), "\(operation.rawValue): admin may do everything")
            #expect(operation.roles.contains(.viewer) == ((reads && operation != .listTokens) || operation == .reclaimLeases), "\(operation.rawValue)")
        }
        #expect(APIOperation.createQueue.roles == [.admin] && APIOperation.updateQueueConfig.roles == [.admin])
        #expect(APIOperation.enqueue.roles == [.operator, .admin] && APIOperation.lease.roles == [.agent, .admin])
    }

    /// An agent or operator token limited to some queues acts on those only.
    @Test func aTokenLimitedToQueuesActsOnThoseOnly() async throws {
        let fixture = try await ServerFixture()
        _ = try await fixture.store.createJob(name: "train", spec: JobSpec(source: .image(reference: "localhost/base:latest"), entrypoint: ["true"]))
        for name in ["mine", "theirs"] {
            _ = try await fixture.store.createQueue(name: name, target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        }
        let agent = try await fixture.token(.agent, queues: ["mine"])
        let operatorToken = try await fixture.token(.operator, queues: ["mine"])
        let lease = { (queue: String) in Data(#"{"agent": "a1", "queues": ["\#(queue)"], "max": 1, "leaseSeconds": 30}"#.utf8) }
        #expect(try await fixture.request(.POST, "/api/v1/leases", token: agent, body: lease("mine")).status == 200)
        let refused = try await fixture.request(.POST, "/api/v1/leases", token: agent, body: lease("theirs"))
        #expect(refused.status == 403 && refused.error?.error.message.contains("theirs") == true)
        let enqueue = { (queue: String) in Data(#"{"job": {"name": "train"}, "queue": "\#(queue)", "priority": "normal", "variables": {}, "hyperparameters": {}}"#.utf8) }
        #expect(try await fixture.request(.POST, "/api/v1/items", token: operatorToken, body: enqueue("mine")).status == 201)
        #expect(try await fixture.request(.POST, "/api/v1/items", token: operatorToken, body: enqueue("theirs")).status == 403)
        let theirs = try await fixture.store.enqueue(EnqueueRequest(job: JobReference(name: "train", version: nil), queue: "theirs"))
        #expect(try await fixture.request(.POST, "/api/v1/items/\(theirs.id)/cancel", token: operatorToken, body: Data("{}".utf8)).status == 403)
        #expect(try await fixture.store.item(id: theirs.id).state == .queued)
    }
}

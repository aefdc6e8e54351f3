import Foundation
import LaunchAPI
import Testing

/// The OpenAPI document in the repository describes exactly the routes the server binds (APIOperation), with the
/// roles each admits, and the server serves that document.
@Suite struct OpenAPIDocumentTests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/LaunchServer/openapi.json").standardizedFileURL

    func operations() throws -> [String: (path: String, method: String, roles: [String])] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.documentURL)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var found: [String: (path: String, method: String, roles: [String])] = [:]
        for (path, methods) in paths {
            for (method, value) in methods {
                let operation = try #require(value as? [String: Any])
                let id = try #require(operation["operationId"] as? String)
                #expect(found[id] == nil, "operationId \(id) twice")
                found[id] = (path, method.uppercased(), (operation["x-roles"] as? [String]) ?? [])
            }
        }
        return found
    }

    @Test func everyRouteIsDescribedAndNothingElse() throws {
        let documented = try operations()
        for operation in APIOperation.allCases {
            let entry = documented[operation.rawValue]
            #expect(entry != nil, "\(operation.rawValue) is not in openapi.json")
            #expect(entry?.path == operation.path, "\(operation.rawValue): documented at \(entry?.path ?? "-"), served at \(operation.path)")
            #expect(entry?.method == operation.method.rawValue, "\(operation.rawValue): documented as \(entry?.method ?? "-")")
            #expect(entry?.roles == operation.roles.map(\.rawValue).sorted(), "\(operation.rawValue): x-roles differ from the server's")
        }
        let served = Set(APIOperation.allCases.map(\.rawValue))
        #expect(Set(documented.keys).subtracting(served).isEmpty, "documented but not served: \(Set(documented.keys).subtracting(served).sorted())")
    }

    @Test func theServerServesTheDocument() async throws {
        let fixture = try await ServerFixture()
        let reply = try await fixture.request(.GET, "/api/v1/openapi.json", token: nil)
        #expect(reply.status == 200)
        #expect(reply.body == (try Data(contentsOf: Self.documentURL)))
    }
}

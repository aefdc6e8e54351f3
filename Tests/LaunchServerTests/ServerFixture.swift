import AsyncHTTPClient
import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import NIOCore
import NIOHTTP1
import TestSupport

/// A server in this process over a fresh store, and raw HTTP to it: these tests look at statuses and bodies as any
/// client would see them, not through LaunchClient.
final class ServerFixture: Sendable {
    let store: SQLiteBackend
    let server: RunningServer

    init() async throws {
        let directory = TestScratch.directory("server")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteBackend(path: directory.appendingPathComponent("launchdeck.db").path)
        server = try await RunningServer.start(store: store, artifacts: ArtifactStore(root: directory.appendingPathComponent("artifacts")),
                                               maximumWait: .seconds(600))
    }

    deinit { server.stop() }

    /// A token of `role`, made directly in the store.
    func token(_ role: APIRole, queues: [String]? = nil) async throws -> String {
        try await TokenIssuer.issue(CreateTokenRequest(name: "\(role.rawValue)-\(ItemID.make().suffix(6).lowercased())", role: role,
                                                       queues: queues, expiresAt: nil), in: store).secret
    }

    struct Reply {
        var status: Int
        var body: Data
        var error: ErrorBody? { try? WireCoding.decoder.decode(ErrorBody.self, from: body) }
    }

    func request(_ method: HTTPMethod, _ path: String, token: String?, body: Data? = nil, contentType: String = "application/json",
                 timeout: TimeAmount = .seconds(30)) async throws -> Reply {
        var request = HTTPClientRequest(url: server.url + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), body: Data(bytes.readableBytesView))
    }
}

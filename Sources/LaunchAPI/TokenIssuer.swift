import Foundation
import LaunchModel

/// Makes API tokens: on the server for `POST /api/v1/tokens`, or directly in an embedded store for the first admin
/// token and `launchdeck token create` on the server's machine.
public enum TokenIssuer {
    /// Makes a token and its record; the secret is returned once and never stored.
    public static func issue(_ request: CreateTokenRequest, in tokens: any TokenCatalog, now: Date = Date()) async throws -> CreateTokenReply {
        var issues: [ValidationIssue] = []
        do { try Names.validateAgentName(request.name) } catch { issues.append(ValidationIssue(path: "name", message: "\(error)")) }
        if let expiry = request.expiresAt, expiry <= now { issues.append(ValidationIssue(path: "expiresAt", message: "is in the past")) }
        for queue in request.queues ?? [] {
            do { try Names.validateQueueName(queue) } catch { issues.append(ValidationIssue(path: "queues", message: "\(error)")) }
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
        let secret = AccessToken.generate()
        let token = APIToken(id: ItemID.make(at: now), name: request.name, role: request.role, queues: request.queues,
                             createdAt: now, expiresAt: request.expiresAt)
        try await tokens.createToken(token, secretHash: AccessToken.hash(secret))
        return CreateTokenReply(token: token, secret: secret)
    }
}

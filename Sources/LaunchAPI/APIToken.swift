import Foundation
import LaunchModel

/// A token's record: what it may do and for how long. The secret itself is never stored, only its SHA-256
/// (`AccessToken.hash`); the record is what `token list` shows.
public struct APIToken: Sendable, Hashable, Codable {
    /// Short and public: names the token in `token list` and `token revoke`.
    public var id: String
    public var name: String
    public var role: APIRole
    /// The queues an agent or operator token is limited to; nil for all.
    public var queues: [String]?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: String, name: String, role: APIRole, queues: [String]? = nil, createdAt: Date, expiresAt: Date? = nil, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.queues = queues
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Usable now: not revoked and not expired.
    public func isValid(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }

    /// Whether this token may act on `queue` (nil: a request that names no queue).
    public func allows(queue: String) -> Bool {
        queues.map { $0.contains(queue) } ?? true
    }
}

/// The tokens of `launchdeck server`, kept by its backend so that every server of a team shares them.
public protocol TokenCatalog: Sendable {
    /// Stores a new token's record under the hash of its secret.
    func createToken(_ token: APIToken, secretHash: String) async throws
    /// The record of the token with this secret hash, valid or not, with the hash as stored (which the server
    /// compares in constant time); nil when there is none.
    func token(secretHash: String) async throws -> (token: APIToken, secretHash: String)?
    func tokens() async throws -> [APIToken]
    /// By its whole id or its name; the token stops working at once.
    @discardableResult
    func revokeToken(_ reference: String) async throws -> APIToken
}

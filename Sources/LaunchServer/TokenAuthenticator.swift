import Foundation
import LaunchAPI
import LaunchModel
import Synchronization

/// Finds the token of a request's `Authorization: Bearer ...` header. Records are cached for a few seconds, so a busy
/// agent's reports do not each read the token table; a revoke through this server takes effect at once, one through
/// another server within `cacheFor`.
final class TokenAuthenticator: Sendable {
    let tokens: any TokenCatalog
    let cacheFor: TimeInterval
    private let cache = Mutex<[String: (token: APIToken, until: Date)]>([:])

    init(tokens: any TokenCatalog, cacheFor: TimeInterval = 5) {
        self.tokens = tokens
        self.cacheFor = cacheFor
    }

    func authenticate(_ header: String?) async throws -> APIToken {
        guard let header, header.lowercased().hasPrefix("bearer ") else {
            throw LaunchError.unauthorized("no token: send Authorization: Bearer <token> (LAUNCHDECK_TOKEN, or a profile's token file)")
        }
        let secret = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard AccessToken.isWellFormed(secret) else {
            throw LaunchError.unauthorized("not a LaunchDeck token (they start with \(AccessToken.prefix) and carry a checksum): check for a typo or a cut")
        }
        let now = Date()
        // Keyed by the secret the client sent, so a cached token costs no hashing; the store only ever sees hashes.
        if let cached = cache.withLock({ $0[secret] }), cached.until > now {
            return try usable(cached.token, now: now)
        }
        let hash = AccessToken.hash(secret)
        guard let found = try await tokens.token(secretHash: hash), AccessToken.constantTimeEqual(found.secretHash, hash) else {
            throw LaunchError.unauthorized("unknown token")
        }
        let token = found.token
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[secret] = (token, now.addingTimeInterval(cacheFor))
        }
        return try usable(token, now: now)
    }

    func forget(tokenID: String) {
        cache.withLock { cache in cache = cache.filter { $0.value.token.id != tokenID } }
    }

    private func usable(_ token: APIToken, now: Date) throws -> APIToken {
        if token.revokedAt != nil { throw LaunchError.unauthorized("token \(token.name) was revoked") }
        if let expiry = token.expiresAt, expiry <= now { throw LaunchError.unauthorized("token \(token.name) expired") }
        return token
    }
}

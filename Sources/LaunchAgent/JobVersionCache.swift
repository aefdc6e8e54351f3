import LaunchAPI
import LaunchModel
import LaunchStore

/// The job versions this agent has run. A version never changes once created (its content is its identity), so
/// each is read from the backend once, not once per item.
actor JobVersionCache {
    private var versions: [JobReference: JobVersion] = [:]
    /// An agent runs a handful of versions; the bound only keeps a long-lived agent's memory flat.
    private let capacity = 256

    func resolve(_ reference: JobReference, from backend: any LaunchBackend) async throws -> JobVersion {
        // "latest" moves: only an exact version may be cached.
        guard reference.version != nil else { return try await backend.resolveJob(reference) }
        if let known = versions[reference] { return known }
        let version = try await backend.resolveJob(reference)
        if versions.count >= capacity { versions.removeAll(keepingCapacity: true) }
        versions[reference] = version
        return version
    }
}

import LaunchAPI

/// A backend the dashboard can look at, with where its agents' live statuses come from: what `:backend NAME` opens.
public struct BackendConnection: Sendable {
    public let backend: any LaunchBackend
    public let statuses: any AgentStatusSource

    public init(backend: any LaunchBackend, statuses: any AgentStatusSource) {
        self.backend = backend
        self.statuses = statuses
    }
}

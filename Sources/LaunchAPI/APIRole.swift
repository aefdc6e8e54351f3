/// What a token may do on `launchdeck server`. Each route names the roles it admits (`APIOperation.roles`).
public enum APIRole: String, Sendable, Codable, CaseIterable, Comparable {
    /// Reads everything: dashboards, `items`, `logs`.
    case viewer
    /// A viewer that also enqueues, cancels, relaunches, pauses, creates jobs and stops agents.
    case `operator`
    /// An agent: reads, and leases, heartbeats and reports for the queues of its token only.
    case agent
    /// Everything, including queue configurations and tokens.
    case admin

    public static func < (lhs: APIRole, rhs: APIRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

import Foundation

/// An agent's request for up to `max` items of `queues`, as `PostgresBackend.lease` hands it to `leases`.
struct LeaseRequest: Sendable {
    let agent: String
    /// Sorted and without repeats: requests for the same queues share a statement.
    let queues: [String]
    let max: Int
    let leaseFor: TimeInterval

    init(agent: String, queues: [String], max: Int, leaseFor: TimeInterval) {
        self.agent = agent
        self.queues = Array(Set(queues)).sorted()
        self.max = max
        self.leaseFor = leaseFor
    }
}

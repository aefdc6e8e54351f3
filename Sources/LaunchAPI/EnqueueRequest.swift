import Foundation
import LaunchModel

/// A request to put one run of a job on a queue.
public struct EnqueueRequest: Sendable, Hashable, Codable {
    public var job: JobReference
    public var queue: String
    public var priority: Priority
    /// Template-variable values as typed by the user; checked against the queue's declarations.
    public var variables: [String: String]
    public var hyperparameters: [String: JSONValue]
    /// A relaunch with changes: the item this one is a copy of (`relaunch_of`).
    public var relaunchOf: String?
    /// Chosen by the client once per enqueue and sent again with every retry: a backend that already has an item of
    /// this key returns it instead of enqueueing twice (a retry after a lost reply, a server restart).
    public var idempotencyKey: String?

    public init(job: JobReference, queue: String, priority: Priority = .normal, variables: [String: String] = [:],
                hyperparameters: [String: JSONValue] = [:], relaunchOf: String? = nil, idempotencyKey: String? = nil) {
        self.job = job
        self.queue = queue
        self.priority = priority
        self.variables = variables
        self.hyperparameters = hyperparameters
        self.relaunchOf = relaunchOf
        self.idempotencyKey = idempotencyKey
    }
}

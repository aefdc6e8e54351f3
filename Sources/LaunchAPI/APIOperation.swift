/// Every route of `launchdeck server`'s JSON API, version 1: the one list the server binds (exhaustively, so no
/// operation is left without a handler), the client calls, the OpenAPI document describes and the role test walks.
public enum APIOperation: String, Sendable, CaseIterable {
    case createJob, listJobs, jobVersions, resolveJob
    case createQueue, listQueues, getQueue, queueDepths, updateQueueConfig, setQueuePaused
    case enqueue, enqueueBatch, listItems, getItem, cancelItem, relaunchItem, itemRelaunches, itemLogs
    case registerAgent, updateAgent, listAgents, getAgent, stopAgent, agentStatuses
    case lease, heartbeat, reportState, appendLog, reportProgress, reclaimLeases
    case changes, changeCursor, itemPage
    case createToken, listTokens, revokeToken, whoami
    case putBlob, getBlob, headBlob

    public enum Method: String, Sendable { case GET, POST, PUT, DELETE, HEAD }

    public var method: Method {
        switch self {
        case .listJobs, .jobVersions, .resolveJob, .listQueues, .getQueue, .queueDepths, .listItems, .getItem, .itemRelaunches,
             .itemLogs, .listAgents, .getAgent, .agentStatuses, .changes, .changeCursor, .itemPage, .listTokens, .whoami, .getBlob:
            .GET
        case .createJob, .createQueue, .enqueue, .enqueueBatch, .cancelItem, .relaunchItem, .registerAgent, .stopAgent, .lease,
             .heartbeat, .reportState, .appendLog, .reportProgress, .reclaimLeases, .createToken:
            .POST
        case .updateQueueConfig, .setQueuePaused, .updateAgent, .putBlob: .PUT
        case .revokeToken: .DELETE
        case .headBlob: .HEAD
        }
    }

    /// The path, with `{name}` for each parameter as OpenAPI writes it.
    public var path: String {
        switch self {
        case .createJob, .listJobs: "/api/v1/jobs"
        case .jobVersions: "/api/v1/jobs/{name}/versions"
        case .resolveJob: "/api/v1/jobs/{name}/versions/{version}"
        case .createQueue, .listQueues: "/api/v1/queues"
        case .getQueue: "/api/v1/queues/{name}"
        case .queueDepths: "/api/v1/queue-depths"
        case .updateQueueConfig: "/api/v1/queues/{name}/config"
        case .setQueuePaused: "/api/v1/queues/{name}/paused"
        case .enqueue, .listItems: "/api/v1/items"
        case .enqueueBatch: "/api/v1/item-batches"
        case .getItem: "/api/v1/items/{id}"
        case .cancelItem: "/api/v1/items/{id}/cancel"
        case .relaunchItem: "/api/v1/items/{id}/relaunch"
        case .itemRelaunches: "/api/v1/items/{id}/relaunches"
        case .itemLogs: "/api/v1/items/{id}/logs"
        case .registerAgent, .listAgents: "/api/v1/agents"
        case .updateAgent: "/api/v1/agents/{id}/state"
        case .getAgent: "/api/v1/agents/{id}"
        case .stopAgent: "/api/v1/agents/{id}/stop"
        case .agentStatuses: "/api/v1/agent-statuses"
        case .lease: "/api/v1/leases"
        case .heartbeat: "/api/v1/heartbeats"
        case .reportState: "/api/v1/attempts/state"
        case .appendLog: "/api/v1/attempts/logs"
        case .reportProgress: "/api/v1/attempts/progress"
        case .reclaimLeases: "/api/v1/reclaims"
        case .changes: "/api/v1/changes"
        case .changeCursor: "/api/v1/change-cursor"
        case .itemPage: "/api/v1/item-pages"
        case .createToken, .listTokens: "/api/v1/tokens"
        case .revokeToken: "/api/v1/tokens/{id}"
        case .whoami: "/api/v1/whoami"
        case .putBlob, .getBlob, .headBlob: "/api/v1/blobs/{digest}"
        }
    }

    /// The roles a token needs. Reads are open to every role; changes to items and queues' pause to operators;
    /// leasing and reporting to agents; configurations and tokens to admins. Admin may do everything.
    public var roles: Set<APIRole> {
        switch method {
        case .GET, .HEAD:
            switch self {
            case .listTokens: return [.admin]
            default: return Set(APIRole.allCases)
            }
        default:
            switch self {
            case .createJob, .enqueue, .enqueueBatch, .cancelItem, .relaunchItem, .setQueuePaused, .stopAgent, .putBlob:
                return [.operator, .admin]
            case .registerAgent, .updateAgent, .lease, .heartbeat, .reportState, .appendLog, .reportProgress:
                return [.agent, .admin]
            // Reclaiming only applies the store's own rules to leases that ran out; every poller may ask for it.
            case .reclaimLeases:
                return Set(APIRole.allCases)
            default:
                return [.admin]
            }
        }
    }

    /// The path's parameter names, in order.
    public var parameters: [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LaunchModel
import LaunchStore

/// How one agent runs: what it polls, how many items at once, and its timings.
public struct AgentConfiguration: Sendable {
    public var id: String
    public var name: String
    public var queues: [String]
    public var maxJobs: Int
    /// Wait between polls while the queues are empty (enqueues on this machine wake the agent sooner).
    public var pollInterval: Duration = .seconds(1)
    public var heartbeatInterval: Duration = .seconds(2)
    /// How long a lease lasts without a heartbeat; after that another agent may take the item.
    public var leaseSeconds: Double = 30
    /// On SIGTERM: how long running items may go on before they are stopped and returned to their queues.
    public var drainGrace: Duration = .seconds(30)
    /// Between SIGTERM and SIGKILL when a run is cancelled or times out (at most a quarter of the lease: FenceTiming).
    public var stopGraceSeconds: Double = 5
    public var probeInterval: Duration = .seconds(300)
    public var data: DataDirectory
    /// Where item work directories and virtualenvs live: beside the data directory (`<data dir>-work`), never inside
    /// it, so a job's directory leads nowhere near the store; or where `--work-dir` says, which a Slurm queue's
    /// compute nodes must see (the database must stay on a local disk: SQLite's locks do not hold on network file
    /// systems).
    public var workArea: URL
    /// Where the agent keeps what must outlive it and is not the store's: its outbox of attempt reports.
    public var stateDirectory: URL
    /// The Unix user local-process jobs run as (`--run-as`), or nil for the agent's own.
    public var runAs: JobIdentity?
    /// The umask jobs get: the one the agent was started with (LaunchDeck's own files are written with 077).
    public var jobUmask: mode_t?
    /// Whether git jobs may clone local paths and file:// URLs (any repository the agent's user can read).
    public var allowLocalGit = false
    /// Queues asked for that this agent cannot run here, with why; recorded in its environment for everyone to see.
    public var unservedQueues: [String: String] = [:]
    /// The environment as probed before start (to decide what it can serve), so the agent does not probe twice.
    public var probedEnvironment: AgentEnvironment?
    public var runtime: RuntimeDirectory
    /// The `launchdeck-guard` program each job runs under.
    public var guardPath: String
    public var version: String

    public init(id: String = ItemID.make(), name: String, queues: [String], maxJobs: Int, data: DataDirectory,
                runtime: RuntimeDirectory, guardPath: String, version: String) {
        self.id = id
        self.name = name
        self.queues = queues
        self.maxJobs = maxJobs
        self.data = data
        self.workArea = data.workAreaURL
        self.stateDirectory = data.agentStateURL
        self.jobUmask = PrivateFiles.startingUmask
        self.runtime = runtime
        self.guardPath = guardPath
        self.version = version
    }

    public func validate() throws {
        var issues: [ValidationIssue] = []
        do { try Names.validateAgentName(name) } catch { issues.append(ValidationIssue(path: "--name", message: "\(error)")) }
        if queues.isEmpty { issues.append(ValidationIssue(path: "--queue", message: "give at least one queue to poll")) }
        for queue in queues {
            do { try Names.validateQueueName(queue) } catch { issues.append(ValidationIssue(path: "--queue", message: "\(error)")) }
        }
        if maxJobs < 1 || maxJobs > 1024 { issues.append(ValidationIssue(path: "--max-jobs", message: "\(maxJobs) is outside 1..1024")) }
        if leaseSeconds < 2 { issues.append(ValidationIssue(path: "--lease-seconds", message: "\(leaseSeconds) is below min 2")) }
        if !issues.isEmpty { throw ValidationFailure(issues) }
    }

    var workRoot: URL { workArea.appendingPathComponent("work", isDirectory: true) }
    var venvRoot: URL { workArea.appendingPathComponent("venvs", isDirectory: true) }

    /// When guards must begin stopping jobs whose lease is not renewed (see FenceTiming).
    public var fenceTiming: FenceTiming { FenceTiming(leaseSeconds: leaseSeconds, stopGraceSeconds: stopGraceSeconds) }
}

import LaunchModel

/// Whether an agent can run a queue's items where it runs: it must never lease what it cannot run, or it fails every
/// item of that queue in a second while it looks idle.
public enum QueueCapability {
    /// Why this agent cannot serve the queue, or nil when it can.
    public static func problem(_ queue: Queue, environment: AgentEnvironment, targets: [TargetKind: any LaunchTarget] = AgentRunner.defaultTargets) -> String? {
        guard targets[queue.target] != nil else { return "agents cannot run \(queue.target) queues yet" }
        switch queue.target {
        case .localProcess, .kubernetes:
            return nil
        case .container:
            let wanted = queue.config.value["resource"]?["runtime"]?.stringValue ?? "auto"
            let answering = Set(environment.runtimes.map(\.name))
            if wanted == "auto" {
                return answering.isEmpty ? "no container engine answers (podman info and docker info failed or are missing)" : nil
            }
            return answering.contains(wanted) ? nil : "\(wanted) does not answer (\(wanted) info failed or \(wanted) is missing)"
        case .slurm:
            return environment.slurmAvailable == true ? nil : "srun not found: Slurm's client tools are not on this machine"
        }
    }
}

import ArgumentParser
import DeckUI
import Foundation
import LaunchModel
import LaunchStore

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run an agent, or inspect agents and where they run.",
        discussion: "`launchdeck agent --queue NAME` runs an agent in the foreground (the `run` subcommand).",
        subcommands: [AgentRun.self, AgentList.self, AgentDescribe.self, AgentStop.self, AgentStatusCommand.self],
        defaultSubcommand: AgentRun.self)
}

struct AgentList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List agents.")
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let agents = try await CommandContext.open(connection).backend.agents()
        try output.emit(json: agents.map(AgentRecord.init)) {
            var table = TextTable("ID", "NAME", "HOST", "STATE", "MAX JOBS", "QUEUES", "HEARTBEAT", "VERSION")
            for agent in agents {
                table.add(agent.id, agent.name, agent.host, agent.state.rawValue, String(agent.maxJobs), agent.queues.joined(separator: ","),
                          Durations.age(agent.lastHeartbeat) + " ago", agent.version)
            }
            return table.render()
        }
    }
}

struct AgentStop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Ask an agent to drain and stop, wherever it runs.",
        discussion: "The agent hears it on its next heartbeat: running items get its --drain-seconds, the rest go back to their queues.")
    @Argument(help: "Agent id, name or id prefix.") var agent: String

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let stopped = try await CommandContext.open(connection).backend.requestAgentStop(agent)
        print("asked agent \(stopped.name) (\(stopped.id)) to stop; it drains at its next heartbeat")
    }
}

struct AgentDescribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show an agent and its environment.")
    @Argument(help: "Agent id, name or id prefix.") var id: String
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let agent = try await CommandContext.open(connection).backend.agent(id: id)
        try output.emit(json: AgentRecord(agent)) {
            let env = agent.environment
            var lines = [
                "Agent:         \(agent.name) (\(agent.id))",
                "State:         \(agent.state)",
                "Host:          \(agent.host)",
                "Queues:        \(agent.queues.joined(separator: ", "))",
            ] + (env.unservedQueues ?? [:]).keys.sorted().map { "Cannot serve:  \($0): \(env.unservedQueues![$0]!)" } + [
                "Max jobs:      \(agent.maxJobs)",
                "Version:       \(agent.version)",
                "Started:       \(LocalTime.format(agent.startedAt))",
                "Heartbeat:     \(Durations.age(agent.lastHeartbeat)) ago",
                "OS:            \([env.os, env.kernel, env.architecture].compactMap { $0 }.joined(separator: " "))",
                "CPU:           \(env.cpuCount.map(String.init) ?? "?") x \(env.cpuModel ?? "?")",
                "Memory:        \(env.memoryBytes.map { String(format: "%.1f GiB", Double($0) / 1_073_741_824) } ?? "?")",
                "GPUs:          \(env.gpus.isEmpty ? "none" : env.gpus.map { "\($0.index): \($0.name)" }.joined(separator: ", "))",
                "Runtimes:      \(env.runtimes.isEmpty ? "none" : env.runtimes.map { "\($0.name) \($0.version)" }.joined(separator: ", "))",
                "Slurm:         \(env.slurmAvailable.map { $0 ? "srun available" : "no" } ?? "?")",
                "Kubernetes:    \(env.kubectlAvailable == true ? "kubectl, context \(env.kubernetesContext ?? "none")" : "no")",
                "Environment:",
            ]
            let variables = SecretRedactor.redactEnvironment(env.environmentVariables)
            for key in variables.keys.sorted() {
                lines.append("  \(key)=\(variables[key]!)")
            }
            return lines.map(TerminalTextSafety.inert).joined(separator: "\n") + "\n"
        }
    }
}

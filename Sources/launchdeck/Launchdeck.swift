import ArgumentParser

/// The root command; each subcommand is one file.
struct Launchdeck: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "launchdeck",
        abstract: "Launch, queue and watch ML jobs on local processes, containers, Slurm and Kubernetes.",
        discussion: "State lives in $LAUNCHDECK_HOME (default $XDG_DATA_HOME/launchdeck or ~/.local/share/launchdeck).",
        version: version,
        subcommands: [
            DashboardCommand.self, JobCommand.self, QueueCommand.self, EnqueueCommand.self, ItemsCommand.self, ItemCommand.self, WaitCommand.self,
            LogsCommand.self, CancelCommand.self, RelaunchCommand.self, AgentCommand.self, ServerCommand.self, MigrateCommand.self, TokenCommand.self, DemoCommand.self, BenchCommand.self,
            DebugCommand.self,
        ],
        defaultSubcommand: DashboardCommand.self
    )
}

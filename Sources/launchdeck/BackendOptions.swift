import ArgumentParser
import LaunchClient

/// `--backend URL` and `--profile NAME`, on every command that reads or writes state (`BackendSelection` says which
/// wins, and where tokens come from).
struct BackendOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A launchdeck server to use instead of this machine's store (or LAUNCHDECK_BACKEND; token: LAUNCHDECK_TOKEN).",
                               valueName: "url")) var backend: String?
    @Option(help: ArgumentHelp("A named profile of $XDG_CONFIG_HOME/launchdeck/config.yaml (server, token file).", valueName: "name"))
    var profile: String?

    func selection() throws -> BackendSelection {
        try BackendSelection.resolve(backend: backend, profile: profile)
    }
}

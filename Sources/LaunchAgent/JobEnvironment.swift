import Foundation

/// What a job inherits of its agent's environment: a documented base, never the whole of it, so the agent's own
/// settings and secrets (a cloud token in the shell that started it) stay with the agent. Everything else a job sees
/// comes from its queue (`resource.env`) and from LaunchDeck (`LAUNCHDECK_*`).
public enum JobEnvironment {
    /// Taken from the agent's environment when set: where programs are, who and where the user is, language and time.
    public static let inheritedNames: Set<String> = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"]

    /// The base for a job run as the agent's user, or as `identity` (whose home, name and shell replace the agent's).
    public static func base(of agent: [String: String] = ProcessInfo.processInfo.environment, identity: JobIdentity? = nil) -> [String: String] {
        var environment = agent.filter { inheritedNames.contains($0.key) || $0.key.hasPrefix("LC_") }
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        if let identity {
            environment["HOME"] = identity.home
            environment["USER"] = identity.name
            environment["LOGNAME"] = identity.name
            environment["SHELL"] = identity.shell
            // The agent's TMPDIR may be private to the agent's user.
            environment.removeValue(forKey: "TMPDIR")
        }
        return environment
    }
}

/// Which git repositories a job may name. Like W&B Launch: `https://`, `ssh://` and scp-like `git@host:path`. Local
/// paths and `file://` URLs would let a job clone any repository the agent's user can read, so they need
/// `--allow-local-git` (at `job create` and on the agent); git's other transports (`ext::` runs a command, `fd::`
/// reads a file descriptor of the agent's, `git://` and `http://` are unauthenticated plain text) never run.
public enum GitURLPolicy {
    public static let allowLocalHint = "use job create --allow-local-git, and start agents with --allow-local-git"

    /// Why `url` may not be used, or nil when it may.
    public static func problem(with url: String, allowLocal: Bool) -> String? {
        if url.isEmpty { return "the git URL is empty" }
        if url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7f }) {
            return "a git URL cannot hold spaces or control characters"
        }
        if url.hasPrefix("-") { return "a git URL cannot start with -" }
        let lower = url.lowercased()
        if let scheme = lower.range(of: "://").map({ String(lower[..<$0.lowerBound]) }) {
            switch scheme {
            case "https", "ssh", "git+ssh", "ssh+git":
                let rest = url[url.range(of: "://")!.upperBound...]
                let authority = rest.prefix { $0 != "/" }
                return authority.isEmpty || authority.hasSuffix("@") ? "the git URL names no host" : nil
            case "file":
                return allowLocal ? nil : "file:// URLs are refused: they clone any repository the agent's user can read (\(allowLocalHint))"
            case "http":
                return "plain http:// is refused: use https://"
            default:
                return "\(scheme):// is not allowed: use https:// or ssh:// (or git@host:path)"
            }
        }
        if let transport = url.range(of: "::"), !url[..<transport.lowerBound].contains("/") {
            return "git's \(url[..<transport.lowerBound]):: transport is refused: use https:// or ssh:// (or git@host:path)"
        }
        // scp-like syntax: a colon with no slash before it, and a host before that (as git itself reads it).
        if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") {
            let host = url[..<colon].split(separator: "@", omittingEmptySubsequences: false).last ?? ""
            return host.isEmpty || url[url.index(after: colon)...].isEmpty ? "\(url) names no host and path" : nil
        }
        return allowLocal ? nil : "local repositories are refused: they clone any repository the agent's user can read (\(allowLocalHint))"
    }
}

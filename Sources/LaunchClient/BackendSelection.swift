import Foundation
import LaunchModel
import Yams

/// Which backend a command talks to: a server (`--backend URL`, `LAUNCHDECK_BACKEND`, or a named profile of
/// `$XDG_CONFIG_HOME/launchdeck/config.yaml`), or, when none is named, the embedded store of this machine.
///
/// ```yaml
/// default: team            # the profile used when none is named (optional)
/// profiles:
///   team:
///     backend: https://launch.example.com:7420
///     token_file: ~/.config/launchdeck/team.token   # mode 0600; the token itself is never in this file
///     ca_file: ~/.config/launchdeck/team-ca.pem      # optional: the CA that signed the server's certificate
/// ```
public struct BackendSelection: Sendable, Equatable {
    /// The server's URL; nil for the embedded store.
    public var url: String?
    public var token: String?
    public var caFile: String?
    /// The profile it came from, for messages and the dashboard's `:backend`.
    public var profile: String?

    public static let embedded = BackendSelection(url: nil, token: nil, caFile: nil, profile: nil)

    /// Precedence: `--backend` over `--profile` over `LAUNCHDECK_BACKEND` over the config's default profile. A token
    /// comes from `LAUNCHDECK_TOKEN`, else from the profile's token file.
    public static func resolve(backend: String?, profile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BackendSelection {
        let environmentToken = environment["LAUNCHDECK_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let backend, !backend.isEmpty {
            return BackendSelection(url: backend, token: environmentToken, caFile: environment["LAUNCHDECK_CA_FILE"], profile: nil)
        }
        let profiles = try ClientProfiles.load(environment: environment)
        if let profile {
            guard let chosen = profiles.profiles[profile] else {
                throw ValidationFailure([ValidationIssue(path: "--profile", message: "no profile named \(profile.escapedForMessage) in \(profiles.path)"
                                                         + (profiles.profiles.isEmpty ? "" : " (it has \(profiles.profiles.keys.sorted().joined(separator: ", ")))"))])
            }
            return try chosen.selection(named: profile, environmentToken: environmentToken)
        }
        if let url = environment["LAUNCHDECK_BACKEND"], !url.isEmpty {
            return BackendSelection(url: url, token: environmentToken, caFile: environment["LAUNCHDECK_CA_FILE"], profile: nil)
        }
        if let name = profiles.defaultProfile, let chosen = profiles.profiles[name] {
            return try chosen.selection(named: name, environmentToken: environmentToken)
        }
        return .embedded
    }
}

/// The profiles of `config.yaml`.
public struct ClientProfiles: Sendable {
    public struct Profile: Sendable, Equatable {
        public var backend: String
        public var tokenFile: String?
        public var caFile: String?

        func selection(named name: String, environmentToken: String?) throws -> BackendSelection {
            let token = try environmentToken ?? tokenFile.map { try ClientProfiles.readToken(ClientProfiles.expand($0), profile: name) }
            return BackendSelection(url: backend, token: token, caFile: caFile.map(ClientProfiles.expand), profile: name)
        }
    }

    public var path: String
    public var defaultProfile: String?
    public var profiles: [String: Profile]

    public static func configPath(environment: [String: String]) -> String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/launchdeck/config.yaml"
    }

    public static func load(environment: [String: String]) throws -> ClientProfiles {
        let path = configPath(environment: environment)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return ClientProfiles(path: path, defaultProfile: nil, profiles: [:])
        }
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw ValidationFailure([ValidationIssue(path: path, message: "not valid YAML: \(error)")])
        }
        guard let document = root as? [String: Any] else { return ClientProfiles(path: path, defaultProfile: nil, profiles: [:]) }
        var profiles: [String: Profile] = [:]
        var issues: [ValidationIssue] = []
        for (name, value) in (document["profiles"] as? [String: Any]) ?? [:] {
            guard let fields = value as? [String: Any], let backend = fields["backend"] as? String else {
                issues.append(ValidationIssue(path: "profiles.\(name).backend", message: "required: the server's URL"))
                continue
            }
            for key in fields.keys where !["backend", "token_file", "ca_file"].contains(key) {
                issues.append(ValidationIssue(path: "profiles.\(name).\(key)", message: "unknown field (a token belongs in a file named by token_file)"))
            }
            profiles[name] = Profile(backend: backend, tokenFile: fields["token_file"] as? String, caFile: fields["ca_file"] as? String)
        }
        if !issues.isEmpty { throw ValidationFailure(issues, source: path) }
        let defaultProfile = document["default"] as? String
        if let defaultProfile, profiles[defaultProfile] == nil {
            throw ValidationFailure([ValidationIssue(path: "default", message: "no profile named \(defaultProfile.escapedForMessage)")], source: path)
        }
        return ClientProfiles(path: path, defaultProfile: defaultProfile, profiles: profiles)
    }

    /// A token file must be the user's own and closed to others: a token readable by the group is a leaked token.
    static func readToken(_ path: String, profile: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ValidationFailure([ValidationIssue(path: "profiles.\(profile).token_file", message: "\(path): \(String(cString: strerror(errno)))")])
        }
        guard info.st_mode & 0o077 == 0, info.st_uid == geteuid() else {
            throw ValidationFailure([ValidationIssue(path: "profiles.\(profile).token_file",
                                                     message: "\(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")])
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationFailure([ValidationIssue(path: "profiles.\(profile).token_file", message: "\(path): cannot read")])
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func expand(_ path: String) -> String {
        path.hasPrefix("~/") ? NSHomeDirectory() + path.dropFirst() : path
    }
}

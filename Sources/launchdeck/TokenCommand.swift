import ArgumentParser
import DeckUI
import Foundation
import LaunchAPI
import LaunchModel

/// `launchdeck token`: the API tokens of a server. Against a server (`--backend`, with an admin token), or on the
/// server's machine directly in its store.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke the API tokens of a launchdeck server.",
        subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self])
}

struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make a token; its secret is printed once and never stored.",
        discussion: "viewer: read; operator: also enqueue, cancel, relaunch, pause; agent: lease, report and log for its queues; admin: everything.")
    @Option(help: "viewer, operator, agent or admin.") var role: String
    @Option(help: "A name for listings (default: the role and a short id).") var name: String?
    @Option(help: "Expire after this long (90s, 30m, 2h, 30d).") var expires: String?
    @Option(help: "Limit the token to these queues (comma-separated).") var queues: String?
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: BackendOptions

    func run() async throws {
        guard let role = APIRole(rawValue: role) else {
            throw ValidationFailure([ValidationIssue(path: "--role", message: "unknown role \"\(role.escapedForMessage)\" (use \(APIRole.allCases.map(\.rawValue).joined(separator: ", ")))")])
        }
        var expiresAt: Date?
        if let expires {
            guard let duration = TimeLimit.parse(expires) else {
                throw ValidationFailure([ValidationIssue(path: "--expires", message: "expected a duration such as 30d, got \"\(expires.escapedForMessage)\"")])
            }
            expiresAt = Date().addingTimeInterval(Double(duration.components.seconds))
        }
        let queueList = queues.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        let request = CreateTokenRequest(name: name ?? "\(role.rawValue)-\(ItemID.make().suffix(6).lowercased())", role: role,
                                         queues: queueList, expiresAt: expiresAt)
        let context = try await CommandContext.open(connection)
        let reply: CreateTokenReply
        if let remote = context.remote {
            reply = try await remote.createToken(name: request.name, role: request.role, queues: request.queues, expiresAt: request.expiresAt)
        } else {
            reply = try await TokenIssuer.issue(request, in: context.backend)
        }
        try output.emit(json: reply) {
            "token \(reply.token.name) (\(reply.token.role.rawValue)\(reply.token.queues.map { ", queues \($0.joined(separator: ","))" } ?? "")), id \(reply.token.id):\n"
                + "\(reply.secret)\n"
                + "shown once: store it where only its user can read it (a 0600 file a profile names, or LAUNCHDECK_TOKEN)\n"
        }
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let tokens = try await CommandContext.open(connection).backend.tokens()
        try output.emit(json: tokens) {
            var table = TextTable("ID", "NAME", "ROLE", "QUEUES", "CREATED", "EXPIRES", "STATE")
            let now = Date()
            for token in tokens {
                table.add(token.id, token.name, token.role.rawValue, token.queues?.joined(separator: ",") ?? "all",
                          Durations.age(token.createdAt) + " ago", token.expiresAt.map { LocalTime.format($0) } ?? "never",
                          token.revokedAt != nil ? "revoked" : (token.isValid(at: now) ? "valid" : "expired"))
            }
            return table.render()
        }
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token at once.")
    @Argument(help: "The token's id or name.") var token: String
    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let revoked = try await CommandContext.open(connection).backend.revokeToken(token)
        print("revoked token \(revoked.name) (\(revoked.id))")
    }
}

import Foundation
import LaunchModel
import Testing

/// Input made to hurt: names that hide secrets, YAML that explodes, numbers that do not survive typing, git URLs
/// that reach past the network.
@Suite struct HostileInputTests {
    @Test func secretWordsBeforeTheEndAndURLsInEnvironmentValuesAreHidden() {
        for name in ["GITHUB_PAT", "gitlab_pat", "SIGNING_KEY_PEM", "API_TOKEN_B64", "service_key_json", "DEPLOY_KEY_BASE64"] {
            #expect(SecretRedactor.isSecret(name: name), "\(name)")
        }
        for name in ["key_dim", "KEY_FILE", "PATH", "patience", "max_tokens", "key_value_heads", "PATCH_SIZE"] {
            #expect(!SecretRedactor.isSecret(name: name), "\(name)")
        }
        let shown = SecretRedactor.redactEnvironment(["DATABASE_URL": "mysql://root:pw-in-url@h/db", "GITHUB_PAT": "ghp_x", "HOME": "/root"])
        #expect(shown == ["DATABASE_URL": "mysql://root:[redacted]@h/db", "GITHUB_PAT": "[redacted]", "HOME": "/root"])
        // Agents record their environment redacted, so the store never holds it.
        let environment = AgentEnvironment(environmentVariables: ["DATABASE_URL": "mysql://root:pw-in-url@h/db"])
        #expect(environment.environmentVariables["DATABASE_URL"] == "mysql://root:[redacted]@h/db")
    }

    /// The nine-level "billion laughs": refused from the parser's events, before anything is expanded.
    @Test func yamlAliasesAreRefusedBeforeTheyExpand() {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let letters = Array("abcdefghij")
        for level in 1..<10 {
            let alias = "*\(letters[level - 1])"
            text += "\(letters[level]): &\(letters[level]) [\(Array(repeating: alias, count: 9).joined(separator: ","))]\n"
        }
        let started = ContinuousClock.now
        #expect(throws: ValidationFailure.self) { try QueueConfig.parse(text, target: .localProcess) }
        // Refused, not expanded: expanding took over a minute and 1.5 GB. (A bound against that, not a speed goal.)
        #expect(ContinuousClock.now - started < .seconds(5))
        do {
            _ = try QueueConfig.parse(text, target: .localProcess)
        } catch {
            #expect(error.issues.count == 1 && error.issues[0].line == 2, "\(error.issues)")
            #expect(error.issues[0].message.contains("aliases"))
        }
    }

    @Test func oversizedConfigurationsAreRefused() {
        let big = "description: \"" + String(repeating: "x", count: 1 << 20) + "\"\n"
        #expect(throws: ValidationFailure.self) { try QueueConfig.parse(big, target: .localProcess) }
        let many = "variables:\n" + (0..<7000).map { "  v\($0): {type: int}\n" }.joined()
        do {
            _ = try QueueConfig.parse(many, target: .localProcess)
            Issue.record("20,000 and more keys were accepted")
        } catch {
            #expect(error.issues.first?.message.contains("more than 20000 keys") == true, "\(error.issues.prefix(2))")
        }
    }

    @Test func valuesThatWouldNotReadBackAsTypedStayText() {
        #expect(JSONValue.parseLiteral("18446744073709551615") == .string("18446744073709551615"))
        #expect(JSONValue.parseLiteral("007") == .string("007"))
        #expect(JSONValue.parseLiteral("007.5") == .string("007.5"))
        #expect(JSONValue.parseLiteral("+5") == .string("+5"))
        #expect(JSONValue.parseLiteral("3.14159265358979323846") == .string("3.14159265358979323846"))
        #expect(JSONValue.parseLiteral("0x10") == .string("0x10"))
        #expect(JSONValue.parseLiteral("42") == .int(42))
        #expect(JSONValue.parseLiteral("-3") == .int(-3))
        #expect(JSONValue.parseLiteral("0.1") == .double(0.1))
        #expect(JSONValue.parseLiteral("1e-3") == .double(0.001))
        #expect(JSONValue.parseLiteral("2.50") == .double(2.5))
        #expect(JSONValue.parseLiteral("0") == .int(0))
        #expect(JSONValue.numberKeptAsText("18446744073709551615")?.contains("64-bit") == true)
        #expect(JSONValue.numberKeptAsText("007")?.contains("leading zeros") == true)
        #expect(JSONValue.numberKeptAsText("42") == nil && JSONValue.numberKeptAsText("resnet") == nil)
    }

    @Test func gitURLsOnlyOverTheNetworkUnlessLocalIsAllowed() {
        for url in ["https://github.com/org/repo.git", "ssh://git@github.com/org/repo.git", "git@github.com:org/repo.git",
                    "github-work:org/repo.git"] {
            #expect(GitURLPolicy.problem(with: url, allowLocal: false) == nil, "\(url)")
        }
        for url in ["file:///srv/repo", "/srv/repo", "./repo", "ext::sh -c touch% /tmp/x", "ext::sh", "fd::3", "git://host/r",
                    "http://host/r.git", "-uhttps://x", "https://", "ftp://host/r"] {
            #expect(GitURLPolicy.problem(with: url, allowLocal: false) != nil, "\(url)")
        }
        #expect(GitURLPolicy.problem(with: "file:///srv/repo", allowLocal: true) == nil)
        #expect(GitURLPolicy.problem(with: "/srv/repo", allowLocal: true) == nil)
        #expect(GitURLPolicy.problem(with: "ext::sh", allowLocal: true) != nil)
        #expect(GitURLPolicy.problem(with: "fd::3", allowLocal: true) != nil)
    }

    @Test func agentNamesAreNamesNotPaths() throws {
        for name in ["gpu-box", "vm", "node7.cluster.local", "me@laptop"] { try Names.validateAgentName(name) }
        for name in ["", "a/b", "../x", "x\ny", "-x", String(repeating: "a", count: 200), "sp ace"] {
            #expect(throws: LaunchError.self, "\(name)") { try Names.validateAgentName(name) }
        }
        #expect(Names.agentName(fromHost: "my host/1") == "my-host-1")
    }

    @Test func aSecondEditorsSaveNeitherLosesTheFirstNorItsOwnText() throws {
        var session = ConfigEditSession(target: .localProcess, original: "max_attempts: 2\n", baseVersion: 3)
        guard case .saved = session.submit("max_attempts: 4\n") else { Issue.record("valid text not saved"); return }
        session.conflicted("max_attempts: 4\n", currentText: "max_attempts: 5\ndescription: theirs\n", currentVersion: 4)
        #expect(session.baseVersion == 4)
        let file = session.fileContents
        #expect(file.hasSuffix("max_attempts: 4\n"), "\(file)")
        #expect(file.contains("# launchdeck: | max_attempts: 5\n# launchdeck: | description: theirs\n"), "\(file)")
        #expect(file.contains("someone else saved"))
        // Saving it unchanged goes over their version, knowingly; the header is never saved.
        guard case .saved(let config) = session.submit(file) else { Issue.record("retry refused"); return }
        #expect(config.text == "max_attempts: 4\n")
    }
}

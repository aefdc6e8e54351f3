import LaunchModel
import Testing

@Suite struct ConfigEditSessionTests {
    let original = "resource:\n  timeout: 1h\n"

    @Test func unchangedFileChangesNothing() {
        var session = ConfigEditSession(target: .localProcess, original: original)
        guard case .unchanged = session.submit(session.fileContents) else { Issue.record("expected unchanged"); return }
    }

    @Test func invalidTextReopensWithErrorsAndTheUsersText() {
        var session = ConfigEditSession(target: .localProcess, original: original)
        let broken = "resource:\n  timeout: soon\n  # my note\n"
        guard case .invalid(let failure) = session.submit(broken) else { Issue.record("expected invalid"); return }
        #expect(failure.issues.map(\.description) == ["resource.timeout: \"soon\" is not a duration (example: 90m)"])
        let reopened = session.fileContents
        #expect(reopened.hasSuffix(broken))
        // Line 2 of the user's text is line 5 of the file the editor shows, below three header lines.
        #expect(reopened.contains("# launchdeck:   line 5: resource.timeout"))
        #expect(session.headerLineCount == 3)
        #expect(reopened.split(separator: "\n", omittingEmptySubsequences: false)[4] == "  timeout: soon")

        let fixed = reopened.replacingOccurrences(of: "soon", with: "30m")
        guard case .saved(let config) = session.submit(fixed) else { Issue.record("expected saved"); return }
        #expect(config.text == "resource:\n  timeout: 30m\n  # my note\n")
    }

    /// An error quoting a key with a newline in it must not split the header and leave half of it as user text.
    @Test func errorsQuotingTheUsersTextStayInTheHeader() {
        var session = ConfigEditSession(target: .localProcess, original: original)
        let broken = "\"x\\ny\": 1\n"
        guard case .invalid = session.submit(broken) else { Issue.record("expected invalid"); return }
        let reopened = session.fileContents
        #expect(reopened.hasSuffix(broken))
        #expect(reopened.split(separator: "\n").count == session.headerLineCount + 1, "\(reopened)")
        guard case .abandoned(let text) = session.submit(reopened) else { Issue.record("expected abandoned"); return }
        #expect(text == broken)
    }

    @Test func savingTheSameInvalidTextAgainGivesUpAndKeepsIt() {
        var session = ConfigEditSession(target: .localProcess, original: original)
        let broken = "resource: [\n"
        _ = session.submit(broken)
        guard case .abandoned(let text) = session.submit(session.fileContents) else { Issue.record("expected abandoned"); return }
        #expect(text == broken)
    }

    @Test func aValidEditTheStoreCouldNotSaveReopensAndSavingAgainRetries() {
        var session = ConfigEditSession(target: .localProcess, original: original)
        let edited = "resource:\n  timeout: 2h\n  # my edit\n"
        guard case .saved = session.submit(edited) else { Issue.record("expected saved"); return }
        session.storeFailed(edited, reason: "disk full: cannot write launchdeck.db")
        let reopened = session.fileContents
        #expect(reopened.hasSuffix(edited), "the user's text is kept")
        #expect(reopened.contains("# launchdeck:   not saved: disk full"))
        #expect(reopened.contains("save it unchanged to try again"))
        guard case .saved(let config) = session.submit(reopened) else { Issue.record("expected a retry, not giving up"); return }
        #expect(config.text == edited)
    }
}

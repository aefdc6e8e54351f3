/// The rules of editing a queue configuration in `$EDITOR`, apart from the editor itself so the CLI and the
/// dashboard share them: an unchanged file changes nothing, an invalid one comes back with its errors on top
/// and the user's own text below, and a user who gives up keeps that text.
public struct ConfigEditSession: Sendable {
    public enum Outcome: Sendable {
        case unchanged
        case saved(QueueConfig)
        case invalid(ValidationFailure)
        /// The user saved the invalid text again without changing it: stop, keeping their text.
        case abandoned(text: String)
    }

    static let marker = "# launchdeck: "

    public let target: TargetKind
    public let original: String
    /// The stored version the edit saves over (compare and swap): a save fails when someone saved another meanwhile.
    public private(set) var baseVersion: Int
    public private(set) var rejectedText: String?
    public private(set) var issues: [ValidationIssue] = []
    /// The rejected text was valid but could not be stored: saving it unchanged tries again instead of giving up.
    private var rejectedByStore = false
    /// After a conflict: the text someone else saved meanwhile, shown as comments above the user's own to merge from.
    private var theirs: [String] = []

    public init(target: TargetKind, original: String, baseVersion: Int = 1) {
        self.target = target
        self.original = original
        self.baseVersion = baseVersion
    }

    /// What the editor opens: the errors as comments, then the text to fix.
    public var fileContents: String {
        guard let rejectedText else { return original }
        return header + rejectedText
    }

    /// Lines the header takes, so issue lines can point into the file as the user sees it.
    public var headerLineCount: Int {
        rejectedText == nil ? 0 : Self.headerLines(issueCount: issues.count) + theirs.count
    }

    /// The current issues with their lines counted in the file the editor opens (below the header), as the header
    /// itself, the errors printed by `queue edit` and the dashboard's overlay all show them.
    public var issuesInFile: [ValidationIssue] {
        let offset = headerLineCount
        return issues.map { issue in
            var shown = issue
            shown.line = issue.line.map { $0 + offset }
            return shown
        }
    }

    /// Two lines of explanation, then one per issue.
    private static func headerLines(issueCount: Int) -> Int { 2 + issueCount }

    private var header: String {
        guard rejectedText != nil else { return "" }
        var lines = ["\(Self.marker)this configuration was NOT saved; fix the errors below and save again,",
                     rejectedByStore ? "\(Self.marker)or save it unchanged to try again."
                                     : "\(Self.marker)or save it unchanged to give up (your text is kept)."]
        // Line numbers count the header too, as the editor and the errors printed beside it do. An issue quoting the
        // user's text (a key with a newline in it) is escaped, or its second half would land below the header as
        // if the user had written it.
        lines += issuesInFile.map { "\(Self.marker)  \($0.line.map { "line \($0): " } ?? "")\($0.description.escapedForMessage)" }
        lines += theirs.map { "\(Self.marker)| \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    public mutating func submit(_ fileText: String, source: String? = nil) -> Outcome {
        let body = Self.stripHeader(fileText)
        if rejectedText == nil && body == original { return .unchanged }
        if let rejected = rejectedText, body == rejected, !rejectedByStore { return .abandoned(text: body) }
        do {
            return .saved(try QueueConfig.parse(body, target: target, source: source))
        } catch {
            rejectedText = body
            issues = error.issues
            rejectedByStore = false
            theirs = []
            return .invalid(error)
        }
    }

    /// The text was valid but the store could not save it (disk full, read-only data directory): keep the
    /// user's text, show why on top of it, and let the user save again to retry.
    public mutating func storeFailed(_ fileText: String, reason: String) {
        rejectedText = Self.stripHeader(fileText)
        issues = [ValidationIssue(path: "", message: "not saved: \(reason)")]
        rejectedByStore = true
        theirs = []
    }

    /// Someone else saved the configuration (now at `currentVersion`, `currentText`) while the user edited: nothing
    /// is lost. The user's text stays, theirs is shown above it as comments, and the next save goes over their version
    /// (saving unchanged replaces theirs, knowingly).
    public mutating func conflicted(_ fileText: String, currentText: String, currentVersion: Int) {
        rejectedText = Self.stripHeader(fileText)
        issues = [ValidationIssue(path: "", message: "not saved: someone else saved this queue's configuration while you edited it (version \(baseVersion) is now \(currentVersion)); your text is below and theirs in the lines marked |: merge what you need and save, or save unchanged to replace theirs")]
        rejectedByStore = true
        theirs = currentText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if theirs.last == "" { theirs.removeLast() }
        baseVersion = currentVersion
    }

    static func stripHeader(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while let first = lines.first, first.hasPrefix(marker) { lines.removeFirst() }
        return lines.joined(separator: "\n")
    }
}

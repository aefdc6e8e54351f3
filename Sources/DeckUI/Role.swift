/// What a piece of the screen means; themes give each role its colours and attributes.
public enum Role: String, Sendable, CaseIterable, Hashable {
    case normal
    case border, borderFocus = "border.focus", title, header, cursor, mark, dim
    case stateQueued = "state.queued", stateLeased = "state.leased", stateBuilding = "state.building"
    case stateRunning = "state.running", stateSucceeded = "state.succeeded", stateFailed = "state.failed"
    case stateCancelled = "state.cancelled"
    case logBuild = "log.build", logStdout = "log.stdout", logStderr = "log.stderr", logAgent = "log.agent"
    case logTimestamp = "log.timestamp", logMatch = "log.match"
    case flashInfo = "flash.info", flashWarn = "flash.warn", flashError = "flash.error"
    case dialog, dialogTitle = "dialog.title", input
    case graphLow = "graph.low", graphMid = "graph.mid", graphHigh = "graph.high"
    case hintKey = "hint.key", hint, badge, badgeStale = "badge.stale"
    case yamlKey = "yaml.key", yamlValue = "yaml.value", yamlComment = "yaml.comment"
}

/// Text attributes, combinable.
public struct TextAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = TextAttributes(rawValue: 1)
    public static let reverse = TextAttributes(rawValue: 2)
    public static let underline = TextAttributes(rawValue: 4)
    public static let dim = TextAttributes(rawValue: 8)
}

/// `name`, `name:latest`, `name:v3` or `name:3`.
public struct JobReference: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String
    /// nil means latest.
    public var version: Int?

    public init(name: String, version: Int?) {
        self.name = name
        self.version = version
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        try Names.validateJobName(parts[0])
        name = parts[0]
        guard parts.count == 2 else { version = nil; return }
        let tag = parts[1]
        if tag == "latest" { version = nil; return }
        let digits = tag.hasPrefix("v") ? String(tag.dropFirst()) : tag
        guard let number = Int(digits), number >= 1 else {
            throw LaunchError.invalidInput("invalid job version \"\(tag.escapedForMessage)\" in \"\(text.escapedForMessage)\": use v1, v2, ... or latest")
        }
        version = number
    }

    public var description: String { version.map { "\(name):v\($0)" } ?? "\(name):latest" }
}

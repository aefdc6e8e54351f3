/// One problem found in user input, with the path to the value it concerns (`resource.gpus`).
public struct ValidationIssue: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var message: String
    /// The 1-based line in the source document, when the input came from a file.
    public var line: Int?

    public init(path: String, message: String, line: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }

    /// `queue.yaml:7: resource.gpus: expected int, got "two"`.
    public func formatted(source: String?) -> String {
        guard let source else { return description }
        if let line { return "\(source):\(line): \(description)" }
        return "\(source): \(description)"
    }
}

/// Every problem found in one piece of input; validation never stops at the first.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var issues: [ValidationIssue]
    public var source: String?

    public init(_ issues: [ValidationIssue], source: String? = nil) {
        self.issues = issues
        self.source = source
    }

    public var description: String {
        issues.map { $0.formatted(source: source) }.joined(separator: "\n")
    }
}

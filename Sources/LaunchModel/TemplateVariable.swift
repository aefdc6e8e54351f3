/// The type of a template variable that enqueuers fill in.
public enum VariableType: String, Sendable, Codable, CaseIterable {
    case string, int, float, `enum`
}

/// A typed, bounded value that a queue configuration leaves to the enqueuer (`{{gpus}}`).
public struct TemplateVariable: Sendable, Hashable, Codable {
    public var name: String
    public var type: VariableType
    public var defaultValue: JSONValue?
    public var min: Double?
    public var max: Double?
    public var values: [String]
    public var description: String

    public init(name: String, type: VariableType, defaultValue: JSONValue? = nil, min: Double? = nil, max: Double? = nil,
                values: [String] = [], description: String = "") {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.min = min
        self.max = max
        self.values = values
        self.description = description
    }

    /// The default as views show it: hidden when the variable's name looks secret (`api_token`).
    public var shownDefault: JSONValue? {
        guard let defaultValue, defaultValue != .null, SecretRedactor.isSecret(name: name) else { return defaultValue }
        return .string(SecretRedactor.marker)
    }

    /// `int 0..8`, `enum debug|gpu`: for forms and listings.
    public var boundsText: String {
        switch type {
        case .enum: return "enum " + values.joined(separator: "|")
        case .string: return "string"
        case .int, .float:
            // A bound may be any number the YAML holds (max: 1e19); Int($0) trapped on those.
            let format: (Double) -> String = { type == .int ? ConfigValidator.format($0) : String($0) }
            let low = min.map(format) ?? ""
            let high = max.map(format) ?? ""
            return low.isEmpty && high.isEmpty ? type.rawValue : "\(type.rawValue) \(low)..\(high)"
        }
    }

    /// Reads a value given on the command line or in a form.
    public func parse(_ text: String) -> Result<JSONValue, ValidationIssue> {
        switch type {
        case .string:
            return check(.string(text))
        case .enum:
            return check(.string(text))
        case .int:
            guard let value = Int(text.trimmingWhitespace) else {
                return .failure(issue("expected int, got \"\(text.escapedForMessage)\""))
            }
            return check(.int(value))
        case .float:
            guard let value = Double(text.trimmingWhitespace), value.isFinite else {
                return .failure(issue("expected float, got \"\(text.escapedForMessage)\""))
            }
            return check(.double(value))
        }
    }

    /// Checks a typed value against the type and bounds.
    public func check(_ value: JSONValue) -> Result<JSONValue, ValidationIssue> {
        switch (type, value) {
        case (.string, .string):
            return .success(value)
        case (.enum, .string(let text)):
            guard values.contains(text) else {
                return .failure(issue("\"\(text.escapedForMessage)\" is not one of \(values.joined(separator: ", "))"))
            }
            return .success(value)
        case (.int, .int(let number)):
            return checkBounds(Double(number), original: value)
        case (.float, .int(let number)):
            return checkBounds(Double(number), original: .double(Double(number)))
        case (.float, .double(let number)):
            return checkBounds(number, original: value)
        default:
            return .failure(issue("expected \(type.rawValue), got \(value.quotedText)"))
        }
    }

    private func checkBounds(_ number: Double, original: JSONValue) -> Result<JSONValue, ValidationIssue> {
        if let min, number < min { return .failure(issue("\(original.displayText) is below min \(ConfigValidator.format(min))")) }
        if let max, number > max { return .failure(issue("\(original.displayText) is above max \(ConfigValidator.format(max))")) }
        return .success(original)
    }

    private func issue(_ message: String) -> ValidationIssue {
        ValidationIssue(path: name, message: message)
    }

}

extension String {
    var trimmingWhitespace: String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}

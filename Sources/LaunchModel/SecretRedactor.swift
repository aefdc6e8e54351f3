/// Hides values whose names look secret, so no view or log ever shows them.
public enum SecretRedactor {
    public static let marker = "[redacted]"
    static let secretWords = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH"]

    public static func isSecret(name: String) -> Bool {
        let upper = name.uppercased()
        return secretWords.contains { upper.contains($0) }
    }

    public static func redact(_ variables: [String: String]) -> [String: String] {
        var result = variables
        for (name, value) in variables where isSecret(name: name) && value != marker {
            result[name] = marker
        }
        return result
    }

    /// Redacts `NAME=value` pairs inside free text (log lines, command lines).
    public static func redactAssignments(in text: String) -> String {
        guard text.contains("=") else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        for index in words.indices {
            guard let equals = words[index].firstIndex(of: "=") else { continue }
            let name = words[index][..<equals].drop(while: { $0 == "-" })
            if !name.isEmpty, isSecret(name: String(name)) {
                words[index] = String(words[index][...equals]) + marker
            }
        }
        return words.joined(separator: " ")
    }
}

extension SecretRedactor {
    /// A copy with the values under secret-looking keys replaced by the marker, at any depth; everything under such a
    /// key counts as secret. A value that is one template reference stays: `{{token}}` names a variable.
    public static func redact(_ value: JSONValue, secret: Bool = false) -> JSONValue {
        switch value {
        case .object(let fields):
            return .object(Dictionary(uniqueKeysWithValues: fields.map { key, field in
                (key, redact(field, secret: secret || isSecret(name: key)))
            }))
        case .array(let elements):
            return .array(elements.map { redact($0, secret: secret) })
        case .string(let text) where secret && TemplateReference.soleName(in: text) != nil:
            return value
        case .null:
            return value
        default:
            return secret ? .string(marker) : value
        }
    }

    /// Hyperparameters, variables or any name-to-value map, for display.
    public static func redact(_ values: [String: JSONValue]) -> [String: JSONValue] {
        redact(.object(values)).objectValue ?? values
    }

    /// `https://user:token@host/repo.git` shows as `https://user:[redacted]@host/repo.git`: credentials in a git URL.
    public static func redactURLCredentials(in text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authority = rest.prefix { !"/ \t?#".contains($0) }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + marker
                rest = rest[at...]
            }
        }
        return result + rest
    }
}

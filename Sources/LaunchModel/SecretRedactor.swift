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

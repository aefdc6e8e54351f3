/// Rules for the names users give queues and jobs; they end up in file paths and command lines,
/// so separators and shell metacharacters are refused up front.
public enum Names {
    /// Queue names: `[a-z0-9][a-z0-9-_.]{0,62}`.
    public static func validateQueueName(_ name: String) throws {
        try validate(name, kind: "queue", firstAllowed: lowerAlnum, restAllowed: lowerAlnum.union(punctuation), maxLength: 63,
                     rule: "[a-z0-9][a-z0-9-_.]{0,62}")
    }

    /// Job names allow upper case too; the rest of the rule is the queue's.
    public static func validateJobName(_ name: String) throws {
        let alnum = lowerAlnum.union(Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        try validate(name, kind: "job", firstAllowed: alnum, restAllowed: alnum.union(punctuation), maxLength: 128,
                     rule: "[A-Za-z0-9][A-Za-z0-9-_.]{0,127}")
    }

    /// Agent names (`--name`, default the host name) show in listings and name log files: no path separators, no
    /// control characters, not empty. Host names fit: `[A-Za-z0-9][A-Za-z0-9-_.@]{0,127}`.
    public static func validateAgentName(_ name: String) throws {
        let alnum = lowerAlnum.union(Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        try validate(name, kind: "agent", firstAllowed: alnum, restAllowed: alnum.union(punctuation).union(["@"]), maxLength: 128,
                     rule: "[A-Za-z0-9][A-Za-z0-9-_.@]{0,127}")
    }

    /// The host name as an agent name: characters an agent name cannot hold become `-`.
    public static func agentName(fromHost host: String) -> String {
        let allowed = lowerAlnum.union(Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")).union(punctuation)
        let cleaned = String(host.prefix(128).map { allowed.contains($0) ? $0 : "-" })
        return cleaned.first.map { lowerAlnum.union(Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")).contains($0) } == true ? cleaned : "agent-" + cleaned.prefix(100)
    }

    private static let lowerAlnum = Set("abcdefghijklmnopqrstuvwxyz0123456789")
    private static let punctuation = Set("-_.")

    private static func validate(_ name: String, kind: String, firstAllowed: Set<Character>, restAllowed: Set<Character>,
                                 maxLength: Int, rule: String) throws {
        guard let first = name.first, firstAllowed.contains(first), name.count <= maxLength,
              name.dropFirst().allSatisfy({ restAllowed.contains($0) }) else {
            throw LaunchError.invalidInput("invalid \(kind) name \"\(name.escapedForMessage)\": must match \(rule)")
        }
    }
}

extension String {
    /// Shows control characters as escapes so an error message never carries raw terminal input.
    public var escapedForMessage: String {
        var result = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

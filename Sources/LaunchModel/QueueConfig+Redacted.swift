import Foundation

/// What views show of a queue configuration: secrets (`resource.env.WANDB_API_KEY`, a secret-named variable's
/// default) replaced by the marker. Editing still works on `text` itself, which only the editor shows.
extension QueueConfig {
    /// The parsed document, redacted.
    public var redactedValue: JSONValue {
        guard case .object(var root) = value else { return SecretRedactor.redact(value) }
        let declarations = root.removeValue(forKey: "variables")
        var shown = SecretRedactor.redact(.object(root)).objectValue ?? root
        // A variable is declared by name; only the default of a secret-named one is secret, not its type or bounds.
        if case .object(var variables)? = declarations {
            for (name, declaration) in variables where SecretRedactor.isSecret(name: name) {
                guard case .object(var fields) = declaration, let value = fields["default"], value != .null else { continue }
                fields["default"] = .string(SecretRedactor.marker)
                variables[name] = .object(fields)
            }
            shown["variables"] = .object(variables)
        } else if let declarations {
            shown["variables"] = declarations
        }
        return .object(shown)
    }

    /// The text as written, comments and all, with secret values replaced on their lines (`KEY: value`). Where a
    /// secret cannot be hidden that way (a flow mapping, a block scalar), the redacted document is shown as JSON
    /// instead, which YAML reads the same: a secret is never shown to keep a comment.
    public var redactedText: String {
        let secrets = Self.leaves(of: value, differingFrom: redactedValue).filter { !$0.isEmpty }
        if secrets.isEmpty { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Self.redactLine(String($0)) }
        let shown = lines.joined(separator: "\n")
        if !secrets.contains(where: { shown.contains($0) }) { return shown }
        return "# secrets redacted; shown as JSON, comments left out\n" + redactedValue.prettyJSON + "\n"
    }

    /// `  WANDB_API_KEY: abc # note` -> `  WANDB_API_KEY: [redacted]`, and inside a flow mapping on the line
    /// (`env: {HF_TOKEN: abc}`, or a secret-named variable's `{type: string, default: abc}`) the secret value only.
    static func redactLine(_ line: String) -> String {
        guard let colon = line.firstIndex(of: ":") else { return line }
        let keyPart = line[..<colon].trimmingCharacters(in: .whitespaces)
        let key = unquoted(keyPart.hasPrefix("- ") ? String(keyPart.dropFirst(2)) : keyPart)
        let valuePart = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard let first = valuePart.first else { return line }
        if first == "{" {
            return line[...colon] + " " + redactFlowMapping(valuePart, secretDefault: SecretRedactor.isSecret(name: key))
        }
        guard SecretRedactor.isSecret(name: key), !"[|>&*#".contains(first), TemplateReference.soleName(in: unquoted(valuePart)) == nil else {
            return line
        }
        return line[...colon] + " " + SecretRedactor.marker
    }

    /// `{KEY: value, other: 1}` with the values of secret keys replaced; `default` counts as secret in a secret-named
    /// variable's declaration.
    private static func redactFlowMapping(_ text: String, secretDefault: Bool) -> String {
        let pair = /([A-Za-z0-9_.\-]+|"[^"]*"|'[^']*')(\s*:\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^,}\]\[{#]+)/
        var result = ""
        var rest = Substring(text)
        while let match = rest.firstMatch(of: pair) {
            result += rest[..<match.range.lowerBound]
            let name = unquoted(String(match.output.1))
            let value = String(match.output.3).trimmingCharacters(in: .whitespaces)
            let secret = (SecretRedactor.isSecret(name: name) || (secretDefault && name == "default"))
                && TemplateReference.soleName(in: unquoted(value)) == nil
            result += match.output.1 + match.output.2 + (secret ? SecretRedactor.marker : String(match.output.3))
            rest = rest[match.range.upperBound...]
        }
        return result + rest
    }

    private static func unquoted(_ text: String) -> String {
        text.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
    }

    /// Text leaves of `original` where `redacted` holds the marker instead.
    static func leaves(of original: JSONValue, differingFrom redacted: JSONValue) -> [String] {
        switch (original, redacted) {
        case (.object(let left), .object(let right)):
            return left.flatMap { key, value in right[key].map { leaves(of: value, differingFrom: $0) } ?? [] }
        case (.array(let left), .array(let right)):
            return zip(left, right).flatMap { leaves(of: $0, differingFrom: $1) }
        case (_, .string(SecretRedactor.marker)) where original != redacted:
            return [original.displayText]
        default:
            return []
        }
    }
}

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

    /// The text as written, comments and all, with secret values replaced on their lines (`KEY: value`, secret
    /// keys in flow mappings, URL credentials). The result must read back as exactly the redacted document, or it is
    /// not shown: where lines cannot hide a secret (a block scalar, a value running onto the next line, a `#` inside
    /// a flow value) the redacted document is shown as JSON, which YAML reads the same. A secret is never shown to
    /// keep a comment.
    public var redactedText: String {
        let shownValue = redactedValue
        if shownValue == value { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { SecretRedactor.redactURLCredentials(in: Self.redactLine(String($0))) }
        let shown = lines.joined(separator: "\n")
        if let reread = try? ConfigDocument.parse(shown).value, Self.markersRead(reread) == shownValue { return shown }
        return "# secrets redacted; shown as JSON, comments left out\n" + shownValue.prettyJSON + "\n"
    }

    /// The document the redacted text reads as, with the marker put back where YAML read `[redacted]` as a list.
    static func markersRead(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array([.string("redacted")]): .string(SecretRedactor.marker)
        case .array(let elements): .array(elements.map(markersRead))
        case .object(let fields): .object(fields.mapValues(markersRead))
        default: value
        }
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
}

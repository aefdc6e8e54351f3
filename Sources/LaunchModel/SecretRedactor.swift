/// Hides values whose names look secret, so no view or log ever shows them.
public enum SecretRedactor {
    public static let marker = "[redacted]"
    /// Words that make a name secret wherever they stand (`DB_PASSWORD`, `client_secret`, `auth_header`), also
    /// at the end of a longer word (`PGPASSWORD`, `accessToken`, `GHTOKEN`).
    static let secretWords = ["SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "CREDENTIALS", "AUTH", "AUTHORIZATION"]
    static let secretEndings = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY"]
    /// Words that make a name secret as its last word only: `WANDB_API_KEY`, `hf_token`, `DB_PASS`, `GITHUB_PAT`, but
    /// not `key_dim`, `max_tokens` or `tokenizer_name`, hyperparameters whose values views and logs must keep showing.
    static let lastWords = ["KEY", "TOKEN", "PASS", "PAT"]
    /// Words after the secret one that only say how it is written down: `SIGNING_KEY_PEM`, `API_TOKEN_B64`.
    static let formatWords: Set<String> = ["PEM", "DER", "B64", "BASE64", "JSON", "DATA", "VALUE", "STR", "STRING", "CONTENT", "CONTENTS",
                                           "RAW", "HEX", "TEXT", "BYTES", "ENCODED", "PLAIN"]
    /// PASS as in DB_PASS or smtpPass, not the passes of a model (two_pass, forward_pass).
    static let modelPasses: Set<String> = ["TWO", "MULTI", "SINGLE", "FORWARD", "BACKWARD", "FIRST", "SECOND", "ONE", "EACH", "PER", "NUM", "BY"]

    /// Whether a name (an environment variable, a hyperparameter, a configuration key) looks like it holds a secret,
    /// by its words: split at `_`, `-`, `.` and camelCase humps.
    public static func isSecret(name: String) -> Bool {
        var words = self.words(name)
        while words.count > 1, let last = words.last, formatWords.contains(last) { words.removeLast() }
        guard let last = words.last else { return false }
        let lastSecret = lastWords.contains(last) && (last != "PASS" || !(words.dropLast().last.map(modelPasses.contains) ?? false))
        return lastSecret || words.contains { word in
            secretWords.contains(word) || secretEndings.contains { word.hasSuffix($0) }
        }
    }

    static func words(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousWasLower = false
        for character in name {
            guard character.isLetter || character.isNumber else {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousWasLower = false
                continue
            }
            if character.isUppercase && previousWasLower {
                words.append(current)
                current = ""
            }
            current.append(character)
            previousWasLower = character.isLowercase || character.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.uppercased() }
    }

    public static func redact(_ variables: [String: String]) -> [String: String] {
        var result = variables
        for (name, value) in variables where isSecret(name: name) && value != marker {
            result[name] = marker
        }
        return result
    }

    /// An environment as views show it, and as agents record theirs: secret-named values hidden, and the credentials
    /// of URLs in the others (`DATABASE_URL=mysql://root:pw@h/db`).
    public static func redactEnvironment(_ variables: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in variables {
            result[name] = isSecret(name: name) ? marker : redactURLCredentials(in: value)
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
    /// key counts as secret. A value that is one template reference stays: `{{token}}` names a variable. Other
    /// strings lose the credentials of URLs in them (`PIP_INDEX_URL: https://user:pw@host`).
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
        case .string(let text) where !secret:
            return .string(redactURLCredentials(in: text))
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

    /// The texts `redact` hides in `value`: what a job may print and logs must then hide too.
    public static func hiddenValues(in value: JSONValue) -> [String] {
        hiddenValues(of: value, shown: redact(value))
    }

    static func hiddenValues(of original: JSONValue, shown: JSONValue) -> [String] {
        switch (original, shown) {
        case (.object(let left), .object(let right)):
            return left.flatMap { key, value in right[key].map { hiddenValues(of: value, shown: $0) } ?? [] }
        case (.array(let left), .array(let right)):
            return zip(left, right).flatMap { hiddenValues(of: $0, shown: $1) }
        case (.string(let text), .string(let redacted)) where text != redacted && redacted != marker:
            // A URL that lost its credentials: the credentials are what is hidden.
            return credentials(in: text)
        default:
            return original == shown ? [] : [original.displayText]
        }
    }

    /// Free text for display or logs: `NAME=value` pairs with secret names, URL credentials and LaunchDeck API
    /// tokens hidden.
    public static func redactText(_ text: String) -> String {
        redactAPITokens(in: redactURLCredentials(in: redactAssignments(in: text)))
    }

    /// A LaunchDeck API token (`ldk_` and 38 letters and digits) anywhere in a text shows as `ldk_[redacted]`: a
    /// job that prints `$LAUNCHDECK_TOKEN`, an error that quotes one.
    public static func redactAPITokens(in text: String) -> String {
        guard text.contains("ldk_") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "ldk_") {
            result += rest[..<start.upperBound]
            rest = rest[start.upperBound...]
            let body = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
            if body.count >= 20 {
                result += marker
                rest = rest[body.endIndex...]
            }
        }
        return result + rest
    }

    /// `https://user:token@host/repo.git` shows as `https://user:[redacted]@host/repo.git`, and a token given as the
    /// whole user part of an http(s) URL (`https://ghp_abc@github.com/...`) as `https://[redacted]@github.com/...`.
    /// An ssh user (`ssh://git@host`) is a name, not a secret, and stays.
    public static func redactURLCredentials(in text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            let before = rest[..<scheme.lowerBound].lowercased()
            let isHTTP = before.hasSuffix("http") || before.hasSuffix("https")
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authority = rest.prefix { !"/ \t?#".contains($0) }
            guard let at = authority.lastIndex(of: "@") else { continue }
            if let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + marker
                rest = rest[at...]
            } else if isHTTP {
                result += marker
                rest = rest[at...]
            }
        }
        return result + rest
    }

    /// The user-information parts `redactURLCredentials` hides in `text`.
    static func credentials(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            let authority = rest.prefix { !"/ \t?#".contains($0) }
            if let at = authority.lastIndex(of: "@") {
                let user = authority[..<at]
                found.append(String(user.firstIndex(of: ":").map { user[user.index(after: $0)...] } ?? user))
            }
        }
        return found.filter { !$0.isEmpty }
    }
}

extension JobSpec {
    /// The entrypoint as views show it: `--api-key=abc` and URL credentials hidden in each argument.
    public var redactedEntrypoint: [String] { entrypoint.map(SecretRedactor.redactText) }

    /// requirements.txt as views show it: an index URL's or a git dependency's credentials hidden.
    public var redactedRequirements: String? { dependencies.requirements.map(SecretRedactor.redactText) }
}

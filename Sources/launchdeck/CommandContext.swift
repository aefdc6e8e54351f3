import Foundation
import LaunchModel
import LaunchStore

/// What commands share: the data directory, the backend and the artifact store.
struct CommandContext {
    let directory: DataDirectory
    let backend: SQLiteBackend

    static func open() throws -> CommandContext {
        let directory = DataDirectory.resolve()
        return CommandContext(directory: directory, backend: try SQLiteBackend(directory: directory))
    }

    var artifacts: ArtifactStore { ArtifactStore(root: directory.artifactsURL) }
}

/// `key=value` arguments (`--config lr=0.1`, `--set gpus=2`).
enum KeyValueArguments {
    static func parse(_ pairs: [String], option: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try Self.pairs(pairs, option: option))
    }

    /// Values typed as `JSONValue.parseLiteral` reads them; a number kept as text is said on stderr, so the user knows
    /// the job gets exactly what was typed.
    static func parseTyped(_ pairs: [String], option: String) throws -> [String: JSONValue] {
        let values = try parse(pairs, option: option)
        for key in values.keys.sorted() {
            if let note = JSONValue.numberKeptAsText(values[key]!) { printError("launchdeck: note: \(option) \(key): \(note)") }
        }
        return values.mapValues(JSONValue.parseLiteral)
    }

    /// `KEY=VALUE` options in the order given; a key given twice is an error.
    static func pairs(_ pairs: [String], option: String) throws -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        var seen: Set<String> = []
        var issues: [ValidationIssue] = []
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                issues.append(ValidationIssue(path: option, message: "expected KEY=VALUE, got \"\(pair.escapedForMessage)\""))
                continue
            }
            let key = String(pair[..<equals])
            guard seen.insert(key).inserted else {
                issues.append(ValidationIssue(path: "\(option) \(key)", message: "given twice"))
                continue
            }
            result.append((key, String(pair[pair.index(after: equals)...])))
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
        return result
    }
}

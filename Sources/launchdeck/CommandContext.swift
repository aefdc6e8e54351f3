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
        var result: [String: String] = [:]
        var issues: [ValidationIssue] = []
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                issues.append(ValidationIssue(path: option, message: "expected KEY=VALUE, got \"\(pair.escapedForMessage)\""))
                continue
            }
            let key = String(pair[..<equals])
            if result[key] != nil {
                issues.append(ValidationIssue(path: "\(option) \(key)", message: "given twice"))
            }
            result[key] = String(pair[pair.index(after: equals)...])
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
        return result
    }

    static func parseTyped(_ pairs: [String], option: String) throws -> [String: JSONValue] {
        try parse(pairs, option: option).mapValues(JSONValue.parseLiteral)
    }
}

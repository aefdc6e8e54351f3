import Foundation
import Yams

/// A YAML (or JSON) document read into a `JSONValue`, remembering the line of every value
/// so that errors can point into the user's file.
public struct ConfigDocument: Sendable {
    public var value: JSONValue
    /// Dotted path (`resource.gpus`, `resource.run_args[2]`) to the 1-based line where its value starts.
    public var lines: [String: Int]

    public init(value: JSONValue, lines: [String: Int] = [:]) {
        self.value = value
        self.lines = lines
    }

    /// Parses text; syntax errors come back as one issue with the line and column of the problem.
    public static func parse(_ text: String) throws(ValidationFailure) -> ConfigDocument {
        if let problem = YAMLEventCheck.problems(in: text) { throw ValidationFailure([problem]) }
        let root: Node?
        do {
            // The basic resolver tags nothing: Yams' default one compiles seven ICU regular expressions on first
            // use, a few milliseconds of every CLI command, and `scalarValue` types plain scalars itself anyway.
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw ValidationFailure([Self.issue(for: error)])
        } catch {
            throw ValidationFailure([ValidationIssue(path: "", message: "cannot read YAML: \(error)")])
        }
        guard let root else { return ConfigDocument(value: .object([:])) }
        var lines: [String: Int] = [:]
        var issues: [ValidationIssue] = []
        let value = convert(root, path: "", lines: &lines, issues: &issues)
        if !issues.isEmpty { throw ValidationFailure(issues) }
        return ConfigDocument(value: value, lines: lines)
    }

    /// The line for a path, or for its nearest ancestor that has one.
    public func line(for path: String) -> Int? {
        var current = path
        while true {
            if let line = lines[current] { return line }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { return lines[""] }
            current = String(current[..<cut])
        }
    }

    /// Puts the line numbers on issues found by later validation.
    public func locate(_ issues: [ValidationIssue]) -> [ValidationIssue] {
        issues.map { issue in
            var located = issue
            if located.line == nil { located.line = line(for: issue.path) }
            return located
        }
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    private static func convert(_ node: Node, path: String, lines: inout [String: Int], issues: inout [ValidationIssue]) -> JSONValue {
        if let mark = node.mark { lines[path] = mark.line }
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar, node: node)
        case .sequence(let sequence):
            return .array(sequence.enumerated().map { index, element in
                convert(element, path: "\(path)[\(index)]", lines: &lines, issues: &issues)
            })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    issues.append(ValidationIssue(path: path, message: "mapping keys must be plain strings", line: keyNode.mark?.line))
                    continue
                }
                let key = keyScalar.string
                let childPath = join(path, key)
                if object[key] != nil {
                    issues.append(ValidationIssue(path: childPath, message: "key appears twice", line: keyNode.mark?.line))
                    continue
                }
                object[key] = convert(valueNode, path: childPath, lines: &lines, issues: &issues)
                if let mark = keyNode.mark { lines[childPath] = mark.line }
            }
            return .object(object)
        case .alias:
            issues.append(ValidationIssue(path: path, message: "YAML aliases are not supported in queue configurations", line: node.mark?.line))
            return .null
        }
    }

    /// YAML 1.1's booleans, exactly as Yams' default resolver knows them (its `bool` rule).
    private static let yamlBooleans: [String: Bool] = [
        "true": true, "True": true, "TRUE": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
        "false": false, "False": false, "FALSE": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
    ]

    private static func scalarValue(_ scalar: Node.Scalar, node: Node) -> JSONValue {
        // Quoted scalars are strings whatever they look like: `"8"` stays a string.
        if scalar.style == .singleQuoted || scalar.style == .doubleQuoted || scalar.style == .literal || scalar.style == .folded {
            return .string(scalar.string)
        }
        // Plain scalars follow YAML's core schema: null, bool, int, float, else string.
        if node.null != nil { return .null }
        if let bool = yamlBooleans[scalar.string] { return .bool(bool) }
        if let int = node.int { return .int(int) }
        if let double = node.float, double.isFinite { return .double(double) }
        return .string(scalar.string)
    }

    private static func issue(for error: YamlError) -> ValidationIssue {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return ValidationIssue(path: "", message: "YAML syntax error at column \(mark.column): \(detail)", line: mark.line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().joined(separator: ", ")
            return ValidationIssue(path: "", message: "key \(keys) appears twice in the mapping that starts here", line: context.mark.line)
        case .reader(let problem, _, _, _):
            return ValidationIssue(path: "", message: "cannot read YAML: \(problem)")
        default:
            return ValidationIssue(path: "", message: "cannot read YAML: \(error)")
        }
    }
}

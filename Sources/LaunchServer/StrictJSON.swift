import Foundation
import LaunchAPI
import LaunchModel

/// Request bodies are read strictly: a field the type does not have is an error naming it (a typo such as
/// `priorty` would otherwise be dropped without a word), and a value of the wrong type names its path.
enum StrictJSON {
    static func decode<T: Codable>(_ type: T.Type, from data: Data) throws -> T {
        let value: T
        do {
            value = try WireCoding.decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ValidationFailure([issue(error)])
        }
        guard let input = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let known = try? JSONSerialization.jsonObject(with: WireCoding.encoder.encode(value), options: [.fragmentsAllowed]) else {
            return value
        }
        var unknown: [ValidationIssue] = []
        compare(input, known, path: "", into: &unknown)
        if !unknown.isEmpty { throw ValidationFailure(unknown) }
        return value
    }

    /// Keys of the input that the decoded value, written again, does not have: fields no type declares. A key
    /// whose value is null is an absent optional, not unknown.
    static func compare(_ input: Any, _ known: Any, path: String, into issues: inout [ValidationIssue]) {
        if let object = input as? [String: Any], let knownObject = known as? [String: Any] {
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let knownValue = knownObject[key] {
                    compare(value, knownValue, path: child, into: &issues)
                } else if !(value is NSNull) {
                    issues.append(ValidationIssue(path: child, message: "unknown field"))
                }
            }
        } else if let array = input as? [Any], let knownArray = known as? [Any], array.count == knownArray.count {
            for (index, pair) in zip(array, knownArray).enumerated() {
                compare(pair.0, pair.1, path: "\(path)[\(index)]", into: &issues)
            }
        }
    }

    static func issue(_ error: DecodingError) -> ValidationIssue {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
                .replacingOccurrences(of: ".[", with: "[").trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ValidationIssue(path: path(context.codingPath + [key]), message: "required")
        case .typeMismatch(let type, let context):
            return ValidationIssue(path: path(context.codingPath), message: "expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return ValidationIssue(path: path(context.codingPath), message: "expected \(describe(type)), got null")
        case .dataCorrupted(let context):
            let message = context.underlyingError.map { _ in "not valid JSON" } ?? context.debugDescription
            return ValidationIssue(path: path(context.codingPath), message: message.isEmpty ? "invalid value" : message)
        @unknown default:
            return ValidationIssue(path: "", message: "invalid request body")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: String(describing: type).contains("Array") ? "an array" : "an object"
        }
    }
}

/// Prints the schema definition as JSON Schema (draft 2020-12) for editors and other tools.
public enum QueueConfigJSONSchema {
    /// A string that is exactly one `{{variable}}`: accepted wherever a typed value is.
    static let soleReference: JSONValue = ["type": "string", "pattern": "^\\{\\{\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\}\\}$"]

    /// A string holding at least one `{{variable}}` somewhere.
    static let containsReference: JSONValue = ["type": "string", "pattern": "\\{\\{\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\}\\}"]

    public static func document(for target: TargetKind) -> JSONValue {
        guard case .object(var root) = schema(QueueConfigSchema.root(for: target)) else { return .null }
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        root["$id"] = .string("https://launchdeck.dev/schema/queue-config/\(target.rawValue).json")
        root["title"] = .string("LaunchDeck queue configuration (\(target.rawValue))")
        return .object(root)
    }

    static func schema(_ type: FieldType) -> JSONValue {
        switch type {
        case .any:
            return [:]
        case .string(let format):
            guard let format else { return ["type": "string"] }
            // A formatted string may hold references; the filled-in text is checked at enqueue time.
            return ["anyOf": [["type": "string", "pattern": .string(format.pattern)], containsReference],
                    "examples": [.string(format.example)]]
        case .integer(let min, let max):
            var object: [String: JSONValue] = ["type": "integer"]
            if let min { object["minimum"] = .int(min) }
            if let max { object["maximum"] = .int(max) }
            return ["anyOf": [.object(object), soleReference]]
        case .number(let min, let max):
            var object: [String: JSONValue] = ["type": "number"]
            if let min { object["minimum"] = .double(min) }
            if let max { object["maximum"] = .double(max) }
            return ["anyOf": [.object(object), soleReference]]
        case .boolean:
            return ["type": "boolean"]
        case .enumeration(let values):
            return ["anyOf": [["enum": .array(values.map(JSONValue.string))], soleReference]]
        case .list(let element):
            return ["type": "array", "items": schema(element)]
        case .map(let element, let keyFormat):
            var object: [String: JSONValue] = ["type": "object", "additionalProperties": schema(element)]
            if let keyFormat { object["propertyNames"] = ["pattern": .string(keyFormat.pattern)] }
            return .object(object)
        case .object(let fields):
            var properties: [String: JSONValue] = [:]
            for field in fields {
                guard case .object(var property) = schema(field.type) else { continue }
                property["description"] = .string(field.description)
                if let value = field.defaultValue { property["default"] = value }
                properties[field.name] = .object(property)
            }
            var object: [String: JSONValue] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
            let required = fields.filter(\.required).map { JSONValue.string($0.name) }
            if !required.isEmpty { object["required"] = .array(required) }
            return .object(object)
        case .anyObject:
            return ["type": "object"]
        }
    }
}

/// A constraint on strings, given once as a regular expression so the validator
/// and the printed JSON Schema share it.
public struct StringFormat: Sendable {
    public let name: String
    public let pattern: String
    public let example: String
    /// Compiled once: building a Regex from its text took 43 µs, matching with it under 1 µs, and every queue
    /// read re-validates its configuration (2026-11-29). Unchecked because `AnyRegexOutput` is not marked
    /// Sendable, though a Regex is an immutable value whose lazily lowered program is published atomically.
    nonisolated(unsafe) let regex: Regex<AnyRegexOutput>?

    public init(name: String, pattern: String, example: String) {
        self.name = name
        self.pattern = pattern
        self.example = example
        self.regex = try? Regex(pattern)
    }

    public static let duration = StringFormat(name: "duration", pattern: "^[0-9]+(s|m|h|d)?$", example: "90m")
    public static let memory = StringFormat(name: "memory quantity", pattern: "^[0-9]+(\\.[0-9]+)?([kKmMgGtT]i?)?[bB]?$", example: "16G")
    public static let slurmTime = StringFormat(name: "Slurm time limit", pattern: "^([0-9]+-)?[0-9]+(:[0-9]{1,2}){0,2}$", example: "2-00:00:00")
    public static let image = StringFormat(name: "image reference", pattern: "^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$", example: "localhost/base:latest")
    public static let dnsLabel = StringFormat(name: "DNS label", pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", example: "ml-jobs")
    public static let variableName = StringFormat(name: "variable name", pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$", example: "gpus")
    public static let envName = StringFormat(name: "environment variable name", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", example: "WANDB_MODE")
}

/// The type of one value in a queue configuration.
public indirect enum FieldType: Sendable {
    case string(StringFormat?)
    case integer(min: Int?, max: Int?)
    case number(min: Double?, max: Double?)
    case boolean
    case enumeration([String])
    case list(FieldType)
    /// Free keys (matching `keyFormat`) with values of one type: `env`, `variables`.
    case map(FieldType, keyFormat: StringFormat?)
    /// Known keys only; anything else is an error, so typos are caught.
    case object([ConfigField])
    /// A document passed through as it is (a Kubernetes Job spec template).
    case anyObject
    /// Any value at all (a variable's default, checked by the variable's own rules).
    case any

    public var name: String {
        switch self {
        case .string: "string"
        case .integer: "int"
        case .number: "number"
        case .boolean: "bool"
        case .enumeration: "string"
        case .list: "list"
        case .map, .object, .anyObject: "mapping"
        case .any: "value"
        }
    }
}

/// One named field of an object, with what users need to fill it in.
public struct ConfigField: Sendable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var description: String
    public var defaultValue: JSONValue?

    public init(_ name: String, _ type: FieldType, required: Bool = false, description: String, default defaultValue: JSONValue? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.description = description
        self.defaultValue = defaultValue
    }
}

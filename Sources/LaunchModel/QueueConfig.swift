/// A queue's configuration: the user's own text (kept as written, comments and all)
/// and what it means, checked against its target's schema.
public struct QueueConfig: Sendable, Hashable {
    public var text: String
    public var value: JSONValue
    public var variables: [TemplateVariable]
    public var maxAttempts: Int

    public init(text: String, value: JSONValue, variables: [TemplateVariable], maxAttempts: Int) {
        self.text = text
        self.value = value
        self.variables = variables
        self.maxAttempts = maxAttempts
    }

    /// Parses and validates; every issue is reported, each with its path and line.
    public static func parse(_ text: String, target: TargetKind, source: String? = nil) throws(ValidationFailure) -> QueueConfig {
        let document: ConfigDocument
        do {
            document = try ConfigDocument.parse(text)
        } catch {
            throw ValidationFailure(error.issues, source: source)
        }
        var value = document.value
        if value == .null { value = .object([:]) }
        var issues: [ValidationIssue] = []
        let variables = Self.readVariables(value["variables"], into: &issues)
        let validator = ConfigValidator(variables: Dictionary(variables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
                                        allowTemplates: true)
        validator.validate(value, QueueConfigSchema.root(for: target), path: "", into: &issues)
        if !issues.isEmpty {
            throw ValidationFailure(document.locate(Self.uniqued(issues)), source: source)
        }
        var maxAttempts = 3
        if case .int(let number)? = value["max_attempts"] { maxAttempts = number }
        return QueueConfig(text: text, value: value, variables: variables, maxAttempts: maxAttempts)
    }

    /// The configuration a new queue gets when none is given.
    public static func defaultText(for target: TargetKind) -> String {
        switch target {
        case .localProcess:
            return """
            # Queue configuration for the local-process target (see: launchdeck queue schema --target local-process).
            max_attempts: 3
            resource:
              timeout: 2h

            """
        case .container:
            return """
            # Queue configuration for the container target (see: launchdeck queue schema --target container).
            max_attempts: 3
            variables:
              gpus: {type: int, default: 0, min: 0, max: 8, description: GPUs per run}
            resource:
              runtime: auto
              base_image: localhost/base:latest
              network: none
              memory: 4G
              gpus: "{{gpus}}"

            """
        case .slurm:
            return """
            # Queue configuration for the slurm target (see: launchdeck queue schema --target slurm).
            max_attempts: 3
            variables:
              gpus: {type: int, default: 0, min: 0, max: 8, description: GPUs per node}
              hours: {type: int, default: 4, min: 1, max: 48, description: time limit in hours}
            resource:
              partition: debug
              time_limit: "{{hours}}:00:00"
              gpus: "{{gpus}}"
              cpus_per_task: 2

            """
        case .kubernetes:
            return """
            # Queue configuration for the kubernetes target (see: launchdeck queue schema --target kubernetes).
            max_attempts: 3
            variables:
              gpus: {type: int, default: 0, min: 0, max: 8, description: GPUs per pod}
            resource:
              namespace: default
              image: localhost/base:latest
              memory: 8Gi
              gpus: "{{gpus}}"

            """
        }
    }

    /// Checks values given at enqueue time against the declarations and fills in defaults.
    /// Every problem is reported: unknown names, bad types, out-of-bounds values, missing required ones.
    public func resolveVariables(_ given: [String: String]) throws(ValidationFailure) -> [String: JSONValue] {
        var issues: [ValidationIssue] = []
        var resolved: [String: JSONValue] = [:]
        let declared = Dictionary(variables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in given.keys.sorted() where declared[name] == nil {
            let known = variables.map(\.name).joined(separator: ", ")
            issues.append(ValidationIssue(path: name, message: "unknown template variable (this queue declares: \(known.isEmpty ? "none" : known))"))
        }
        for variable in variables {
            if let text = given[variable.name] {
                switch variable.parse(text) {
                case .success(let value): resolved[variable.name] = value
                case .failure(let issue): issues.append(issue)
                }
            } else if let value = variable.defaultValue {
                resolved[variable.name] = value
            } else {
                issues.append(ValidationIssue(path: variable.name, message: "is required (\(variable.boundsText)) and has no default"))
            }
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
        return resolved
    }

    /// Checks already-typed values (stored with an item), for relaunches after the config changed.
    public func checkVariables(_ values: [String: JSONValue]) throws(ValidationFailure) -> [String: JSONValue] {
        try resolveVariables(values.mapValues(\.displayText))
    }

    /// The configuration with every `{{name}}` filled in; a sole reference keeps the variable's type.
    public func render(with values: [String: JSONValue]) -> JSONValue {
        var body = value
        if case .object(var object) = body {
            object["variables"] = nil
            body = .object(object)
        }
        return Self.substitute(body, values)
    }

    /// Renders and checks the result against the target's schema, catching values that only
    /// become wrong once filled in (`time_limit: "{{hours}}:00"` with a bad number).
    public func renderValidated(with values: [String: JSONValue], target: TargetKind) throws(ValidationFailure) -> JSONValue {
        let rendered = render(with: values)
        var issues: [ValidationIssue] = []
        ConfigValidator(variables: [:], allowTemplates: false).validate(rendered, QueueConfigSchema.root(for: target), path: "", into: &issues)
        if !issues.isEmpty { throw ValidationFailure(issues) }
        return rendered
    }

    private static func substitute(_ value: JSONValue, _ values: [String: JSONValue]) -> JSONValue {
        switch value {
        case .string(let text) where TemplateReference.containsReference(text):
            if let sole = TemplateReference.soleName(in: text), let replacement = values[sole] { return replacement }
            return .string(TemplateReference.substitute(text, values: values))
        case .array(let elements):
            return .array(elements.map { substitute($0, values) })
        case .object(let object):
            return .object(object.mapValues { substitute($0, values) })
        default:
            return value
        }
    }

    private static func readVariables(_ section: JSONValue?, into issues: inout [ValidationIssue]) -> [TemplateVariable] {
        guard case .object(let declarations)? = section else { return [] }
        var variables: [TemplateVariable] = []
        for name in declarations.keys.sorted() {
            guard case .object(let fields) = declarations[name]! else { continue }
            let path = "variables.\(name)"
            guard case .string(let typeName)? = fields["type"], let type = VariableType(rawValue: typeName) else { continue }
            var values: [String] = []
            if case .array(let list)? = fields["values"] { values = list.compactMap(\.stringValue) }
            var variable = TemplateVariable(name: name, type: type, min: fields["min"]?.numberValue, max: fields["max"]?.numberValue,
                                            values: values, description: fields["description"]?.stringValue ?? "")
            if type == .enum && values.isEmpty {
                issues.append(ValidationIssue(path: "\(path).values", message: "an enum variable needs a list of values"))
            }
            if type != .enum && fields["values"] != nil {
                issues.append(ValidationIssue(path: "\(path).values", message: "only enum variables take values"))
            }
            if type != .int && type != .float {
                for bound in ["min", "max"] where fields[bound] != nil {
                    issues.append(ValidationIssue(path: "\(path).\(bound)", message: "only int and float variables take \(bound)"))
                }
            }
            if type == .int {
                for bound in ["min", "max"] {
                    if let number = fields[bound]?.numberValue, number != number.rounded() {
                        issues.append(ValidationIssue(path: "\(path).\(bound)", message: "expected int, got \(fields[bound]!.displayText)"))
                    }
                }
            }
            if let min = variable.min, let max = variable.max, min > max {
                issues.append(ValidationIssue(path: path, message: "min \(ConfigValidator.format(min)) is above max \(ConfigValidator.format(max))"))
            }
            if let defaultValue = fields["default"] {
                switch variable.check(defaultValue) {
                case .success(let checked): variable.defaultValue = checked
                case .failure(let issue): issues.append(ValidationIssue(path: "\(path).default", message: issue.message))
                }
            }
            variables.append(variable)
        }
        return variables
    }

    private static func uniqued(_ issues: [ValidationIssue]) -> [ValidationIssue] {
        var seen = Set<ValidationIssue>()
        return issues.filter { seen.insert($0).inserted }
    }
}

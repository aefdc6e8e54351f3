/// Checks a configuration value against a `FieldType`, collecting every issue with its path.
/// Template references are checked against the declared variables: a reference that fills a typed
/// field must be a variable whose type and bounds fit that field, so enqueue-time checks are enough.
struct ConfigValidator {
    var variables: [String: TemplateVariable]
    /// False inside the `variables` section, and for rendered configurations.
    var allowTemplates: Bool

    func validate(_ value: JSONValue, _ type: FieldType, path: String, into issues: inout [ValidationIssue]) {
        if case .string(let text) = value, TemplateReference.containsReference(text) {
            checkTemplate(text, type, path: path, into: &issues)
            return
        }
        switch type {
        case .any:
            break
        case .string(let format):
            guard case .string(let text) = value else { return mismatch(value, type, path, &issues) }
            if let format, !text.matches(format) {
                issues.append(ValidationIssue(path: path, message: "\"\(text.escapedForMessage)\" is not a \(format.name) (example: \(format.example))"))
            }
        case .integer(let min, let max):
            guard case .int(let number) = value else { return mismatch(value, type, path, &issues) }
            checkBounds(Double(number), min.map(Double.init), max.map(Double.init), isInt: true, path: path, into: &issues)
        case .number(let min, let max):
            guard let number = value.numberValue else { return mismatch(value, type, path, &issues) }
            checkBounds(number, min, max, isInt: false, path: path, into: &issues)
        case .boolean:
            guard case .bool = value else { return mismatch(value, type, path, &issues) }
        case .enumeration(let allowed):
            guard case .string(let text) = value else { return mismatch(value, type, path, &issues) }
            if !allowed.contains(text) {
                issues.append(ValidationIssue(path: path, message: "\"\(text.escapedForMessage)\" is not one of \(allowed.joined(separator: ", "))"))
            }
        case .list(let element):
            guard case .array(let elements) = value else { return mismatch(value, type, path, &issues) }
            for (index, item) in elements.enumerated() {
                validate(item, element, path: "\(path)[\(index)]", into: &issues)
            }
        case .map(let element, let keyFormat):
            guard case .object(let object) = value else { return mismatch(value, type, path, &issues) }
            for key in object.keys.sorted() {
                let childPath = ConfigDocument.join(path, key)
                if checkKey(key, path: childPath, into: &issues), let keyFormat, !key.matches(keyFormat) {
                    issues.append(ValidationIssue(path: childPath, message: "\"\(key.escapedForMessage)\" is not a valid \(keyFormat.name)"))
                }
                validate(object[key]!, element, path: childPath, into: &issues)
            }
        case .object(let fields):
            guard case .object(let object) = value else { return mismatch(value, type, path, &issues) }
            let known = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
            for field in fields where field.required && object[field.name] == nil {
                issues.append(ValidationIssue(path: ConfigDocument.join(path, field.name), message: "is required"))
            }
            for key in object.keys.sorted() {
                let childPath = ConfigDocument.join(path, key)
                guard checkKey(key, path: childPath, into: &issues) else { continue }
                guard let field = known[key] else {
                    let names = fields.map(\.name).joined(separator: ", ")
                    issues.append(ValidationIssue(path: childPath, message: "unknown field (known: \(names))"))
                    continue
                }
                validate(object[key]!, field.type, path: childPath, into: &issues)
            }
        case .anyObject:
            guard case .object = value else { return mismatch(value, type, path, &issues) }
            scanKeys(value, path: path, into: &issues)
        }
    }

    /// Keys are never templated: a configuration's shape must be known before values are filled in.
    private func checkKey(_ key: String, path: String, into issues: inout [ValidationIssue]) -> Bool {
        guard TemplateReference.containsReference(key) else { return true }
        issues.append(ValidationIssue(path: path, message: "template variables are not allowed in keys"))
        return false
    }

    private func scanKeys(_ value: JSONValue, path: String, into issues: inout [ValidationIssue]) {
        switch value {
        case .object(let object):
            for key in object.keys.sorted() {
                let childPath = ConfigDocument.join(path, key)
                _ = checkKey(key, path: childPath, into: &issues)
                scanKeys(object[key]!, path: childPath, into: &issues)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() { scanKeys(element, path: "\(path)[\(index)]", into: &issues) }
        case .string(let text) where TemplateReference.containsReference(text):
            checkTemplate(text, .any, path: path, into: &issues)
        default:
            break
        }
    }

    private func checkTemplate(_ text: String, _ type: FieldType, path: String, into issues: inout [ValidationIssue]) {
        guard allowTemplates else {
            issues.append(ValidationIssue(path: path, message: "template variables are not allowed here"))
            return
        }
        var allKnown = true
        for name in TemplateReference.names(in: text) where variables[name] == nil {
            issues.append(ValidationIssue(path: path, message: "unknown template variable {{\(name)}} (declare it under variables)"))
            allKnown = false
        }
        guard allKnown else { return }
        guard let sole = TemplateReference.soleName(in: text), let variable = variables[sole] else {
            switch type {
            // A formatted string (`"{{hours}}:00:00"`) is checked once rendered, at enqueue time.
            case .string, .any: return
            default:
                issues.append(ValidationIssue(path: path, message: "a template variable inside other text only fits a string, not a \(type.name)"))
                return
            }
        }
        switch type {
        case .any, .string:
            return
        case .integer(let min, let max):
            guard variable.type == .int else { return wrongVariable(variable, type, path, &issues) }
            checkVariableBounds(variable, min.map(Double.init), max.map(Double.init), path: path, into: &issues)
        case .number(let min, let max):
            guard variable.type == .int || variable.type == .float else { return wrongVariable(variable, type, path, &issues) }
            checkVariableBounds(variable, min, max, path: path, into: &issues)
        case .enumeration(let allowed):
            guard variable.type == .enum else { return wrongVariable(variable, type, path, &issues) }
            let outside = variable.values.filter { !allowed.contains($0) }
            if !outside.isEmpty {
                issues.append(ValidationIssue(path: path, message: "variable \(sole) allows \(outside.joined(separator: ", ")), not one of \(allowed.joined(separator: ", "))"))
            }
        default:
            wrongVariable(variable, type, path, &issues)
        }
    }

    private func wrongVariable(_ variable: TemplateVariable, _ type: FieldType, _ path: String, _ issues: inout [ValidationIssue]) {
        issues.append(ValidationIssue(path: path, message: "variable \(variable.name) is \(variable.type.rawValue), cannot fill a \(type.name)"))
    }

    private func checkVariableBounds(_ variable: TemplateVariable, _ min: Double?, _ max: Double?, path: String,
                                     into issues: inout [ValidationIssue]) {
        if let min, (variable.min ?? -.infinity) < min {
            issues.append(ValidationIssue(path: path, message: "variable \(variable.name) needs min >= \(Self.format(min)) to fit here"))
        }
        if let max, (variable.max ?? .infinity) > max {
            issues.append(ValidationIssue(path: path, message: "variable \(variable.name) needs max <= \(Self.format(max)) to fit here"))
        }
    }

    private func checkBounds(_ number: Double, _ min: Double?, _ max: Double?, isInt: Bool, path: String, into issues: inout [ValidationIssue]) {
        // Not Int(number): 9223372036854775807 reads as 2^63, which no Int holds, and the conversion traps.
        let shown = isInt ? Self.format(number) : JSONValue.double(number).displayText
        if let min, number < min { issues.append(ValidationIssue(path: path, message: "\(shown) is below min \(Self.format(min))")) }
        if let max, number > max { issues.append(ValidationIssue(path: path, message: "\(shown) is above max \(Self.format(max))")) }
    }

    private func mismatch(_ value: JSONValue, _ type: FieldType, _ path: String, _ issues: inout [ValidationIssue]) {
        issues.append(ValidationIssue(path: path, message: "expected \(type.name), got \(value.quotedText)"))
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}

extension String {
    func matches(_ format: StringFormat) -> Bool {
        guard let regex = format.regex else { return false }
        return (try? regex.wholeMatch(in: self)) != nil
    }
}

import LaunchAPI
import LaunchModel

/// The enqueue form: job and version, priority, the queue's template variables (typed, with their bounds
/// shown and checked before submit) and hyperparameter overrides.
public struct EnqueueForm: Sendable {
    public enum FieldKind: Sendable, Hashable {
        case job, version, priority, variable(String), overrides
    }

    public enum Outcome: Sendable {
        case editing, cancel
        case submit(EnqueueRequest)
    }

    public let queue: String
    public let jobs: [JobSummary]
    public let variables: [TemplateVariable]
    public var jobIndex: Int
    /// nil is `latest`.
    public var version: Int?
    public var priority: Priority = .normal
    public var values: [String: String] = [:]
    public var overrides: String = ""
    public var focus = 0
    public var errors: [FieldKind: String] = [:]
    /// Said on top of the form before anything is submitted: the queue is paused, or no live agent serves it.
    public var warning: String?
    /// Set when the form relaunches an item with changes: the new item records it as `relaunch_of`.
    public private(set) var relaunchOf: String?
    /// A relaunched item's secret values (`hf_token=...`): the form shows the marker in their place and, when the
    /// marker is still there at submit, sends the value unchanged.
    private var hidden: [String: JSONValue] = [:]

    public init(queue: Queue, jobs: [JobSummary], job: String? = nil) {
        self.queue = queue.name
        self.jobs = jobs
        variables = queue.config.variables
        jobIndex = jobs.firstIndex { $0.name == job } ?? 0
    }

    /// The form filled in from an item, to change a relaunch before it is enqueued.
    public init(queue: Queue, jobs: [JobSummary], from item: LaunchItem) {
        self.init(queue: queue, jobs: jobs, job: item.jobName)
        relaunchOf = item.id
        version = item.jobVersion
        priority = item.priority
        for (name, value) in item.overrides.variables {
            if Self.holdsSecret(name, value) { hidden["variable." + name] = value }
            values[name] = Self.holdsSecret(name, value) ? SecretRedactor.marker : value.displayText
        }
        // Written as `enqueue --config` reads them, each pair one shell-quoted word, so a value with a space or one
        // that only looks like a number ("1") comes back as it was.
        overrides = item.overrides.hyperparameters.keys.sorted().map { key in
            let value = item.overrides.hyperparameters[key]!
            if Self.holdsSecret(key, value) { hidden["hyperparameter." + key] = value }
            return ArgvSplitter.quote("\(key)=\(Self.holdsSecret(key, value) ? SecretRedactor.marker : value.literalText)")
        }.joined(separator: " ")
    }

    /// Whether views would hide any of this value (a secret name, a secret key inside it, a URL's credentials):
    /// the form then shows the marker for all of it.
    static func holdsSecret(_ name: String, _ value: JSONValue) -> Bool {
        SecretRedactor.redact([name: value]) != [name: value]
    }

    public var fields: [FieldKind] {
        [.job, .version, .priority] + variables.map { .variable($0.name) } + [.overrides]
    }

    public var selectedJob: JobSummary? { jobs.indices.contains(jobIndex) ? jobs[jobIndex] : nil }

    public func label(_ field: FieldKind) -> String {
        switch field {
        case .job: "Job"
        case .version: "Version"
        case .priority: "Priority"
        case .variable(let name): name
        case .overrides: "Overrides"
        }
    }

    public func value(_ field: FieldKind) -> String {
        switch field {
        case .job: return selectedJob?.name ?? "(no jobs: create one with launchdeck job create)"
        case .version: return version.map { "v\($0)" } ?? "latest" + (selectedJob.map { " (v\($0.latest.version))" } ?? "")
        case .priority: return priority.rawValue
        case .variable(let name):
            let text = values[name] ?? ""
            if text.isEmpty, enumChoices(name)?.first == "", let fallback = variables.first(where: { $0.name == name })?.shownDefault {
                return "default (\(fallback.displayText))"
            }
            return text
        case .overrides: return overrides
        }
    }

    /// Bounds and defaults, shown beside a field.
    public func hint(_ field: FieldKind) -> String {
        switch field {
        case .job, .version, .priority: return "←/→ to choose"
        case .variable(let name):
            guard let variable = variables.first(where: { $0.name == name }) else { return "" }
            if enumChoices(name) != nil {
                return "←/→ to choose: " + variable.values.joined(separator: " | ") + (variable.description.isEmpty ? "" : " · \(variable.description)")
            }
            let fallback = variable.shownDefault.map { "default \($0.displayText)" } ?? "required"
            return "\(variable.boundsText), \(fallback)" + (variable.description.isEmpty ? "" : " · \(variable.description)")
        case .overrides: return "KEY=VALUE …, hyperparameters"
        }
    }

    public func isChoice(_ field: FieldKind) -> Bool {
        switch field {
        case .job, .version, .priority: true
        case .variable(let name): enumChoices(name) != nil
        case .overrides: false
        }
    }

    /// An enum variable's values to cycle through, led by "" (the default) when it has one: a typo cannot reach
    /// the server, and leaving it alone keeps the queue's default.
    func enumChoices(_ name: String) -> [String]? {
        guard let variable = variables.first(where: { $0.name == name }), variable.type == .enum, !variable.values.isEmpty else { return nil }
        return (variable.defaultValue == nil ? [] : [""]) + variable.values
    }

    /// The selected version's hyperparameters as the job records them, which overrides replace key by key; secret
    /// ones show the marker. Only the latest version's spec is at hand, so an older version says so instead.
    public var defaultHyperparameters: String {
        guard let job = selectedJob else { return "" }
        guard version == nil || version == job.latest.version else { return "the job's defaults: see job describe \(job.name):v\(version!)" }
        let shown = SecretRedactor.redact(job.latest.spec.hyperparameters)
        guard !shown.isEmpty else { return "the job has no default hyperparameters" }
        return "defaults: " + shown.keys.sorted().map { "\($0)=\(shown[$0]!.literalText)" }.joined(separator: " ")
    }

    public mutating func handle(_ key: Key) -> Outcome {
        let field = fields[focus]
        switch key {
        case .escape:
            return .cancel
        case .enter:
            switch validate() {
            case .success(let request): return .submit(request)
            case .failure: return .editing
            }
        case .tab, .down:
            focus = (focus + 1) % fields.count
        case .backTab, .up:
            focus = (focus + fields.count - 1) % fields.count
        case .left, .right:
            guard isChoice(field) else { break }
            cycle(field, forward: key == .right)
        case .backspace:
            // A choice holds one of its values, never a half-deleted one.
            guard !isChoice(field) else { break }
            edit(field) { if !$0.isEmpty { $0.removeLast() } }
        case .character(let character):
            if isChoice(field) {
                if character == " " { cycle(field, forward: true) }
            } else {
                edit(field) { $0.append(character) }
            }
        default:
            break
        }
        return .editing
    }

    private mutating func cycle(_ field: FieldKind, forward: Bool) {
        let step = forward ? 1 : -1
        switch field {
        case .job:
            guard !jobs.isEmpty else { return }
            jobIndex = (jobIndex + step + jobs.count) % jobs.count
            version = nil
        case .version:
            let latest = selectedJob?.latest.version ?? 0
            let choices: [Int?] = [nil] + (1...max(1, latest)).reversed().map { Optional($0) }
            let index = choices.firstIndex(of: version) ?? 0
            version = choices[(index + step + choices.count) % choices.count]
        case .priority:
            let all = Priority.allCases
            let index = all.firstIndex(of: priority) ?? 0
            priority = all[(index + step + all.count) % all.count]
        case .variable(let name):
            guard let choices = enumChoices(name) else { return }
            let index = choices.firstIndex(of: values[name] ?? "") ?? (forward ? choices.count - 1 : 0)
            values[name] = choices[(index + step + choices.count) % choices.count]
            errors[field] = nil
        case .overrides:
            break
        }
    }

    private mutating func edit(_ field: FieldKind, _ change: (inout String) -> Void) {
        switch field {
        case .variable(let name):
            var text = values[name] ?? ""
            change(&text)
            values[name] = text
            errors[field] = nil
            if let variable = variables.first(where: { $0.name == name }), !text.isEmpty, case .failure(let issue) = variable.parse(text) {
                errors[field] = issue.message
            }
        case .overrides:
            change(&overrides)
            errors[field] = nil
        default:
            break
        }
    }

    /// Checks every field; fills `errors` and returns the request when all is well.
    public mutating func validate() -> Result<EnqueueRequest, ValidationFailure> {
        errors = [:]
        var issues: [ValidationIssue] = []
        guard let job = selectedJob else {
            errors[.job] = "no job to enqueue"
            return .failure(ValidationFailure([ValidationIssue(path: "job", message: "no job to enqueue")]))
        }
        var given: [String: String] = [:]
        for variable in variables {
            var text = values[variable.name] ?? ""
            if text == SecretRedactor.marker, let original = hidden["variable." + variable.name] { text = original.displayText }
            if text.isEmpty {
                if variable.defaultValue == nil {
                    errors[.variable(variable.name)] = "required"
                    issues.append(ValidationIssue(path: variable.name, message: "required"))
                }
                continue
            }
            switch variable.parse(text) {
            case .success: given[variable.name] = text
            case .failure(let issue):
                errors[.variable(variable.name)] = issue.message
                issues.append(issue)
            }
        }
        var hyperparameters: [String: JSONValue] = [:]
        do {
            for pair in try ArgvSplitter.split(overrides) {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    errors[.overrides] = "expected KEY=VALUE, got \"\(pair.escapedForMessage)\""
                    issues.append(ValidationIssue(path: "overrides", message: "expected KEY=VALUE"))
                    continue
                }
                let key = String(pair[..<equals])
                let text = String(pair[pair.index(after: equals)...])
                hyperparameters[key] = text == SecretRedactor.marker ? hidden["hyperparameter." + key] ?? .string(text) : JSONValue.parseLiteral(text)
            }
        } catch {
            errors[.overrides] = "\(error)"
            issues.append(ValidationIssue(path: "overrides", message: "\(error)"))
        }
        if !issues.isEmpty { return .failure(ValidationFailure(issues)) }
        return .success(EnqueueRequest(job: JobReference(name: job.name, version: version), queue: queue, priority: priority,
                                       variables: given, hyperparameters: hyperparameters, relaunchOf: relaunchOf))
    }
}

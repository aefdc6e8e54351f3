import Foundation
import LaunchModel

/// Full records: a queue, an item, an agent with its environment, a job version, and a queue's configuration
/// with syntax colours. Everything shown passes through `TerminalTextSafety`; secret-looking values are redacted.
struct DetailScreen {
    typealias Line = [(text: String, role: Role)]

    static func draw(_ buffer: inout ScreenBuffer, lines: [Line], title: String, scroll: inout Int, top: Int, height: Int) {
        buffer.box(x: 0, y: top, width: buffer.width, height: height, title: title, focused: true)
        let visible = max(0, height - 2)
        scroll = max(0, min(scroll, max(0, lines.count - visible)))
        for (index, line) in lines.dropFirst(scroll).prefix(visible).enumerated() {
            var x = 2
            for part in line {
                x += buffer.put(TerminalTextSafety.inert(part.text), x: x, y: top + 1 + index, role: part.role, maxWidth: buffer.width - x - 1)
            }
        }
    }

    static func field(_ name: String, _ value: String, _ role: Role = .normal) -> Line {
        [(name.padding(toLength: 16, withPad: " ", startingAt: 0), .header), (value, role)]
    }

    static func queue(_ row: QueueRow) -> [Line] {
        var lines: [Line] = [
            field("Queue", row.queue.name), field("Target", row.queue.target.rawValue),
            field("Paused", row.queue.paused ? "yes" : "no", row.queue.paused ? .flashWarn : .normal),
            field("Created", LocalTime.format(row.queue.createdAt)), field("Max attempts", String(row.queue.config.maxAttempts)),
            field("Depth", ItemState.allCases.map { "\($0) \(row.depth[$0])" }.joined(separator: "  ")),
            row.complete ? field("Failed (1 h)", String(row.recentFailures), row.recentFailures > 0 ? .stateFailed : .normal)
                : field("Failed (1 h)", "loading…", .dim),
            [("Variables", .header)],
        ]
        if row.queue.config.variables.isEmpty { lines.append([("  (none)", .dim)]) }
        for variable in row.queue.config.variables {
            let fallback = variable.shownDefault.map { "default \($0.displayText)" } ?? "required"
            lines.append([("  \(variable.name)", .yamlKey), ("  \(variable.boundsText), \(fallback)  \(variable.description)", .normal)])
        }
        lines.append([("Configuration", .header)])
        lines += yaml(row.queue.config.redactedText).map { [("  ", .normal)] + $0 }
        return lines
    }

    /// Items a detail view leads to (the one relaunched, its relaunches), in the order Tab goes through them.
    static func links(_ item: LaunchItem, _ snapshot: DeckSnapshot) -> [(label: String, id: String)] {
        var links: [(String, String)] = item.relaunchOf.map { [("Relaunch of", $0)] } ?? []
        for list in snapshot.items.values {
            for other in list where other.relaunchOf == item.id { links.append(("Relaunched as", other.id)) }
        }
        return links
    }

    static func item(_ item: LaunchItem, agentName: String?, waiting: String? = nil, links: [(label: String, id: String)] = [],
                     selectedLink: Int = 0, attempts: [AttemptLog.Entry] = []) -> [Line] {
        var lines: [Line] = [
            field("Item", item.id), field("Queue", item.queue), field("Job", item.jobReference), field("Priority", item.priority.rawValue),
            field("State", item.state.rawValue + (item.exitCode.map { " (exit \($0))" } ?? ""), .state(item.state)),
            field("Attempts", "\(item.attempts) of \(item.maxAttempts)"), field("Agent", agentName ?? item.agentID ?? "-"),
            field("Enqueued", LocalTime.format(item.timestamps.enqueued)),
        ]
        for (label, date) in [("Leased", item.timestamps.leased), ("Building", item.timestamps.building),
                              ("Running", item.timestamps.running), ("Finished", item.timestamps.finished)] {
            if let date { lines.append(field(label, LocalTime.format(date))) }
        }
        if let lease = item.leaseExpiresAt { lines.append(field("Lease until", LocalTime.format(lease))) }
        if let waiting { lines.append(field("Waiting", waiting, .flashWarn)) }
        for (index, link) in links.enumerated() {
            lines.append(field(link.label, "\(link.id)  (\(index == selectedLink ? "Enter opens it" : "Tab to choose"))", index == selectedLink ? .cursor : .mark))
        }
        if let error = item.error { lines.append(field("Error", error, .flashError)) }
        if let progress = item.progress {
            lines.append(field("Progress", progress.summary))
        }
        lines.append([("Variables", .header)])
        let variables = SecretRedactor.redact(item.overrides.variables)
        for key in variables.keys.sorted() { lines.append([("  \(key) = ", .yamlKey), (variables[key]!.displayText, .yamlValue)]) }
        lines.append([("Hyperparameter overrides", .header)])
        let overrides = SecretRedactor.redact(item.overrides.hyperparameters)
        for key in overrides.keys.sorted() {
            let value = overrides[key]!.displayText
            lines.append([("  \(key) = ", .yamlKey), (value, .yamlValue)])
        }
        if item.droppedLogLines > 0 { lines.append(field("Logs dropped", String(item.droppedLogLines))) }
        if !attempts.isEmpty {
            lines.append([("Attempts", .header)])
            for attempt in attempts {
                lines.append([("  \(attempt.number)  \(LocalTime.format(attempt.at))  agent \(attempt.agent) on \(attempt.host)", .normal),
                              (attempt.outcome.map { "  " + $0 } ?? "", .flashWarn)])
            }
        }
        return lines
    }

    static func agent(_ agent: Agent, status: AgentStatusLines?) -> [Line] {
        let env = agent.environment
        var lines: [Line] = [
            field("Agent", "\(agent.name) (\(agent.id))"),
            field("State", agent.state.rawValue, agent.state == .lost ? .stateFailed : .normal),
            field("Host", env.hostname ?? agent.host),
            field("OS", [env.os, env.kernel, env.architecture].compactMap { $0 }.joined(separator: " ")),
            field("CPU", "\(env.cpuCount.map(String.init) ?? "?") × \(env.cpuModel ?? "?")"),
            field("Memory", env.memoryBytes.map { String(format: "%.1f GiB", Double($0) / 1_073_741_824) } ?? "?"),
            field("GPUs", env.gpus.isEmpty ? "none" : env.gpus.map { "\($0.index): \($0.name)\($0.memoryMiB.map { " \($0) MiB" } ?? "")" }.joined(separator: ", ")),
            field("Runtimes", env.runtimes.isEmpty ? "none" : env.runtimes.map { "\($0.name) \($0.version)" }.joined(separator: ", ")),
            field("Slurm", env.slurmAvailable == true ? "srun available" : "no"),
            field("Kubernetes", env.kubectlAvailable == true ? "kubectl, context \(env.kubernetesContext ?? "none")" : "no"),
            field("Version", agent.version), field("PID", env.pid.map(String.init) ?? "?"), field("Directory", env.workingDirectory ?? "?"),
            field("Queues", agent.queues.joined(separator: ", ")), field("Max jobs", String(agent.maxJobs)),
        ]
        for (queue, reason) in (env.unservedQueues ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append(field("Cannot serve", "\(queue): \(reason)", .flashWarn))
        }
        lines += [
            field("Started", LocalTime.format(agent.startedAt)), field("Heartbeat", LocalTime.format(agent.lastHeartbeat)),
        ]
        if let status {
            lines.append([("In flight (live)", .header)])
            if status.inFlight.isEmpty { lines.append([("  (none)", .dim)]) }
            lines += status.inFlight.map { [("  " + $0, .normal)] }
            lines.append([("Recent events", .header)])
            lines += status.events.map { [("  " + $0, .dim)] }
        }
        lines.append([("Environment (secrets redacted)", .header)])
        let variables = SecretRedactor.redactEnvironment(env.environmentVariables)
        for key in variables.keys.sorted() {
            let value = variables[key]!
            lines.append([("  \(key)=", .yamlKey), (value, .yamlValue)])
        }
        return lines
    }

    struct AgentStatusLines {
        var inFlight: [String]
        var events: [String]
    }

    static func jobVersion(_ job: JobVersion) -> [Line] {
        var lines: [Line] = [
            field("Job", job.reference), field("Digest", job.digest), field("Created", LocalTime.format(job.createdAt)),
            field("Source", job.spec.source.summary), field("Entrypoint", job.spec.redactedEntrypoint.joined(separator: " ")),
            field("Dataset", job.spec.datasetVersion ?? "-"), field("Base image", job.spec.dependencies.baseImage ?? "-"),
            [("Default hyperparameters", .header)],
        ]
        if job.spec.hyperparameters.isEmpty { lines.append([("  (none)", .dim)]) }
        let hyperparameters = SecretRedactor.redact(job.spec.hyperparameters)
        for key in hyperparameters.keys.sorted() {
            lines.append([("  \(key) = ", .yamlKey), (hyperparameters[key]!.displayText, .yamlValue)])
        }
        lines.append([("Requirements", .header)])
        lines += (job.spec.redactedRequirements ?? "(none)").split(separator: "\n").map { [("  " + $0, .normal)] }
        return lines
    }

    /// YAML with keys, values and comments in their own roles.
    static func yaml(_ text: String) -> [Line] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { raw in
            let line = String(raw)
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("#") { return [(line, .yamlComment)] }
            var parts: Line = []
            var body = line
            var comment = ""
            if let hash = line.range(of: " #") {
                body = String(line[..<hash.lowerBound])
                comment = String(line[hash.lowerBound...])
            }
            if let colon = body.firstIndex(of: ":"), !body[..<colon].contains("\"") {
                parts.append((String(body[...colon]), .yamlKey))
                parts.append((String(body[body.index(after: colon)...]), .yamlValue))
            } else {
                parts.append((body, .yamlValue))
            }
            if !comment.isEmpty { parts.append((comment, .yamlComment)) }
            return parts
        }
    }
}

import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore

/// Collects one item's log lines and progress and writes them to the backend in batches
/// (every 200 ms or 500 lines), so a chatty job costs a few writes a second, not one per line.
/// Secrets are redacted before anything is stored.
actor LogSink {
    private let backend: any LaunchBackend
    private let attempt: ItemAttempt
    private var redactor: SecretValueRedactor
    private var pending: [LogStream: [String]] = [:]
    private var pendingCount = 0
    private var progress: (phase: String, current: Double, total: Double?, message: String)?
    private var flushTask: Task<Void, Never>?
    private(set) var lastProgress: ItemProgress?
    private(set) var recentLines: [String] = []

    init(backend: any LaunchBackend, attempt: ItemAttempt, redactor: SecretValueRedactor) {
        self.backend = backend
        self.attempt = attempt
        self.redactor = redactor
    }

    /// Adds the run's own secrets once they are known (the queue's `resource.env`, secret-named hyperparameters):
    /// the sink starts with the agent's environment only, before the item's queue and job are read.
    func hide(_ values: [String]) {
        redactor = redactor.adding(values)
    }

    func append(_ stream: LogStream, _ line: String) {
        // SQLite text ends at a NUL byte: keep the rest of the line by writing the NUL out visibly.
        let clean = redactor.redact(line.contains("\u{0}") ? line.replacingOccurrences(of: "\u{0}", with: "\\x00") : line)
        pending[stream, default: []].append(clean)
        pendingCount += 1
        recentLines.append(clean)
        if recentLines.count > 20 { recentLines.removeFirst(recentLines.count - 20) }
        if pendingCount >= 500 {
            Task { await self.flush() }
        } else {
            scheduleFlush()
        }
    }

    func report(phase: String, current: Double, total: Double?, message: String) {
        let clean = redactor.redact(message)
        progress = (phase, current, total, clean)
        lastProgress = ItemProgress(phase: phase, current: current, total: total, message: clean)
        scheduleFlush()
    }

    private func scheduleFlush() {
        guard flushTask == nil else { return }
        flushTask = Task {
            try? await Task.sleep(for: .milliseconds(200))
            await self.flush()
        }
    }

    /// Writes whatever is pending. Failures are dropped: logs must never stop a run (and the store refuses those of
    /// an attempt that is no longer current).
    func flush() async {
        flushTask = nil
        let batches = pending
        pending = [:]
        pendingCount = 0
        let update = progress
        progress = nil
        for stream in LogStream.allCases {
            guard let lines = batches[stream], !lines.isEmpty else { continue }
            try? await backend.appendLog(attempt, stream: stream, lines: lines)
        }
        if let update {
            try? await backend.reportProgress(attempt, phase: update.phase, current: update.current, total: update.total, message: update.message)
        }
    }
}

/// Hides the values of a job's secret environment variables wherever they appear in its output,
/// besides `NAME=value` pairs whose names look secret.
struct SecretValueRedactor: Sendable {
    let secrets: [String]
    /// The agent's own environment, which every job inherits; worked out once, not for every item.
    static let agentEnvironment = SecretValueRedactor(environment: ProcessInfo.processInfo.environment)

    init(environment: [String: String]) {
        self.init(secrets: environment.filter { SecretRedactor.isSecret(name: $0.key) }.map(\.value))
    }

    private init(secrets: [String]) {
        // Short values would redact ordinary words; secrets worth hiding are longer. Longest first, so a secret
        // that contains another is hidden whole.
        self.secrets = Array(Set(secrets.filter { $0.count >= 6 })).sorted { ($0.count, $0) > ($1.count, $1) }
    }

    /// This redactor, also hiding `values` (already known to be secret).
    func adding(_ values: [String]) -> SecretValueRedactor {
        SecretValueRedactor(secrets: secrets + values)
    }

    func redact(_ line: String) -> String {
        var result = SecretRedactor.redactText(line)
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: SecretRedactor.marker)
        }
        return result
    }
}

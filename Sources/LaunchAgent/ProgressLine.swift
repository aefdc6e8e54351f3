/// Progress written by jobs and build tools, read from their output.
public enum ProgressLine {
    /// The line a job prints to report its own progress: `launchdeck:progress 45/100 epoch 3`
    /// (or `launchdeck:progress 45` when the total is unknown). The same format may be written to the file
    /// named by `LAUNCHDECK_PROGRESS_FILE`; its last line counts.
    public static let prefix = "launchdeck:progress "

    public static func job(_ line: String) -> (current: Double, total: Double?, message: String)? {
        guard line.hasPrefix(prefix) else { return nil }
        let rest = line.dropFirst(prefix.count)
        let parts = rest.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard let amount = parts.first else { return nil }
        let message = parts.count > 1 ? String(parts[1]) : ""
        // Job output is untrusted: `launchdeck:progress /` splits into no parts at all, and indexing it crashed the agent.
        let numbers = amount.split(separator: "/", maxSplits: 1)
        guard let first = numbers.first, let current = Double(first), current.isFinite else { return nil }
        if numbers.count == 2 {
            guard let total = Double(numbers[1]), total.isFinite, total > 0 else { return nil }
            return (current, total, message)
        }
        return (current, nil, message)
    }

    /// A container build's step line: Podman's `STEP 3/7: RUN ...` or Docker's `Step 3/7 : RUN ...`.
    public static func buildStep(_ line: String) -> (current: Double, total: Double, message: String)? {
        let text: Substring
        if line.hasPrefix("STEP ") { text = line.dropFirst(5) } else if line.hasPrefix("Step ") { text = line.dropFirst(5) } else { return nil }
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let afterSlash = text[text.index(after: slash)...]
        let totalDigits = afterSlash.prefix(while: \.isNumber)
        guard let current = Double(text[..<slash]), current.isFinite, let total = Double(totalDigits), total.isFinite, total > 0 else { return nil }
        var message = afterSlash.dropFirst(totalDigits.count)
        while let first = message.first, first == ":" || first == " " { message = message.dropFirst() }
        return (current, total, String(message))
    }
}

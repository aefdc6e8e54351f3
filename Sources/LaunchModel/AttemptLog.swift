import Foundation

/// The agent-stream lines that begin and end each attempt in an item's log, written in one format and read back by
/// `item describe` and the dashboard to list the attempts.
public enum AttemptLog {
    /// One attempt as the log tells it.
    public struct Entry: Sendable, Hashable {
        public var number: Int
        public var agent: String
        public var host: String
        public var at: Date
        /// How it ended when the log says so (a lost lease); a final state is on the item itself.
        public var outcome: String?
    }

    public static func started(number: Int, of maxAttempts: Int, agent: String, host: String) -> String {
        "attempt \(number) of \(maxAttempts) on agent \(agent) (host \(host))"
    }

    public static func leaseLost(number: Int, agent: String, next: ItemState) -> String {
        "attempt \(number) (agent \(agent)) lost its lease: " + (next == .failed ? "no attempts left, failed" : "back in the queue")
    }

    /// The attempts, oldest first, from the item's agent-stream lines.
    public static func entries(in logs: [LogLine]) -> [Entry] {
        var entries: [Entry] = []
        for line in logs where line.stream == .agent {
            let text = line.text
            if text.hasPrefix("attempt "), let on = text.range(of: " on agent "), let host = text.range(of: " (host ", options: .backwards),
               text.hasSuffix(")"), let number = Int(text.dropFirst("attempt ".count).prefix { $0.isNumber }) {
                entries.append(Entry(number: number, agent: String(text[on.upperBound..<host.lowerBound]),
                                     host: String(text[host.upperBound...].dropLast()), at: line.at))
            } else if text.hasPrefix("attempt "), let lost = text.range(of: " lost its lease: "),
                      let number = Int(text.dropFirst("attempt ".count).prefix { $0.isNumber }) {
                let outcome = "lost its lease: " + text[lost.upperBound...]
                if let index = entries.lastIndex(where: { $0.number == number }) {
                    entries[index].outcome = outcome
                } else if let open = text.range(of: " (agent "), open.upperBound <= lost.lowerBound {
                    // Lost before it began its work, so no line began it: the lost line names its agent.
                    entries.append(Entry(number: number, agent: String(text[open.upperBound..<lost.lowerBound].dropLast()), host: "?",
                                         at: line.at, outcome: outcome))
                }
            }
        }
        return entries
    }
}

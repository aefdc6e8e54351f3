/// How urgently an item should run; within one priority the queue is FIFO.
public enum Priority: String, Sendable, Codable, CaseIterable, Hashable, CustomStringConvertible {
    case critical, high, normal, low

    public var description: String { rawValue }

    /// Lower runs first; stored so the lease query can sort by it.
    public var rank: Int {
        switch self {
        case .critical: 0
        case .high: 1
        case .normal: 2
        case .low: 3
        }
    }

    public init?(rank: Int) {
        guard let match = Self.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = match
    }

    public static func parse(_ text: String) throws -> Priority {
        guard let priority = Priority(rawValue: text.lowercased()) else {
            throw LaunchError.invalidInput("unknown priority \"\(text.escapedForMessage)\": use one of critical, high, normal, low")
        }
        return priority
    }
}
